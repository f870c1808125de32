from . import test_billing_tm, test_billing_expenses, test_exactly_once, test_blocked, test_security
