from . import (
    account_bank_statement_line,
    account_move,
    account_payment_register,
    q2c_contract,
    q2c_payment_settlement,
    q2c_system,
    res_partner,
)
