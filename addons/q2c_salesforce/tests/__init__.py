from . import (
    test_malformed_input,
    test_mapping,
    test_outbound_messaging,
    test_rest,
    test_soap,
)
