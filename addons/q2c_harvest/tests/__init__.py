from . import test_harvest_pull
