from . import test_mapping, test_provisioning, test_signature, test_webhook
