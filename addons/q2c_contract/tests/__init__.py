from . import (
    test_bad_input,
    test_contract_security,
    test_external_refs,
    test_gc01_tm_rates,
    test_gc02_nte,
    test_gc03_milestones,
    test_rate_resolution,
    test_retainage,
    test_retainer,
)
