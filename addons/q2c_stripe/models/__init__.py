from . import (
    account_move,
    q2c_event,
    q2c_event_billing,
    q2c_subscription_load,
    q2c_system,
    q2c_system_billing,
    q2c_system_published,
)
