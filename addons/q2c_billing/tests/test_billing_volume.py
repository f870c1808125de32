from unittest.mock import patch

from odoo import Command
from odoo.addons.q2c_expense.tests.common import GC05_POLICY, create_gc05_products
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import Q2cBillingCase

APPROVED = "2025-03-31T12:00:00Z"
CUTOFF = "2025-04-03 10:00:00"


@tagged("post_install", "-at_install")
class TestBillingVolume(Q2cBillingCase):
    """Volume (docs/billing.md): a job, after its own contract, bills a batch of its run's
    other contracts still to do, their invoices in one `account.move` create; each contract
    is billed once, a blocked one is recorded without stopping the others, and the other
    contracts' own jobs then do nothing.

    Worked numbers (Consultant at 160.00 an hour on the card, no tax on the test chart's
    sales): C-900 6.00 h -> 960.00; C-901 2.50 h -> 400.00; C-902 1.25 h -> 200.00; C-903
    Gina 1.00 h, but Carol (Partner) has no rate: blocked, nothing of it billed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        consultant = cls._role("Consultant")
        cls.gina = cls._employee("Gina", consultant)
        cls._employee("Carol", cls._role("Partner"))
        card = cls._card("C-900 card", [(consultant, 160.0, "2025-01-01", None)])
        cls.contracts = cls.env["q2c.contract"]
        for n in range(4):
            cls.contracts |= cls._contract(f"C-90{n}", cls._project(f"P-90{n}"), cards=card)
        cls._ingest_time("P-900", [("v0", "Gina", "2025-03-10", 6.0, APPROVED)])
        cls._ingest_time("P-901", [("v1", "Gina", "2025-03-11", 2.5, APPROVED)])
        cls._ingest_time("P-902", [("v2", "Gina", "2025-03-12", 1.25, APPROVED)])
        cls._ingest_time(
            "P-903",
            [
                ("v3", "Gina", "2025-03-13", 1.0, APPROVED),
                ("v4", "Carol", "2025-03-13", 2.0, APPROVED),
            ],
        )

    def _prepared(self, contracts=None):
        contracts = contracts or self.contracts
        run = self._new_run("2025-03-01", "2025-03-31", CUTOFF, "2025-04-03", contracts)
        run.with_user(self.finance_user).action_prepare()
        return run, {line.contract_id.name: line for line in run.line_ids}

    def _invoices(self, contract):
        return self.env["account.move"].search([("q2c_contract_id", "=", contract.id)])

    def _assert_billed_once(self, lines):
        for name, total, entry in (
            ("C-900", 960.00, "v0"),
            ("C-901", 400.00, "v1"),
            ("C-902", 200.00, "v2"),
        ):
            line = lines[name]
            self.assertEqual(line.state, "done", name)
            self.assertEqual(self._invoices(line.contract_id), line.invoice_id, name)
            self.assertAmount(line.invoice_id.amount_total, total, name)
            self.assertEqual(self._time(entry).q2c_invoice_id, line.invoice_id, name)
            self.assertEqual(self._time(entry).q2c_billing_status, "billed", name)
        blocked = lines["C-903"]
        self.assertEqual(blocked.state, "blocked")
        self.assertIn("Carol 2025-03-13 2.00 h", blocked.reason)
        self.assertFalse(self._invoices(blocked.contract_id))
        self.assertEqual(self._time("v3").q2c_billing_status, "to_bill")

    def test_first_job_bills_its_siblings_once_and_their_jobs_do_nothing(self):
        run, lines = self._prepared()
        first = self._perform(lines["C-900"].job_uuid)
        self._assert_billed_once(lines)
        self.assertEqual(run.state, "invoiced", "no contract is left to do after one job")
        self.assertIn(lines["C-900"].invoice_id.display_name, first.result)
        self.assertIn("also billed by this job", first.result)
        self.assertIn("C-901", first.result)
        self.assertIn("C-903", first.result, "the blocked sibling is named too")
        for name in ("C-901", "C-902", "C-903"):
            job = self._perform(lines[name].job_uuid)
            self.assertIn("Nothing to do", job.result, name)
        self._assert_billed_once(lines)

    def test_siblings_invoices_in_one_create_else_one_by_one(self):
        """The job's own invoice (C-900) and its siblings' two (C-901, C-902) come from one
        create; when that create fails, each is created alone and all are still billed
        once."""
        Line = type(self.env["q2c.billing.run.line"])
        original = Line._create_moves
        sizes = []

        def create_moves(line, vals_list):
            sizes.append(len(vals_list))
            return original(line, vals_list)

        run, lines = self._prepared()
        with patch.object(Line, "_create_moves", create_moves):
            self._perform(lines["C-900"].job_uuid)
        self.assertEqual(sizes, [3], "its own invoice and the siblings' in one create")
        self._assert_billed_once(lines)

    def test_one_create_failing_falls_back_to_one_by_one(self):
        Line = type(self.env["q2c.billing.run.line"])
        original = Line._create_moves
        sizes = []

        def create_moves(line, vals_list):
            sizes.append(len(vals_list))
            if len(vals_list) > 1:
                raise ValueError("one create refused")
            return original(line, vals_list)

        run, lines = self._prepared()
        with patch.object(Line, "_create_moves", create_moves):
            self._perform(lines["C-900"].job_uuid)
        self.assertEqual(sizes, [3, 1, 1, 1])
        self._assert_billed_once(lines)
        self.assertEqual(run.state, "invoiced")

    def test_own_contract_failing_unexpectedly_alone_fails_the_job(self):
        """The one create fails, then the job's own contract (C-900) fails unexpectedly
        when created alone: the job fails (queue_job retries it), as it does when its
        contract is billed without siblings."""
        Line = type(self.env["q2c.billing.run.line"])
        original = Line._create_moves

        def create_moves(line, vals_list):
            if len(vals_list) > 1:
                raise ValueError("one create refused")
            if line.contract_id.name == "C-900":
                raise RuntimeError("unexpected")
            return original(line, vals_list)

        run, lines = self._prepared()
        with (
            patch.object(Line, "_create_moves", create_moves),
            self.assertRaisesRegex(RuntimeError, "unexpected"),
        ):
            self._perform(lines["C-900"].job_uuid)

    def test_draft_followed_by_its_creator_without_creation_message(self):
        """The drafts are created without Odoo's creation message and tracking (the run's
        result is their history); the Finance user who prepared the run follows each, as
        Odoo's own create would make them."""
        run, lines = self._prepared()
        self._perform(lines["C-900"].job_uuid)
        invoices = (lines["C-900"] | lines["C-901"] | lines["C-902"]).invoice_id
        self.assertEqual(len(invoices), 3)
        for invoice in invoices:
            self.assertEqual(invoice.message_partner_ids, self.finance_user.partner_id)
            self.assertFalse(invoice.message_ids)

    def test_entries_linked_and_marked_billed_in_one_write_per_invoice_line(self):
        """Each invoice line's entries get the link to it and the billed status in one
        write (C-900, C-901 and C-902 have one line each: three writes)."""
        Time = type(self.env["account.analytic.line"])
        original = Time._q2c_guarded_write
        written = []

        def guarded_write(records, vals):
            written.append((len(records), sorted(vals)))
            return original(records, vals)

        run, lines = self._prepared()
        with patch.object(Time, "_q2c_guarded_write", guarded_write):
            self._perform(lines["C-900"].job_uuid)
        fields = ["q2c_billed_at", "q2c_billing_ref", "q2c_billing_status", "q2c_invoice_line_id"]
        self.assertEqual(written, [(1, fields)] * 3)
        self._assert_billed_once(lines)
        reference = f"{run.name} {lines['C-900'].contract_id.code}"
        self.assertEqual(self._time("v0").q2c_billing_ref, reference)

    def test_lines_take_the_account_odoo_gives_a_line_without_product(self):
        """A line without a product of a draft invoice takes, in Odoo, the customer's most
        frequent income account over the last two years, else the sales journal's: the
        run asks it once per invoice and gets what Odoo gives such a line. Here the
        customer's earlier invoice used another income account (Consulting 400900)."""
        other = self.env["account.account"].create(
            {"name": "Consulting", "code": "400900", "account_type": "income"}
        )
        journal = self.company_data["default_journal_sale"]
        earlier = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": "2025-02-28",
                "journal_id": journal.id,
                "invoice_line_ids": [
                    Command.create({"name": "Earlier", "price_unit": 10.0, "account_id": other.id})
                ],
            }
        )
        odoo_line = (
            self.env["account.move"]
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "journal_id": journal.id,
                    "invoice_line_ids": [Command.create({"name": "Odoo", "price_unit": 1.0})],
                }
            )
            .invoice_line_ids
        )
        self.assertEqual(odoo_line.account_id, other, "Odoo's own choice for such a line")
        self.assertNotEqual(journal.default_account_id, other)
        run, lines = self._prepared()
        self._perform(lines["C-900"].job_uuid)
        invoices = (lines["C-900"] | lines["C-901"] | lines["C-902"]).invoice_id
        self.assertEqual(invoices.invoice_line_ids.account_id, other)
        self.assertTrue(earlier)

    def test_sibling_failing_unexpectedly_is_left_to_its_own_job(self):
        """C-901's invoice plan fails with an unexpected error: its writes are undone, it
        stays to do for its own job, which then bills it; the others are billed."""
        Line = type(self.env["q2c.billing.run.line"])
        original = Line._invoice_plan

        def invoice_plan(line):
            plan = original(line)
            if line.contract_id.name == "C-901":
                raise RuntimeError("unexpected")
            return plan

        run, lines = self._prepared()
        with (
            patch.object(Line, "_invoice_plan", invoice_plan),
            mute_logger("odoo.addons.q2c_billing.models.q2c_billing_run_line"),
        ):
            self._perform(lines["C-900"].job_uuid)
        self.assertEqual(lines["C-901"].state, "to_do")
        self.assertEqual(self._time("v1").q2c_billing_status, "to_bill")
        self.assertEqual(lines["C-902"].state, "done")
        self.assertEqual(run.state, "preparing")
        self._perform(lines["C-901"].job_uuid)
        self._assert_billed_once(lines)
        self.assertEqual(run.state, "invoiced")

    def test_batch_of_zero_bills_one_contract_per_job(self):
        self.env["ir.config_parameter"].sudo().set_param("q2c_billing.job_batch", "0")
        run, lines = self._prepared()
        self._perform(lines["C-900"].job_uuid)
        self.assertEqual(lines["C-900"].state, "done")
        self.assertEqual(lines["C-901"].state, "to_do")
        self.assertEqual(run.state, "preparing")
        for name in ("C-901", "C-902", "C-903"):
            self._perform(lines[name].job_uuid)
        self._assert_billed_once(lines)

    def test_capped_sibling_is_left_to_its_own_job(self):
        """A contract with a not-to-exceed cap (C-904, cap 10,000.00, 1.00 h -> 160.00)
        locks its contract row in its own job: it is never taken as a sibling."""
        card = self.contracts[0].rate_card_ids
        capped = self._contract(
            "C-904", self._project("P-904"), cards=card, nte_original_amount=10000.0
        )
        self._ingest_time("P-904", [("v5", "Gina", "2025-03-14", 1.0, APPROVED)])
        run, lines = self._prepared(self.contracts | capped)
        self._perform(lines["C-900"].job_uuid)
        self.assertEqual(lines["C-904"].state, "to_do")
        self.assertEqual(lines["C-902"].state, "done")
        self._perform(lines["C-904"].job_uuid)
        self.assertAmount(lines["C-904"].invoice_id.amount_total, 160.00)
        self._assert_billed_once(lines)
        self.assertEqual(run.state, "invoiced")

    def test_sibling_jobs_still_queued_are_marked_done_by_the_job_that_billed_them(self):
        """C-900's job bills C-901, C-902 (done) and C-903 (blocked): their jobs, still
        pending, are marked done in its transaction with what happened, so the runner
        never starts them; C-902's job, already handed to a worker (enqueued), is left to
        run and finds nothing to do."""
        run, lines = self._prepared()
        Queue = self.env["queue.job"]
        enqueued = Queue.search([("uuid", "=", lines["C-902"].job_uuid)])
        self.env.cr.execute("UPDATE queue_job SET state = 'enqueued' WHERE id = %s", [enqueued.id])
        enqueued.invalidate_recordset()
        self._perform(lines["C-900"].job_uuid)
        self._assert_billed_once(lines)
        jobs = {name: Queue.search([("uuid", "=", lines[name].job_uuid)]) for name in lines}
        for name in ("C-901", "C-903"):
            self.assertEqual(jobs[name].state, "done", name)
            self.assertIn("billed by the job of", jobs[name].result, name)
            self.assertIn("C-900", jobs[name].result, name)
        self.assertEqual(jobs["C-902"].state, "enqueued")
        self.assertIn("Nothing to do", self._perform(lines["C-902"].job_uuid).result)

    def test_batch_reads_answer_as_each_contract_reads(self):
        """While a batch is planned, each contract's entries and its day-rate answer come
        from the batch's set-based reads (`_read_batch`), and they are what its own reads
        give: C-901 has a day override (its hours at 160.00 still bill in hours: the day
        rate is not the entry's stored rate), C-902 a day card, C-905 an approved hotel
        expense of 489.25 + 10% = 538.18 beside Gina's 1.00 h -> 160.00 (698.18).
        C-903 (Carol without a rate) is left to its own reads, which block it with the
        details."""
        categories, _products = create_gc05_products(self.env, self.system, "volume test")
        card = self.contracts[0].rate_card_ids
        with_expense = self._contract(
            "C-905",
            self._project("P-905"),
            cards=card,
            expense_policy_ids=[
                Command.create({"product_categ_id": categories[name].id, **vals})
                for name, vals in GC05_POLICY.items()
            ],
        )
        self._ingest_time("P-905", [("v6", "Gina", "2025-03-17", 1.0, APPROVED)])
        results = (
            self.env["hr.expense"]
            .sudo()
            ._q2c_ingest(
                self.system,
                [
                    {
                        "external_id": "x1",
                        "employee": "u-Gina",
                        "project": "P-905",
                        "category": "hotel",
                        "date": "2025-03-07",
                        "amount": 489.25,
                        "approved_at": APPROVED,
                    }
                ],
            )
        )
        self.assertEqual(results[0]["status"], "created", results)
        self.contracts[1].rate_override_ids = [
            Command.create(
                {
                    "employee_id": self.gina.id,
                    "rate": 1000.0,
                    "unit": "day",
                    "hours_per_day": 8.0,
                    "date_from": "2025-01-01",
                }
            )
        ]
        day_card = self._card("Day card", [(self._role("Partner"), 1500.0, "2025-01-01", None)])
        day_card.line_ids.write({"unit": "day", "hours_per_day": 8.0})
        self.contracts[2].rate_card_ids |= day_card
        run, lines = self._prepared(self.contracts | with_expense)
        results = run.line_ids.with_user(self.finance_user)
        reads = results._read_batch()
        self.assertNotIn(lines["C-903"].id, reads, "left to its own reads")
        for result in results - lines["C-903"]:
            name = result.contract_id.name
            time, expenses = result._entries_to_bill()
            self.assertEqual(reads[result.id]["time"], time, name)
            self.assertTrue(time, name)
            self.assertEqual(reads[result.id]["expenses"], expenses, name)
            self.assertEqual(reads[result.id]["day_rates"], result._day_rates_possible(), name)
        self.assertEqual(
            {name: reads[lines[name].id]["day_rates"] for name in ("C-900", "C-901", "C-902")},
            {"C-900": False, "C-901": True, "C-902": True},
        )
        self.assertTrue(reads[lines["C-905"].id]["expenses"])
        self._perform(lines["C-900"].job_uuid)
        self._assert_billed_once(lines)
        self.assertEqual(lines["C-905"].state, "done", lines["C-905"].reason)
        self.assertEqual(lines["C-905"].expense_count, 1)
        self.assertAmount(lines["C-905"].invoice_id.amount_total, 698.18)

    def test_a_job_that_still_sees_contracts_to_do_leaves_the_question_to_a_job(self):
        """One contract per job (batch 0): C-900's job sees C-901 to C-903 still to do, so
        it leaves the run's row alone and enqueues "move on once every contract is done";
        asked now, that job finds contracts to do and leaves the run preparing. Jobs of one
        run that end at the same time each see the other's contract to do: here C-901 and
        C-902 are billed, then C-903 is settled by a transaction this test stands in for
        (blocked, without its job's end). The question left behind then finds no contract to
        do and moves the run on; asked again, it changes nothing."""
        self.env["ir.config_parameter"].sudo().set_param("q2c_billing.job_batch", "0")
        run, lines = self._prepared()
        self._perform(lines["C-900"].job_uuid)
        finishing = self._finishing(run)
        self.assertEqual(len(finishing), 1)
        self.assertIn("Billing run", finishing.name)
        self.assertEqual(run.last_job_at, False, "the run's row is left alone")
        self.assertIn("preparing", self._perform(finishing.uuid).result.lower())
        self.assertEqual(run.state, "preparing")
        for name in ("C-901", "C-902"):
            self._perform(lines[name].job_uuid)
        self.assertEqual(run.state, "preparing")
        lines["C-903"].write({"state": "blocked", "reason": "settled elsewhere"})
        later = self._finishing(run).filtered(lambda job: job.state == "pending")
        self.assertTrue(later)
        self._perform(later[0].uuid)
        self.assertEqual(run.state, "invoiced")
        self.assertTrue(run.last_job_at)
        for job in later[1:]:
            self._perform(job.uuid)
        self.assertEqual(run.state, "invoiced")

    def _finishing(self, run):
        """The run's "move on once every contract is done" jobs, oldest first."""
        return (
            self.env["queue.job"]
            .search(
                [
                    ("model_name", "=", "q2c.billing.run"),
                    ("method_name", "=", "_job_finish_if_complete"),
                ],
                order="id",
            )
            .filtered(lambda job: job.records == run)
        )
