from . import q2c_ingested_mixin, q2c_sync_hold
