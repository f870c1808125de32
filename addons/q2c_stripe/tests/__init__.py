from . import test_mapping, test_settlement, test_webhook
