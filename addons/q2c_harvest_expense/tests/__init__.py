from . import test_harvest_expenses
