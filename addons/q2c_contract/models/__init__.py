# The abstract rate model must be registered before the models that inherit it.
from . import q2c_rate_mixin

# isort: split
from . import (
    project_project,
    q2c_contract,
    q2c_contract_change_entry,
    q2c_contract_milestone,
    q2c_contract_sov_line,
    q2c_rate_card,
    q2c_rate_card_line,
    q2c_rate_override,
    q2c_retainer_bucket,
    q2c_retainer_drawdown,
)
