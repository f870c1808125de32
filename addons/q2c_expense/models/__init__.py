from . import hr_expense, q2c_contract, q2c_expense_policy, q2c_sync_hold, q2c_system
