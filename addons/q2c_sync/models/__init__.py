from . import q2c_ingested_mixin, q2c_sync_hold, q2c_sync_page, q2c_sync_run, q2c_system
