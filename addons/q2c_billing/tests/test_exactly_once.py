from unittest.mock import patch

import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import Q2cBillingCase

APPROVED = "2025-03-31T12:00:00Z"
CUTOFF = "2025-04-03 10:00:00"


@tagged("post_install", "-at_install")
class TestExactlyOnce(Q2cBillingCase):
    """A contract has at most one billing document per period, whatever re-runs or races."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = cls._role("Consultant")
        cls.gina = cls._employee("Gina", cls.consultant)
        card = cls._card("C-700 card", [(cls.consultant, 160.0, "2025-01-01", None)])
        cls.contract = cls._contract("C-700", cls._project("P-700"), cards=card)
        cls.other = cls._contract("C-701", cls._project("P-701"), cards=card)
        cls._ingest_time(
            "P-700",
            [
                ("x1", "Gina", "2025-03-27", 6.0, APPROVED),
                ("x2", "Gina", "2025-03-28", 2.0, APPROVED),
            ],
        )
        cls._ingest_time("P-701", [("y1", "Gina", "2025-03-27", 1.0, APPROVED)])

    def _march(self, contracts=None):
        return self._new_run(
            "2025-03-01", "2025-03-31", CUTOFF, "2025-04-03", contracts=contracts or self.contract
        )

    def _prepare_blind_to_holders(self, run):
        """Prepare `run` as in a race: the search for another run's claim finds nothing,
        so only the database's unique constraint can refuse a claim."""
        Line = type(self.env["q2c.billing.run.line"])
        original_search = Line.search

        def search_blind(model, domain, *args, **kwargs):
            if ("period_key", "!=", False) in domain:
                return model.browse()
            return original_search(model, domain, *args, **kwargs)

        with patch.object(Line, "search", search_blind):
            run.with_user(self.finance_user).action_prepare()

    def _invoices(self, contract):
        return self.env["account.move"].search([("q2c_contract_id", "=", contract.id)])

    def test_prepare_enqueues_one_job_per_contract_on_the_billing_channel(self):
        run = self._march(self.contract | self.other)
        run.with_user(self.finance_user).action_prepare()
        self.assertEqual(run.state, "preparing")
        jobs = self.env["queue.job"].search([("uuid", "in", run.line_ids.mapped("job_uuid"))])
        self.assertEqual(len(jobs), 2)
        self.assertEqual(set(jobs.mapped("channel")), {"root.billing"})
        self.assertEqual(set(jobs.mapped("method_name")), {"_bill_contract"})
        self.assertEqual(jobs.user_id, self.finance_user)
        self.assertEqual({job.records.id for job in jobs}, set(run.line_ids.ids))
        self.assertFalse(self._invoices(self.contract), "nothing is billed before the jobs run")

    def test_job_twice_bills_once(self):
        """8.00 h x 160.00 = 1,280.00, once: the job performed again does nothing."""
        run = self._march()
        run.with_user(self.finance_user).action_prepare()
        uuid = run.line_ids.job_uuid
        self._perform(uuid)
        invoice = run.line_ids.invoice_id
        self.assertAmount(invoice.amount_total, 1280.00)
        job = self._perform(uuid)
        self.assertIn("Nothing to do", job.result)
        # Even the method called directly on a result already done bills nothing.
        run.line_ids.with_user(self.finance_user)._bill_contract()
        self.assertEqual(self._invoices(self.contract), invoice)
        self.assertEqual(run.state, "invoiced")

    def test_two_runs_for_the_same_period_bill_once(self):
        first, second = self._march(), self._march()
        first.with_user(self.finance_user).action_prepare()
        second.with_user(self.finance_user).action_prepare()
        self.assertEqual(second.line_ids.state, "blocked")
        self.assertIn(first.name, second.line_ids.reason)
        self.assertFalse(second.line_ids.job_uuid)
        self.assertEqual(second.state, "invoiced", "a run whose contracts are all blocked ends")
        self._perform(first.line_ids.job_uuid)
        self.assertEqual(len(self._invoices(self.contract)), 1)

    def test_database_decides_between_racing_claims(self):
        """Two runs that both passed the overlap search at the same time: the unique index
        on (contract, period) refuses the second claim, and _claim turns it into a blocked
        result instead of a second billing document."""
        first, second = self._march(), self._march()
        first.with_user(self.finance_user).action_prepare()
        Line = self.env["q2c.billing.run.line"]
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            Line.create(
                {
                    "run_id": second.id,
                    "contract_id": self.contract.id,
                    "period_key": first.line_ids.period_key,
                }
            )
        # The overlap search finds nothing (as in a race), the database still decides.
        self._prepare_blind_to_holders(second)
        self.assertEqual(second.line_ids.state, "blocked")
        self.assertIn("same period at the same time", second.line_ids.reason)
        self._perform(first.line_ids.job_uuid)
        self.assertEqual(len(self._invoices(self.contract)), 1)

    def test_race_on_one_contract_leaves_the_others_claimed(self):
        """A run over two contracts loses the race for one of them only: the claims are
        created together, and when the database refuses that batch each claim is retried
        alone, so C-701 is still claimed (and billed) while C-700 is blocked."""
        first = self._march()
        first.with_user(self.finance_user).action_prepare()
        second = self._march(self.contract | self.other)
        self._prepare_blind_to_holders(second)
        by_contract = {line.contract_id: line for line in second.line_ids}
        self.assertEqual(by_contract[self.contract].state, "blocked")
        self.assertIn("same period at the same time", by_contract[self.contract].reason)
        self.assertEqual(by_contract[self.other].state, "to_do")
        self.assertTrue(by_contract[self.other].job_uuid)
        self._perform(by_contract[self.other].job_uuid)
        self._perform(first.line_ids.job_uuid)
        self.assertEqual(len(self._invoices(self.contract)), 1)
        self.assertEqual(len(self._invoices(self.other)), 1)

    def test_claiming_is_set_based(self):
        """Claiming ten contracts costs the same number of holder searches as claiming one:
        one search for all of them (no per-contract round trip)."""
        card = self.contract.rate_card_ids
        contracts = self.contract | self.other
        for index in range(8):
            contracts |= self._contract(f"C-71{index}", self._project(f"P-71{index}"), cards=card)
        Line = self.env["q2c.billing.run.line"]
        searches = []
        original_search = type(Line).search

        def counting_search(model, domain, *args, **kwargs):
            if ("period_key", "!=", False) in domain:
                searches.append(domain)
            return original_search(model, domain, *args, **kwargs)

        run = self._march(contracts)
        with patch.object(type(Line), "search", counting_search):
            lines = Line._claim(run, contracts)
        self.assertEqual(len(searches), 1)
        self.assertEqual(len(lines), 10)
        self.assertEqual(set(lines.mapped("state")), {"to_do"})

    def test_cancel_deletes_its_drafts_and_frees_the_entries(self):
        first = self._prepare(self._march())
        invoice = first.invoice_ids
        self.assertEqual(self._time("x1").q2c_invoice_line_id.move_id, invoice)
        first.with_user(self.finance_user).action_cancel()
        self.assertEqual(first.state, "cancelled")
        self.assertFalse(invoice.exists())
        x1 = self._time("x1")
        self.assertEqual((x1.q2c_billing_status, x1.q2c_invoice_line_id.id), ("to_bill", False))
        self.assertEqual(first.line_ids.state, "cancelled")
        # The period is free again: the next run bills the same entries once.
        second = self._prepare(self._march())
        self.assertAmount(second.invoice_ids.amount_total, 1280.00)
        self.assertEqual(self._time("x2").q2c_invoice_id, second.invoice_ids)

    def test_cancel_keeps_posted_invoices(self):
        run = self._prepare(self._march())
        run.with_user(self.finance_user).action_post()
        with self.assertRaisesRegex(Exception, "Posted"):
            run.with_user(self.finance_user).action_cancel()
        self.assertEqual(self._time("x1").q2c_billing_status, "billed")

    def test_cron_creates_the_due_run_once(self):
        Run = self.env["q2c.billing.run"]
        created = Run._cron_create_due_runs(today="2025-04-02")
        mine = created.filtered(lambda run: run.company_id == self.company)
        self.assertEqual(len(mine), 1)
        self.assertEqual(
            (str(mine.date_from), str(mine.date_to), mine.billing_cycle),
            ("2025-03-01", "2025-03-31", "monthly"),
        )
        self.assertEqual(mine.state, "draft")
        again = Run._cron_create_due_runs(today="2025-04-20")
        self.assertFalse(again.filtered(lambda run: run.company_id == self.company))
        self._prepare(mine)
        self.assertEqual(mine.line_ids.contract_id, self.contract | self.other)
        self.assertEqual(len(mine.invoice_ids), 2)
