from . import (
    test_pay_application_changes,
    test_pay_application_documents,
    test_pay_application_golden,
    test_pay_application_report,
    test_pay_application_retainage,
    test_pay_application_rules,
    test_pay_application_tour,
    test_pay_application_trial,
)
