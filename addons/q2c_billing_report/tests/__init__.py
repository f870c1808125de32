from . import test_utilization, test_wip
