from . import test_amount_changes, test_duplicates, test_provisioning, test_rate_cards
