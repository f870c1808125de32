from . import q2c_milestone_acceptance
