from . import (
    test_mapping,
    test_publish,
    test_published_life,
    test_settlement,
    test_signature,
    test_webhook,
)
