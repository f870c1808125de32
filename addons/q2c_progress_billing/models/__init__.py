from . import (
    q2c_change_order,
    q2c_contract,
    q2c_contract_sov_line,
    q2c_pay_application,
    q2c_pay_application_line,
    q2c_pay_document,
    res_company,
    res_config_settings,
)
