import logging

from psycopg2 import IntegrityError

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.translate import LazyTranslate

from ..ingest import (
    APPROVAL_STATES,
    FailedRecord,
    HeldEntry,
    InvalidEntry,
    hold_key,
    raise_if_concurrent,
    split_valid,
)

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

# The billing statuses every ingested record can have; a concrete model adds its own holds
# (no rate, no policy, ...) with `selection_add`.
BILLING_STATUSES = [
    ("pending_approval", "Held: awaiting approval"),
    ("not_billable", "Not billable"),
    ("no_contract", "Held: no contract"),
    ("to_bill", "To bill"),
    ("billed", "Billed"),
    ("deleted", "Deleted at source"),
]
CORRECTION_KINDS = [("reversal", "Reversal"), ("replacement", "Replacement")]
# The fields of the mixin that describe what was delivered: frozen once billed.
BILLED_FIELDS = frozenset(
    {"q2c_billable", "q2c_approval_state", "q2c_system_id", "q2c_external_id"}
)
# The billing fields of the mixin: written by ingestion, billing, invoice deletion and
# corrections only (q2c.guarded.mixin), never by a plain `write` (docs/security.md, 8).
GUARDED_FIELDS = frozenset(
    {
        "q2c_billing_status",
        "q2c_hold_reason",
        "q2c_billed_at",
        "q2c_billing_ref",
        "q2c_correction_kind",
        "q2c_origin_id",
        # The approval decides what a run bills: the source's (ingestion) or, for time
        # entered in Odoo, the approval action's; never a plain write.
        "q2c_approval_state",
        "q2c_approved_at",
    }
)
# Errors of one record's create or write that reject that record only (ValidationError is a
# UserError); anything else is a bug and fails the whole batch.
REFUSALS = (UserError, ValueError)


