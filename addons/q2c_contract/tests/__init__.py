from . import (
    test_bad_input,
    test_contract_security,
    test_demo_data,
    test_external_refs,
    test_milestone_acceptance,
    test_milestone_acceptance_wizard,
    test_not_to_exceed_cap,
    test_rate_periods,
    test_rate_resolution,
    test_retainage,
    test_retainer,
    test_state_machine,
)
