from . import q2c_sync_page, q2c_sync_run, q2c_system
