from . import test_utilization, test_wip, test_wip_tour
