from odoo import Command
from odoo.exceptions import UserError

from .common import Q2cContractCase


class TestRateResolution(Q2cContractCase):
    """The precedence of billing-domain.md 1.1, one level removed at a time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eve = cls._create_employee("Eve (test)", cls.role_senior)
        cls.other_project = cls._create_project("P-101 (test)", cls.pm_user)
        cls.contract = cls._create_contract(
            project_ids=[Command.set([cls.project.id, cls.other_project.id])]
        )
        start = "2025-01-01"
        cls.default_card = cls._create_rate_card(
            "Default (test)",
            scope="company_default",
            lines=[(cls.eve, 110.0, start, None), (cls.role_senior, 100.0, start, None)],
        )
        cls.customer_card = cls._create_rate_card(
            "Customer (test)",
            scope="customer",
            partner_id=cls.customer.id,
            lines=[(cls.eve, 130.0, start, None), (cls.role_senior, 120.0, start, None)],
        )
        cls.contract_card = cls._create_rate_card(
            "Contract (test)",
            lines=[(cls.eve, 150.0, start, None), (cls.role_senior, 140.0, start, None)],
        )
        cls.contract.rate_card_ids = [Command.link(cls.contract_card.id)]
        Override = cls.env["q2c.rate.override"]
        cls.override_role = Override.create(
            {
                "contract_id": cls.contract.id,
                "role_id": cls.role_senior.id,
                "rate": 160.0,
                "date_from": start,
            }
        )
        cls.override_employee_contract = Override.create(
            {
                "contract_id": cls.contract.id,
                "employee_id": cls.eve.id,
                "rate": 170.0,
                "date_from": start,
            }
        )
        cls.override_employee_project = Override.create(
            {
                "contract_id": cls.contract.id,
                "project_id": cls.project.id,
                "employee_id": cls.eve.id,
                "rate": 180.0,
                "date_from": start,
            }
        )

    def _line(self, card, key):
        field = "employee_id" if key._name == "hr.employee" else "role_id"
        return card.line_ids.filtered(lambda line: line[field] == key)

    def test_precedence_first_match_wins(self):
        levels = [
            ("override_employee", self.override_employee_project, 180.0),
            ("override_employee", self.override_employee_contract, 170.0),
            ("override_role", self.override_role, 160.0),
            ("contract_employee", self._line(self.contract_card, self.eve), 150.0),
            ("contract_role", self._line(self.contract_card, self.role_senior), 140.0),
            ("customer_employee", self._line(self.customer_card, self.eve), 130.0),
            ("customer_role", self._line(self.customer_card, self.role_senior), 120.0),
            ("company_default_employee", self._line(self.default_card, self.eve), 110.0),
            ("company_default_role", self._line(self.default_card, self.role_senior), 100.0),
        ]
        for source, record, rate in levels:
            with self.subTest(source=source, rate=rate):
                resolution = self.contract._resolve_rate(
                    "2025-03-10", self.eve, project=self.project
                )
                self.assertEqual(resolution.source, source)
                self.assertEqual(resolution.record, record)
                self.assertAmount(resolution.rate, rate)
            record.unlink()
        with self.assertRaises(UserError) as caught:
            self.contract._resolve_rate("2025-03-10", self.eve, project=self.project)
        message = str(caught.exception)
        for expected in (
            "Eve (test)",
            "Senior Consultant (q2c test)",
            "2025-03-10",
            "Default (test)",
        ):
            self.assertIn(expected, message)

    def test_project_override_only_on_its_project(self):
        on_project = self.contract._resolve_rate("2025-03-10", self.eve, project=self.project)
        elsewhere = self.contract._resolve_rate("2025-03-10", self.eve, project=self.other_project)
        self.assertAmount(on_project.rate, 180.0)
        self.assertAmount(elsewhere.rate, 170.0)
        self.assertEqual(elsewhere.record, self.override_employee_contract)

    def test_role_snapshot_beats_current_job(self):
        """A promoted person keeps the role of each entry: the entry's role prices it."""
        self.contract.rate_override_ids.unlink()
        as_consultant = self.contract._resolve_rate(
            "2025-03-10", self.eve, role=self.role_consultant, project=self.project
        )
        # No consultant line anywhere but the employee lines: the employee line of the
        # contract card matches first.
        self.assertEqual(as_consultant.source, "contract_employee")
        self._line(self.contract_card, self.eve).unlink()
        self._line(self.customer_card, self.eve).unlink()
        self._line(self.default_card, self.eve).unlink()
        with self.assertRaises(UserError):
            self.contract._resolve_rate(
                "2025-03-10", self.eve, role=self.role_consultant, project=self.project
            )

    def test_effective_dates_are_inclusive(self):
        card = self._create_rate_card(
            "Dated (test)",
            lines=[
                (self.role_consultant, 180.0, "2025-01-01", "2025-03-16"),
                (self.role_consultant, 186.5, "2025-03-17", None),
            ],
        )
        contract = self._create_contract(project_ids=[], rate_card_ids=[Command.link(card.id)])
        bob = self._create_employee("Bob (test)", self.role_consultant)
        cases = [
            ("2025-01-01", 180.0),
            ("2025-03-16", 180.0),
            ("2025-03-17", 186.5),
            ("2031-12-31", 186.5),
        ]
        for day, rate in cases:
            with self.subTest(day=day):
                self.assertAmount(contract._resolve_rate(day, bob).rate, rate)
        with self.assertRaises(UserError):
            contract._resolve_rate("2024-12-31", bob)

    def test_contract_cards_in_their_order(self):
        first = self._create_rate_card(
            "First (test)", sequence=1, lines=[(self.role_partner, 300.0, "2025-01-01", None)]
        )
        second = self._create_rate_card(
            "Second (test)", sequence=2, lines=[(self.role_partner, 350.0, "2025-01-01", None)]
        )
        carol = self._create_employee("Carol (test)", self.role_partner)
        contract = self._create_contract(
            project_ids=[], rate_card_ids=[Command.set([first.id, second.id])]
        )
        self.assertAmount(contract._resolve_rate("2025-02-01", carol).rate, 300.0)
        first.line_ids.date_from = "2025-03-01"
        self.assertAmount(contract._resolve_rate("2025-02-01", carol).rate, 350.0)

    def test_day_rate_quantity(self):
        card = self._create_rate_card("Daily (test)")
        card.line_ids = [
            Command.create(
                {
                    "role_id": self.role_partner.id,
                    "unit": "day",
                    "hours_per_day": 7.5,
                    "rate": 1200.0,
                    "date_from": "2025-01-01",
                }
            )
        ]
        carol = self._create_employee("Carol (test)", self.role_partner)
        contract = self._create_contract(project_ids=[], rate_card_ids=[Command.link(card.id)])
        lines = contract._price_time_entries(
            [
                {"date": "2025-02-03", "employee": carol, "hours": 5.0},
                {"date": "2025-02-04", "employee": carol, "hours": 6.0},
            ]
        )
        self.assertEqual(len(lines), 1)
        # 11.00 h / 7.5 = 1.4666... days -> 1.47 days x 1,200.00
        self.assertEqual(lines[0]["quantity"], 1.47)
        self.assertAmount(lines[0]["amount"], 1764.0)

    def test_foreign_currency_card_frozen_or_dynamic(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            [
                {"currency_id": eur.id, "name": "2025-01-01", "rate": 0.5},
                {"currency_id": eur.id, "name": "2025-06-01", "rate": 0.25},
            ]
        )
        self.customer_card.unlink()
        self.default_card.unlink()
        self.contract.rate_override_ids.unlink()
        self.contract.rate_card_ids = [Command.clear()]
        self._create_rate_card(
            "Euro default (test)",
            scope="company_default",
            currency_id=eur.id,
            lines=[(self.role_senior, 100.0, "2025-01-01", None)],
        )
        self.contract.date_signed = "2025-02-01"
        frozen = self.contract._resolve_rate("2025-07-01", self.eve)
        self.assertAmount(frozen.rate, 200.0)
        self.contract.rate_currency_policy = "dynamic"
        dynamic = self.contract._resolve_rate("2025-03-01", self.eve, conversion_date="2025-07-01")
        self.assertAmount(dynamic.rate, 400.0)
