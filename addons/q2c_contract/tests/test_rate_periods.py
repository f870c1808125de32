from odoo import Command

from .common import Q2cContractCase


class TestRatePeriods(Q2cContractCase):
    """GC-01: T&M, two rate cards, a project override and a mid-month rate change."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = cls._create_employee("Alice", cls.role_senior)
        cls.bob = cls._create_employee("Bob", cls.role_consultant)
        cls.carol = cls._create_employee("Carol", cls.role_partner)
        cls.dana = cls._create_employee("Dana", cls.role_senior)
        cls._create_rate_card(
            "RC-STD",
            scope="company_default",
            lines=[
                (cls.role_consultant, 150.00, "2025-01-01", None),
                (cls.role_senior, 200.00, "2025-01-01", None),
                (cls.role_partner, 320.00, "2025-01-01", None),
            ],
        )
        cls.rc_acme = cls._create_rate_card(
            "RC-ACME",
            lines=[
                (cls.role_consultant, 140.00, "2025-01-01", None),
                (cls.role_senior, 180.00, "2025-01-01", "2025-03-16"),
                (cls.role_senior, 186.50, "2025-03-17", None),
            ],
        )
        cls.contract = cls._create_contract(
            name="C-100", rate_card_ids=[Command.link(cls.rc_acme.id)]
        )
        cls.env["q2c.rate.override"].create(
            {
                "contract_id": cls.contract.id,
                "project_id": cls.project.id,
                "employee_id": cls.dana.id,
                "rate": 170.00,
                "date_from": "2025-03-01",
            }
        )
        hours = {
            cls.alice: [
                ("03-03", 8.00),
                ("03-10", 6.50),
                ("03-17", 2.00),
                ("03-18", 8.00),
                ("03-24", 4.25),
            ],
            cls.bob: [("03-05", 7.00), ("03-20", 7.50)],
            cls.carol: [("03-12", 2.00), ("03-26", 1.50)],
            cls.dana: [("03-14", 5.00), ("03-18", 3.00)],
        }
        cls.entries = [
            {"date": f"2025-{day}", "employee": employee, "hours": qty, "project": cls.project}
            for employee, days in hours.items()
            for day, qty in days
        ]

    def test_rate_of_each_entry(self):
        expected = {
            (self.alice, "2025-03-03"): (180.00, "contract_role"),
            (self.alice, "2025-03-10"): (180.00, "contract_role"),
            (self.alice, "2025-03-17"): (186.50, "contract_role"),
            (self.alice, "2025-03-24"): (186.50, "contract_role"),
            (self.bob, "2025-03-05"): (140.00, "contract_role"),
            (self.carol, "2025-03-12"): (320.00, "company_default_role"),
            (self.dana, "2025-03-14"): (170.00, "override_employee"),
        }
        for (employee, day), (rate, source) in expected.items():
            with self.subTest(employee=employee.name, day=day):
                resolution = self.contract._resolve_rate(day, employee, project=self.project)
                self.assertAmount(resolution.rate, rate)
                self.assertEqual(resolution.source, source)

    def test_expected_invoice_to_the_cent(self):
        lines = self.contract._price_time_entries(self.entries)
        got = [
            (line["employee"], line["quantity"], line["rate"], line["amount"]) for line in lines
        ]
        expected = [
            (self.alice, 14.50, 180.00, 2610.00),
            (self.alice, 14.25, 186.50, 2657.63),  # 2,657.625: half-up, not half-even
            (self.bob, 14.50, 140.00, 2030.00),
            (self.carol, 3.50, 320.00, 1120.00),
            (self.dana, 8.00, 170.00, 1360.00),
        ]
        self.assertEqual(len(got), len(expected))
        for (employee, qty, rate, amount), (e_employee, e_qty, e_rate, e_amount) in zip(
            got, expected, strict=True
        ):
            with self.subTest(employee=e_employee.name, rate=e_rate):
                self.assertEqual(employee, e_employee)
                self.assertEqual(qty, e_qty)
                self.assertAmount(rate, e_rate)
                self.assertAmount(amount, e_amount)
        self.assertAmount(sum(line["amount"] for line in lines), 9777.63)
        self.assertEqual(sum(line["quantity"] for line in lines), 54.75)
        alice_first = lines[0]
        self.assertEqual(str(alice_first["date_from"]), "2025-03-03")
        self.assertEqual(str(alice_first["date_to"]), "2025-03-10")

    def test_negative_checks(self):
        """Alice's early entries are not repriced; Carol is never billed at zero."""
        lines = self.contract._price_time_entries(self.entries)
        early = next(line for line in lines if line["employee"] == self.alice)
        self.assertAmount(early["rate"], 180.00)
        carol = next(line for line in lines if line["employee"] == self.carol)
        self.assertGreater(carol["amount"], 0.0)
        self.assertEqual(carol["source"], "company_default_role")
