from . import (
    test_load,
    test_mapping,
    test_mirror,
    test_split_void,
    test_subscription_tour,
    test_webhook,
)
