from . import test_actions_rpc, test_suite
