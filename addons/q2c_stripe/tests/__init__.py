from . import test_mapping, test_match_tour, test_settlement, test_webhook
