from . import (
    test_concurrency,
    test_controller,
    test_hooks,
    test_http_contract,
    test_malformed_input,
    test_monitoring,
    test_outbound,
    test_processing,
    test_references,
    test_rights,
    test_secrets,
    test_security,
)
