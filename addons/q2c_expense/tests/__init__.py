from . import (
    test_billing_fields_guarded,
    test_expense_policy_billing,
    test_ingestion,
    test_push_api,
    test_security,
)
