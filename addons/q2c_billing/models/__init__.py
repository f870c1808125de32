from . import (
    account_move,
    account_move_line,
    hr_expense,
    q2c_billing_run,
    q2c_billing_run_line,
    q2c_billing_run_line_milestone,
    q2c_contract_milestone,
    q2c_ingested_mixin,
    q2c_milestone_share,
    res_company,
    res_config_settings,
)
