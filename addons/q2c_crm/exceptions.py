"""Why a deal could not be provisioned, with what a person needs to settle it."""

from odoo.addons.q2c_base.exceptions import PermanentError


class ProvisioningBlocked(PermanentError):
    """A deal a person must look at: the event ends dead and an exception is opened.

    `kind` is a q2c.exception kind (missing_data, duplicate); `record` is what the person
    should look at (a possible duplicate customer, a contract), when there is one;
    `candidates` and `external`: see PermanentError (a possible duplicate).
    """

    def __init__(self, reason, kind="other", details="", record=None, **duplicate):
        super().__init__(reason, person_kind=kind, details=details, record=record, **duplicate)
        self.kind = kind
