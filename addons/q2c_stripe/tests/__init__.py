from . import test_mapping, test_settlement, test_webhook
from . import test_match_tour
