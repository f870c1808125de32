from . import q2c_api_key_wizard, q2c_duplicate_wizard, q2c_event_action_wizard
