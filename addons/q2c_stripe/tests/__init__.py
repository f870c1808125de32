from . import (
    test_billing,
    test_billing_documents,
    test_end_to_end,
    test_mapping,
    test_match_tour,
    test_payout,
    test_publication,
    test_race,
    test_reread,
    test_settlement,
    test_webhook,
)
