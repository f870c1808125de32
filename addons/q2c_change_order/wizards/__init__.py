from . import q2c_change_order_reason
