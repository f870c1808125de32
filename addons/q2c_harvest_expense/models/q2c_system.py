from datetime import timedelta

from odoo import _, api, fields, models
from odoo.addons.q2c_base.exceptions import MappingError
from odoo.addons.q2c_harvest.models.q2c_system import HARVEST_API, HARVEST_MAX_PER_PAGE
from odoo.addons.q2c_sync.ingest import map_records
from odoo.exceptions import ValidationError

# The stream of a Harvest run that reads expenses (after the time entries and their
# deletion check).
EXPENSES = "expenses"


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    # Off by default: the bridge installs itself, and an existing system should not start
    # reading every expense (holding each one of an unmapped category) unasked.
    harvest_pull_expenses = fields.Boolean(
        "Pull Expenses",
        help="Each pull run of this system (see Pull) also reads the expenses "
        "updated in Harvest and writes them as Odoo expenses, re-billed by the contract's "
        "expense policy. The integration user needs Expenses: All Approver.",
    )
    harvest_currency_id = fields.Many2one(
        "res.currency",
        string="Harvest Account Currency",
        help="The currency of the Harvest account: Harvest records expense amounts in it "
        "and names no currency on the expense. Empty: the company's currency.",
    )
    harvest_expense_watermark = fields.Datetime(
        "Expenses Pulled Up To",
        readonly=True,
        copy=False,
        help="Expenses updated since this moment (minus the overlap) are read by the next "
        "run. Empty: every expense (the first run, or expenses switched on later). It "
        "advances when every expense page of a run is written.",
    )

    @api.constrains("harvest_pull_expenses", "user_id")
    def _check_harvest_expense_user(self):
        """Without the expense rights every expense page would die, and each run would end
        partial, holding back the time watermark too: refuse it when it is set."""
        group = "hr_expense.group_hr_expense_user"
        for system in self.filtered("harvest_pull_expenses"):
            if system.user_id and not system.user_id.sudo().has_group(group):
                raise ValidationError(
                    _(
                        "%(user)s, the integration user of %(system)s, needs Expenses: All "
                        "Approver to pull expenses: press Grant Missing Rights first.",
                        user=system.user_id.name,
                        system=system.name,
                    )
                )

    def _integration_user_groups(self):
        """A Harvest system may pull expenses (Pull Expenses, refused without this group):
        Expenses / All Approver, declared for every Harvest system so that the box can be
        ticked once the integration user is created or granted its rights."""
        groups = super()._integration_user_groups()
        if self.system_type == "harvest":
            groups |= self.env.ref("hr_expense.group_hr_expense_user")
        return groups

    def action_harvest_reread_expenses(self):
        """Clear the expense watermark: the next run reads every Harvest expense again (those
        written are found unchanged), so an expense held for a mapping added since, and not
        edited in Harvest since, is imported."""
        self.check_access("write")
        self.sudo().harvest_expense_watermark = False
        return True

    # --- pull hooks (the Harvest connector's, extended) -----------------------------------

    def _sync_extra_streams(self, run):
        """Expenses are read last: a dead expense page does not stop the time entries'
        deletion check, which is skipped after any dead page."""
        streams = super()._sync_extra_streams(run)
        if self.system_type != "harvest" or not self.harvest_pull_expenses:
            return streams
        return [*streams, EXPENSES]

    def _sync_stream_model(self, stream):
        """The expenses stream is written by the expense ingestion (`q2c_expense`)."""
        if self.system_type != "harvest" or stream != EXPENSES:
            return super()._sync_stream_model(stream)
        return "hr.expense"

    def _sync_fetch_stream_page(self, page):
        if self.system_type != "harvest" or page.stream != EXPENSES:
            return super()._sync_fetch_stream_page(page)
        return self._harvest_fetch_expenses(page)

    def _sync_run_complete(self, run):
        """Advance the expense watermark when the run read every expense page."""
        result = super()._sync_run_complete(run)
        if self.system_type != "harvest":
            return result
        pages = run.page_ids.filtered(lambda page: page.stream == EXPENSES)
        if pages and set(pages.mapped("state")) == {"done"}:
            self.sudo().harvest_expense_watermark = run.started_at
        return result

    # --- Harvest expenses ------------------------------------------------------------------

    def _harvest_expenses_since(self):
        """`updated_since` of the expense read: the expense watermark minus the overlap,
        not the run's window, so that expenses switched on for a system already pulling
        time are read in full once. It moves only when a run closes, so every page of a
        run asks the same question."""
        if not self.harvest_expense_watermark:
            return None
        return self.harvest_expense_watermark - timedelta(
            minutes=max(self.pull_overlap_minutes, 0)
        )

    def _harvest_fetch_expenses(self, page):
        """GET /expenses with page-number paging: page 1 tells `total_pages`, and the other
        pages are independent jobs, as for time entries."""
        params = {
            "page": page.page_no,
            "per_page": min(max(self.pull_page_size, 1), HARVEST_MAX_PER_PAGE),
        }
        since = self._harvest_expenses_since()
        if since:
            params["updated_since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        base = self.base_url or HARVEST_API
        data = self._call("GET", f"{base.rstrip('/')}/expenses", params=params).json()
        return self._harvest_parse_expenses(data)

    def _harvest_parse_expenses(self, data):
        """(normalised expenses of `q2c_expense.ingest.validate`, total pages)."""
        if not isinstance(data, dict) or not isinstance(data.get("expenses"), list):
            raise MappingError("Harvest answered without an expenses list")
        return map_records(data["expenses"], self._harvest_expense, "id"), data.get("total_pages")

    def _harvest_expense(self, expense):
        """One Harvest v2 expense as a normalised expense. Approval follows the time rule
        (`_harvest_approval_state`: `is_closed` is Harvest's documented approval flag);
        Harvest gives no approval time, so an approval is the expense's last update."""
        state = self._harvest_approval_state(expense)
        updated_at = expense.get("updated_at")
        receipt = expense.get("receipt") or {}
        return {
            "external_id": expense.get("id"),
            "employee": (expense.get("user") or {}).get("id"),
            "project": (expense.get("project") or {}).get("id"),
            "category": (expense.get("expense_category") or {}).get("id"),
            "date": expense.get("spent_date"),
            "amount": expense.get("total_cost"),
            "currency": self.harvest_currency_id.name or None,
            # Units count for unit-priced categories (mileage); others may send none.
            "quantity": expense.get("units") or None,
            "description": expense.get("notes") or "",
            "receipt": receipt.get("url") or receipt.get("file_name") or "",
            "billable": bool(expense.get("billable")),
            "approval_state": state,
            "approved_at": updated_at if state == "approved" else None,
            "updated_at": updated_at,
        }
