from . import (
    account_analytic_line,
    account_move,
    account_move_line,
    hr_expense,
    q2c_billing_run,
    q2c_billing_run_line,
    q2c_cap_alert,
    q2c_cap_hold,
    q2c_contract,
    q2c_ingested_mixin,
    res_company,
    res_config_settings,
)
