from . import test_gc05_expenses, test_ingestion, test_push_api, test_security
