from . import test_mapping, test_pull
