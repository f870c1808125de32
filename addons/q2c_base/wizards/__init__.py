from . import q2c_event_action_wizard
