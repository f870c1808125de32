from . import (
    test_billing_expenses,
    test_billing_milestones,
    test_billing_tm,
    test_blocked,
    test_exactly_once,
    test_run_flow,
    test_security,
)
