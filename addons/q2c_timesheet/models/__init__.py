from . import (
    account_analytic_line,
    q2c_sync_hold,
    q2c_system,
    res_company,
    res_config_settings,
    timesheets_analysis_report,
)
