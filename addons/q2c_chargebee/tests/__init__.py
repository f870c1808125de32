from . import test_mapping, test_mirror, test_webhook
