from . import (
    test_integration_manager_tour,
    test_malformed_input,
    test_mapping,
    test_provisioning,
    test_public_url,
    test_signature,
    test_webhook,
)
