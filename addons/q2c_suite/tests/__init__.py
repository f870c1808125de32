from . import test_actions_rpc, test_labels, test_suite
