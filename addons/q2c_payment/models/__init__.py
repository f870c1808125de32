from . import (
    account_bank_statement_line,
    account_move,
    account_move_subscription,
    account_payment_register,
    q2c_contract,
    q2c_payment_mirror,
    q2c_payment_settlement,
    q2c_subscription,
    q2c_system,
    q2c_system_billing,
    res_partner,
    res_partner_subscription,
)
