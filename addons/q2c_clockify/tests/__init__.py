from . import test_clockify_pull
