from . import (
    account_analytic_line,
    q2c_sync_hold,
    q2c_system,
    q2c_time_sync_page,
    q2c_time_sync_run,
    queue_job,
)
