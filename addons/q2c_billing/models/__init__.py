from . import (
    account_analytic_line,
    account_move,
    account_move_line,
    hr_expense,
    q2c_billing_run,
    q2c_billing_run_line,
    res_company,
    res_config_settings,
)
