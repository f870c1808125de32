from . import (
    test_pay_application_golden,
    test_pay_application_report,
    test_pay_application_rules,
    test_pay_application_tour,
)
