from . import test_billing, test_mapping, test_match_tour, test_settlement, test_webhook
