from odoo import Command
from odoo.exceptions import AccessError

from .common import Q2cContractCase


class TestContractSecurity(Q2cContractCase):
    """Project managers see their own projects' contracts, Finance all, auditors read only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own = cls._create_contract(name="Own project")
        cls.other_project = cls._create_project("Other (test)", cls.other_pm_user)
        cls.foreign = cls._create_contract(
            name="Other PM's project", project_ids=[Command.link(cls.other_project.id)]
        )
        cls.card = cls._create_rate_card(
            "Card (test)", lines=[(cls.role_senior, 100.0, "2025-01-01", None)]
        )
        company_b = cls.env["res.company"].create({"name": "q2c B (test)"})
        cls.finance_user.company_ids = [Command.link(company_b.id)]
        cls.company_b_contract = cls._create_contract(
            name="Company B", company_id=company_b.id, project_ids=[]
        )
        cls.Contract = cls.env["q2c.contract"]

    def _visible(self, user):
        return self.Contract.with_user(user).search([("id", "in", self._all().ids)])

    def _all(self):
        return self.own | self.foreign | self.company_b_contract

    def test_project_manager_sees_and_edits_own_contracts_only(self):
        self.assertEqual(self._visible(self.pm_user), self.own)
        self.own.with_user(self.pm_user).write({"billing_cycle": "weekly"})
        with self.assertRaises(AccessError):
            self.foreign.with_user(self.pm_user).read(["name"])
        with self.assertRaises(AccessError):
            self.foreign.with_user(self.pm_user).write({"billing_cycle": "weekly"})
        with self.assertRaises(AccessError):
            self.own.with_user(self.pm_user).unlink()

    def test_project_manager_creates_own_contract(self):
        contract = self.Contract.with_user(self.pm_user).create(
            {"name": "New", "partner_id": self.customer.id, "currency_id": self.usd.id}
        )
        self.assertEqual(contract.user_id, self.pm_user)

    def test_project_manager_reads_but_cannot_change_rates(self):
        card = self.card.with_user(self.pm_user)
        self.assertTrue(card.line_ids.read(["rate"]))
        with self.assertRaises(AccessError):
            card.line_ids.write({"rate": 1.0})
        with self.assertRaises(AccessError):
            self.env["q2c.rate.card"].with_user(self.pm_user).create({"name": "Mine"})

    def test_only_finance_activates_and_closes(self):
        with self.assertRaises(AccessError):
            self.own.with_user(self.pm_user).action_activate()
        self.assertEqual(self.own.state, "draft")
        self.own.with_user(self.finance_user).action_activate()
        self.own.with_user(self.pm_user).action_hold()
        self.own.with_user(self.pm_user).action_resume()
        with self.assertRaises(AccessError):
            self.own.with_user(self.pm_user).action_close()
        self.own.with_user(self.finance_user).action_close()
        self.assertEqual(self.own.state, "closed")

    def test_finance_sees_all_of_its_companies(self):
        finance = self.finance_user
        in_company_a = self.Contract.with_user(finance).with_context(
            allowed_company_ids=self.company.ids
        )
        self.assertEqual(
            in_company_a.search([("id", "in", self._all().ids)]), self.own | self.foreign
        )
        companies = self.Contract.with_user(finance).with_context(
            allowed_company_ids=finance.company_ids.ids
        )
        self.assertEqual(companies.search([("id", "in", self._all().ids)]), self._all())
        self.foreign.with_user(finance).write({"billing_cycle": "quarterly"})
        self.env["q2c.rate.card"].with_user(finance).create({"name": "Finance card"})

    def test_multi_company_rule(self):
        with self.assertRaises(AccessError):
            self.company_b_contract.with_user(self.pm_user).read(["name"])
        with self.assertRaises(AccessError):
            self.company_b_contract.with_user(self.auditor_user).read(["name"])

    def test_auditor_reads_everything_and_changes_nothing(self):
        auditor = self.auditor_user
        self.assertEqual(self._visible(auditor), self.own | self.foreign)
        self.assertTrue(self.foreign.with_user(auditor).read(["current_value"]))
        self.assertTrue(self.card.line_ids.with_user(auditor).read(["rate"]))
        with self.assertRaises(AccessError):
            self.foreign.with_user(auditor).write({"billing_cycle": "weekly"})
        with self.assertRaises(AccessError):
            self.Contract.with_user(auditor).create(
                {"name": "No", "partner_id": self.customer.id, "currency_id": self.usd.id}
            )
        with self.assertRaises(AccessError):
            self.foreign.with_user(auditor).action_activate()
