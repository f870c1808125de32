from . import (
    test_billing_entered_time,
    test_billing_expenses,
    test_billing_milestones,
    test_billing_tm,
    test_blocked,
    test_cap_race,
    test_demo_data,
    test_exactly_once,
    test_not_to_exceed_cap,
    test_retainer,
    test_run_flow,
    test_security,
)
