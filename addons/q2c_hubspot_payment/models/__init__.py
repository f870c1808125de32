from . import q2c_system
