from . import (
    test_billing,
    test_end_to_end,
    test_load,
    test_mapping,
    test_match_tour,
    test_payout,
    test_publication,
    test_published_life,
    test_race,
    test_reread,
    test_settlement,
    test_webhook,
)
