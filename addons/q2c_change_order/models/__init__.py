from . import (
    q2c_change_order,
    q2c_change_order_line,
    q2c_contract,
    q2c_contract_change_entry,
    q2c_contract_milestone,
    q2c_contract_sov_line,
    res_company,
    res_config_settings,
)
