from . import test_publication, test_settlement