class Q2cIngestedMixin(models.AbstractModel):
    """A canonical record delivered by another system: the fields every ingestion shares and
    the create / update / correct-after-billing cycle.

    `_q2c_ingest(system, entries)` is the one entry point (push API and pulls). Per chunk of
    `_q2c_chunk_size` entries: validate (`_q2c_validate`), read what the chunk refers to in
    one go (`_q2c_read_batch`), one search of the records already imported
    (`_q2c_current_records`), map each entry (`_q2c_map_entry`), then create the new ones in
    one `create(vals_list)` (`_q2c_create_records`) and update the changed ones in place, or
    with a reversal and a replacement once billed (billing-domain.md 1.9).

    A concrete model inherits this mixin and implements the hooks marked *Concrete*: how an
    entry is validated, mapped, valued and priced. It declares `q2c_origin_id` (a Many2one
    to itself), `q2c_contract_id` (a Many2one to q2c.contract), a `date` field, and the
    `q2c_external_uniq` constraint with its own message. Billing reads every concrete model
    through `_q2c_billable_domain`, `_q2c_mark_billed` and `_q2c_value`.
    """

    _name = "q2c.ingested.mixin"
    _inherit = ["q2c.guarded.mixin"]
    _description = "Record Ingested from Another System"
    _q2c_chunk_size = 1000
    # The `kind` of this model's held entries (q2c.sync.hold; added there with selection_add).
    _q2c_hold_kind = None
    # The key of a result that carries the record's id (what the push API answers).
    _q2c_result_id_key = "record_id"
    # What one record is called in messages.
    _q2c_noun = _lt("Record")
    # The concrete model's fields frozen once a record is billed, beside the mixin's
    # BILLED_FIELDS: a write of any of them on a billed record is refused outside a
    # correction.
    _q2c_billed_fields = frozenset()

    q2c_system_id = fields.Many2one(
        "q2c.system", string="Source System", index="btree_not_null", readonly=True, copy=False
    )
    q2c_external_id = fields.Char(string="External ID", readonly=True, copy=False)
    q2c_approval_state = fields.Selection(
        APPROVAL_STATES, string="Approval", copy=False, index=True
    )
    q2c_approved_at = fields.Datetime(
        "Approved At",
        copy=False,
        help="When the record was approved (the source's time, else when q2c first saw it "
        "approved). A billing run takes records approved before its cut-off.",
    )
    q2c_billable = fields.Boolean("Billable to Customer", default=True)
    q2c_billing_status = fields.Selection(
        BILLING_STATUSES, string="Billing Status", copy=False, index=True, readonly=True
    )
    q2c_hold_reason = fields.Char("Hold Reason", copy=False, readonly=True)
    q2c_billed_at = fields.Datetime("Billed At", copy=False, readonly=True)
    q2c_billing_ref = fields.Char("Billing Reference", copy=False, readonly=True)
    q2c_correction_kind = fields.Selection(
        CORRECTION_KINDS, string="Correction", copy=False, readonly=True
    )
    q2c_fingerprint = fields.Char(
        "Content Fingerprint",
        copy=False,
        readonly=True,
        help="A digest of the values mapped from the last delivery: a delivery with the same "
        "digest is unchanged.",
    )
    q2c_source_updated_at = fields.Datetime("Updated at Source", copy=False, readonly=True)

    _sql_constraints = [
        (
            "q2c_external_uniq",
            "unique(q2c_system_id, q2c_external_id)",
            "A record of a system is imported once: its external id is already used.",
        ),
    ]

    # ------------------------------------------------------------------ guards

    def _q2c_guarded_fields(self):
        """The billing fields (status, hold reason, billed at and by what, corrections): a
        project manager or an integration user writing the record cannot bill it, free it or
        put it on hold; ingestion, billing runs, invoice deletion and corrections write them
        through `_q2c_guarded_write` (or create them in `_q2c_guarded_env`). A record created
        elsewhere (a timesheet in Odoo's Timesheets app) has no billing status: billing never
        takes it."""
        return super()._q2c_guarded_fields() | GUARDED_FIELDS

    def write(self, vals):
        self._q2c_check_billed_write(vals)
        return super().write(vals)

    def _q2c_check_billed_write(self, vals):
        """Refuse a write of a field frozen once billed on a billed record (outside a
        correction), with the reason a person reads. Also called by a concrete model whose
        own write checks run before this mixin's (a timesheet's "not yours")."""
        frozen = BILLED_FIELDS | self._q2c_billed_fields
        if not self.env.context.get("q2c_correction") and not frozen.isdisjoint(vals):
            billed = self.filtered(lambda record: record.q2c_billing_status == "billed")
            if billed:
                raise UserError(
                    _(
                        "%(noun)s %(record)s is billed: it cannot be changed. An edit at the "
                        "source creates a correction (a reversal and a replacement).",
                        noun=self.env._(self._q2c_noun),
                        record=billed[0].display_name,
                    )
                )

    # ------------------------------------------------------------------ hooks of a concrete model

    @api.model
    def _q2c_validate(self, raw):
        """Concrete: one raw entry checked and normalised (a dict with at least the keys of
        `q2c_sync.ingest.validate_common`). Raises InvalidEntry: the entry is rejected."""
        raise NotImplementedError

    @api.model
    def _q2c_read_batch(self, system, entries):
        """Concrete: what mapping and valuing the valid `entries` of one chunk need, read in
        a few queries (references, currencies, a pricer, ...); passed back as `batch` to
        `_q2c_map_entry` and `_q2c_values`."""
        return {}

    @api.model
    def _q2c_map_entry(self, batch, entry):
        """Concrete: the Odoo ids of `entry` and its `fingerprint` (a dict). Raises HeldEntry
        when a reference is not mapped yet (the entry is held) or InvalidEntry when the
        sender must fix it (rejected)."""
        raise NotImplementedError

    @api.model
    def _q2c_values(self, system, batch, entry, mapped):
        """Concrete: the record's values from the source for a create or an update (without
        `q2c_system_id` and `q2c_external_id`), with `q2c_fingerprint`."""
        raise NotImplementedError

    @api.model
    def _q2c_create_records(self, system, vals_list):
        """Concrete when needed: create records of `system` from `vals_list` (new entries,
        replacements) in one `create`, adding what the model computes at creation (pricing,
        company). Returns the records, in order."""
        return self.create(vals_list)

    def _q2c_create_reversal(self, vals):
        """Concrete: add the reversal of this billed record: its billed values with the
        quantities negated, updated with `vals` (origin, kind, approval, fingerprint). Called
        with `q2c_correction` in the context. Returns the reversal."""
        raise NotImplementedError

    def _q2c_write_deleted(self, reason):
        """Concrete when needed: these unbilled records were deleted at the source: keep them
        visible, out of billing, with `reason`."""
        return self._q2c_guarded_write(
            {"q2c_billing_status": "deleted", "q2c_fingerprint": False, "q2c_hold_reason": reason}
        )

    def _q2c_value(self):
        """Concrete: what this record bills, in the contract currency (WIP views, nets of
        corrections)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ ingestion

    @api.model
    def _q2c_ingest(self, system, raw_entries, hold_rejected=False):
        """Write a batch of entries of `system`; one result dict per entry, in order:
        `{"id", "status": created|updated|unchanged|rejected, "reason"?, "held"?, <id key>?}`.

        Set-based: per chunk one read of the references, one search of the existing records
        and one `create(vals_list)`. Idempotent by (system, external id): the same entry again
        is `unchanged`. Invalid entries are `rejected` with the reason and never stop the
        others; unmapped ones are held (q2c.sync.hold) with an exception for a person.

        `hold_rejected` (pulls): a rejected entry is held too, with its reason, since no
        sender reads the answer; nothing a source sends vanishes (issue 11, item 6).
        """
        size = self._q2c_chunk_size
        results = []
        for start in range(0, len(raw_entries), size):
            chunk = raw_entries[start : start + size]
            chunk_results = self._q2c_ingest_chunk(system, chunk)
            if hold_rejected:
                self._q2c_hold_rejected(system, chunk, chunk_results)
            results.extend(chunk_results)
        return results

    @api.model
    def _q2c_hold_rejected(self, system, raw_entries, results):
        """Hold every entry of a pulled chunk that was rejected and not already held (invalid
        as sent, a record its connector could not map, refused by Odoo's own checks), with
        the reason, and mark its result held. A second copy of an entry the chunk imported
        (the same id listed twice) is not held."""
        holds = []
        imported = {str(r["id"]) for r in results if r["status"] != "rejected"}
        for raw, result in zip(raw_entries, results, strict=True):
            if result["status"] != "rejected" or result.get("held"):
                continue
            if str(result.get("id")) in imported:
                continue
            received = raw.get("record", raw) if isinstance(raw, FailedRecord) else raw
            key = hold_key(result.get("id"), received)
            entry = {**received} if isinstance(received, dict) else {"received": received}
            holds.append(({**entry, "external_id": key}, result["reason"]))
            result["held"] = True
        details = _(
            "The source sent entries q2c cannot import as they are. Fix them at the source: "
            "their next pull imports them and releases the hold."
        )
        self.env["q2c.sync.hold"]._hold(system, holds, self._q2c_hold_kind, details=details)

    def _q2c_ingest_chunk(self, system, raw_entries):
        entries, results = split_valid(raw_entries, self._q2c_validate, self._q2c_rejected)
        batch = self._q2c_read_batch(system, [entry for _i, entry in entries.values()])
        current = self._q2c_current_records(system, list(entries))
        to_create, holds = [], []
        for ext, (index, entry) in entries.items():
            try:
                mapped = self._q2c_map_entry(batch, entry)
            except HeldEntry as held:
                holds.append((entry, held.reason))
                results[index] = self._q2c_result(ext, "rejected", held.reason, held=True)
                continue
            except InvalidEntry as error:
                results[index] = self._q2c_rejected(ext, error.reason)
                continue
            record = current.get(ext)
            if not record:
                to_create.append((index, entry, mapped))
            elif record.q2c_fingerprint == mapped["fingerprint"]:
                results[index] = self._q2c_result(ext, "unchanged", record=record)
            else:
                results[index] = self._q2c_update(system, batch, record, entry, mapped)
        for index, result in self._q2c_create(system, batch, to_create):
            results[index] = result
        self._q2c_record_holds(system, entries, results, holds)
        return results

    @api.model
    def _q2c_result(self, external_id, status, reason=None, record=None, held=False):
        result = {"id": external_id, "status": status}
        if reason:
            result["reason"] = reason
        if held:
            result["held"] = True
        if record:
            result[self._q2c_result_id_key] = record.id
        return result

    @api.model
    def _q2c_rejected(self, external_id, reason):
        return self._q2c_result(external_id, "rejected", reason)

    @api.model
    def _q2c_record_holds(self, system, entries, results, holds):
        """Hold the unmapped entries; release the holds of the entries now imported."""
        Hold = self.env["q2c.sync.hold"]
        Hold._hold(system, holds, self._q2c_hold_kind)
        imported = [
            ext
            for ext, (index, _entry) in entries.items()
            if results[index]["status"] != "rejected"
        ]
        Hold._release(system, imported, self._q2c_hold_kind)

    @api.model
    def _q2c_current_records(self, system, external_ids):
        """{external id: the record that now stands for it}: the imported record, or its
        latest correction when it was corrected after billing (a replacement, or the reversal
        alone when the entry was rejected or deleted after billing)."""
        if not external_ids:
            return {}
        records = self.sudo().search(
            [("q2c_system_id", "=", system.id), ("q2c_external_id", "in", external_ids)]
        )
        current = {record.q2c_external_id: record for record in records}
        billed = records.filtered(lambda record: record.q2c_billing_status == "billed")
        if billed:
            corrections = self.sudo().search(
                [("q2c_origin_id", "in", billed.ids), ("q2c_correction_kind", "!=", False)],
                order="id",
            )
            for correction in corrections:
                current[correction.q2c_origin_id.q2c_external_id] = correction
        return {ext: record.with_env(self.env) for ext, record in current.items()}

    @api.model
    def _q2c_create(self, system, batch, to_create):
        """Create the new records in one `create(vals_list)`; if the batch is refused (an
        archived employee, say), fall back to one savepoint per entry so the valid ones land.
        Returns (index, result) pairs."""
        if not to_create:
            return []
        vals_list = [
            {
                **self._q2c_values(system, batch, entry, mapped),
                "q2c_system_id": system.id,
                "q2c_external_id": entry["external_id"],
            }
            for _index, entry, mapped in to_create
        ]
        try:
            with self.env.cr.savepoint():
                records = self._q2c_guarded_env()._q2c_create_records(system, vals_list)
                records = records.with_env(self.env)
        except IntegrityError as error:
            self._q2c_raise_if_concurrent(error)
            raise
        except REFUSALS as error:
            _logger.info("q2c: batch create of %s refused (%s); one by one", self._name, error)
            pairs = zip(to_create, vals_list, strict=True)
            return [self._q2c_create_one(system, item, vals) for item, vals in pairs]
        return [
            (index, self._q2c_result(entry["external_id"], "created", record=record))
            for (index, entry, _mapped), record in zip(to_create, records, strict=True)
        ]

    @api.model
    def _q2c_raise_if_concurrent(self, error):
        """A create refused by the unique (system, external id) index: the records of this
        batch were searched and not found, so a concurrent transaction stored one since;
        ConcurrentIngest makes Odoo replay the request, which then finds it."""
        raise_if_concurrent(error, f"{self._table}_q2c_external_uniq")

    @api.model
    def _q2c_create_one(self, system, item, vals):
        index, entry, _mapped = item
        try:
            with self.env.cr.savepoint():
                record = self._q2c_guarded_env()._q2c_create_records(system, [vals])
                record = record.with_env(self.env)
        except IntegrityError as error:
            self._q2c_raise_if_concurrent(error)
            raise
        except REFUSALS as error:
            return index, self._q2c_rejected(entry["external_id"], str(error)[:300])
        return index, self._q2c_result(entry["external_id"], "created", record=record)

    @api.model
    def _q2c_update(self, system, batch, record, entry, mapped):
        """An entry changed at the source. Unbilled: update in place. Billed: a correction.
        A record approved before keeps its approval time while it stays approved."""
        ext = entry["external_id"]
        vals = self._q2c_values(system, batch, entry, mapped)
        if (
            record.q2c_approval_state == "approved"
            and record.q2c_approved_at
            and entry["approval_state"] == "approved"
            and record.q2c_correction_kind != "reversal"
        ):
            vals["q2c_approved_at"] = record.q2c_approved_at
        try:
            with self.env.cr.savepoint():
                if record.q2c_correction_kind == "reversal":
                    record = record._q2c_add_replacement(vals)
                elif record.q2c_billing_status == "billed":
                    record = record._q2c_correct(vals)
                else:
                    record._q2c_guarded_write(vals)
        except REFUSALS as error:
            return self._q2c_rejected(ext, str(error)[:300])
        return self._q2c_result(ext, "updated", record=record)

    # ------------------------------------------------------------------ corrections

    def _q2c_correct(self, vals):
        """Billed history is immutable (billing-domain.md 1.9): add a reversal at the billed
        values and, unless the entry was rejected, a replacement from `vals` priced on its
        own. Returns the replacement (or the reversal, which then stands for the entry and
        keeps the fingerprint of what was delivered: the same rejection again is
        `unchanged`)."""
        self.ensure_one()
        origin = self.q2c_origin_id or self
        rejected = vals["q2c_approval_state"] == "rejected"
        released = self._q2c_guarded_env().with_context(q2c_correction=True)
        reversal = released._q2c_create_reversal(
            {
                **self._q2c_correction_common(origin),
                "q2c_correction_kind": "reversal",
                "q2c_approval_state": "approved",
                "q2c_approved_at": fields.Datetime.now(),
                "q2c_fingerprint": vals.get("q2c_fingerprint") if rejected else False,
            }
        )
        reversal = reversal.with_env(self.env)
        if rejected:
            return reversal
        return self._q2c_add_replacement(vals)

    def _q2c_add_replacement(self, vals):
        """A replacement of this record's origin from `vals` (the entry as delivered now);
        the record (billed, or a reversal), like all billed history, stays as it is."""
        self.ensure_one()
        origin = self.q2c_origin_id or self
        replacement = {
            **vals,
            **self._q2c_correction_common(origin),
            "q2c_correction_kind": "replacement",
        }
        records = self._q2c_guarded_env()._q2c_create_records(origin.q2c_system_id, [replacement])
        return records.with_env(self.env)

    @api.model
    def _q2c_correction_common(self, origin):
        return {
            "q2c_system_id": origin.q2c_system_id.id,
            "q2c_external_id": False,
            "q2c_origin_id": origin.id,
        }

    # ------------------------------------------------------------------ deletions at the source

    @api.model
    def _q2c_missing_at_source(self, system, date_from, date_to, listed_ids):
        """(how many entries of `system` Odoo holds for dates `date_from`..`date_to`, the
        current records of those not in `listed_ids`): what a complete re-read of the window
        no longer lists. Records already marked deleted or reversed are left out."""
        records = self.sudo().search(
            [
                ("q2c_system_id", "=", system.id),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
                "|",
                ("q2c_external_id", "!=", False),
                ("q2c_correction_kind", "=", "replacement"),
            ]
        )
        external_ids = {
            record.q2c_external_id or record.q2c_origin_id.q2c_external_id for record in records
        }
        current = self._q2c_current_records(system, list(external_ids))
        present = {
            ext: record
            for ext, record in current.items()
            if date_from <= record.date <= date_to
            and record.q2c_billing_status != "deleted"
            and record.q2c_correction_kind != "reversal"
        }
        listed = {str(ext) for ext in listed_ids}
        missing = self.browse([record.id for ext, record in present.items() if ext not in listed])
        return len(present), missing

    def _q2c_mark_deleted_at_source(self, reason):
        """The entries were deleted at the source. Not billed: the record stays, visible, out
        of billing (`_q2c_write_deleted`). Billed: history is not changed; a reversal at the
        billed values is added (billing-domain.md 1.9, like a rejection after billing).
        Either way a later delivery of the entry restores it (the fingerprint no longer
        matches)."""
        billed = self.filtered(lambda record: record.q2c_billing_status == "billed")
        (self - billed)._q2c_write_deleted(reason)
        for record in billed:
            reversal = record._q2c_correct({"q2c_approval_state": "rejected"})
            reversal._q2c_guarded_write({"q2c_hold_reason": reason})
        return self

    # ------------------------------------------------------------------ billing

    @api.model
    def _q2c_billable_domain(self, contract, cutoff):
        """Records a billing run of `contract` (one contract, or several read together)
        with cut-off `cutoff` takes: approved before the cut-off, billable, not billed. An
        approval after the cut-off waits for the next run and keeps the price of its work
        date (GC-12)."""
        return [
            ("q2c_contract_id", "in", contract.ids),
            ("q2c_billing_status", "=", "to_bill"),
            ("q2c_approved_at", "<=", cutoff),
        ]

    def _q2c_mark_billed(self, reference):
        """Freeze the records as billed by `reference` (the billing run's invoice)."""
        return self._q2c_guarded_write(self._q2c_billed_values(reference))

    @api.model
    def _q2c_billed_values(self, reference):
        """What marking records billed by `reference` writes (a billing run writes them
        with the invoice line that billed the records, in one write)."""
        return {
            "q2c_billing_status": "billed",
            "q2c_billed_at": fields.Datetime.now(),
            "q2c_billing_ref": reference,
        }
