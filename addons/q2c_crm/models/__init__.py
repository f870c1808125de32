from . import product_template, q2c_change_order, q2c_contract, q2c_event, q2c_system
