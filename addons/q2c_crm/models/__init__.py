from . import (
    product_template,
    q2c_change_order,
    q2c_contract,
    q2c_crm_proposal,
    q2c_crm_provisioning,
    q2c_system,
)
