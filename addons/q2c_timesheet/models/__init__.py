from . import account_analytic_line, q2c_sync_hold, q2c_system, timesheets_analysis_report
