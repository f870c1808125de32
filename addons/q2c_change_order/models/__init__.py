# The effects mixin must be registered before the change order that inherits it.
from . import q2c_change_order_effects

# isort: split
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
