from . import (
    test_bill_amount,
    test_display_names,
    test_ingestion,
    test_push_api,
    test_sync_runs,
    test_timesheet_report,
)
