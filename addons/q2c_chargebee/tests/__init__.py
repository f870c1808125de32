from . import test_mapping, test_mirror, test_subscription_tour, test_webhook
