from . import (
    test_bad_input,
    test_contract_security,
    test_external_refs,
    test_finance_integrations,
    test_milestone_acceptance,
    test_not_to_exceed_cap,
    test_rate_periods,
    test_rate_resolution,
    test_retainage,
    test_retainer,
    test_state_machine,
)
