from . import (
    test_chargeback,
    test_outstanding_accounts,
    test_publication,
    test_published_life,
    test_reconcile_rights,
    test_settlement,
)
