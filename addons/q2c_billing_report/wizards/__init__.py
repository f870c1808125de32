from . import q2c_utilization_wizard, q2c_wip_wizard
