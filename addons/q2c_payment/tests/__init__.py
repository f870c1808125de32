from . import test_chargeback, test_settlement
