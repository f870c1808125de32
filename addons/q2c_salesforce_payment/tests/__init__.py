from . import test_standing
