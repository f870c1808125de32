from . import (
    q2c_contract,
    q2c_pay_application,
    q2c_pay_application_line,
    res_company,
    res_config_settings,
)
