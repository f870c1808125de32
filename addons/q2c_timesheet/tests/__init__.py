from . import test_ingestion, test_push_api, test_sync_runs
