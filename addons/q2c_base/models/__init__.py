from . import (
    q2c_event,
    q2c_event_link,
    q2c_exception,
    q2c_external_ref,
    q2c_external_ref_mixin,
    q2c_field_ownership,
    q2c_job_tracked,
    q2c_outbound_log,
    q2c_system,
    queue_job,
    res_partner,
    res_users,
)
