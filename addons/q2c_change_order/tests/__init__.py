from . import (
    test_change_order_bad_input,
    test_change_order_effects,
    test_change_order_lifecycle,
    test_change_order_revision,
    test_change_order_screens,
    test_change_order_security,
    test_change_order_segregation,
    test_change_order_state_machine,
    test_change_order_tour,
    test_change_order_workflow_fields,
)
