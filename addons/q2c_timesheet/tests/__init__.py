from . import (
    test_bill_amount,
    test_billing_fields_guarded,
    test_display_names,
    test_entered_time,
    test_entered_time_tour,
    test_ingestion,
    test_push_api,
    test_sync_runs,
    test_timesheet_report,
)
