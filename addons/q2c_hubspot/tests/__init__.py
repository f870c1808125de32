from . import test_provisioning, test_signature, test_webhook
