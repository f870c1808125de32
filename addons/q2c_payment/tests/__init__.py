from . import test_chargeback, test_publication, test_settlement
