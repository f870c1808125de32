from odoo.tests import tagged

from .common import CrmCase


@tagged("post_install", "-at_install")
class TestRateCards(CrmCase):
    """A time-and-materials deal's products mapped to roles become a contract rate card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        job = cls.env["hr.job"]
        cls.senior = job.create({"name": "Senior consultant (q2c test)"})
        cls.developer = job.create({"name": "Developer (q2c test)"})
        cls.senior_hour = cls._role_product("Senior consulting", "Q2C-SR-H", cls.senior, "hour")
        cls.developer_day = cls._role_product("Development day", "Q2C-DEV-D", cls.developer, "day")
        cls.licence = cls.env["product.product"].create(
            {"name": "Platform licence", "type": "service", "default_code": "Q2C-LIC"}
        )

    @classmethod
    def _role_product(cls, name, code, role, unit):
        """A service product selling `role`, sold by the `unit` (hour or day)."""
        uom = cls.env.ref(f"uom.product_uom_{unit}")
        return cls.env["product.product"].create(
            {
                "name": name,
                "type": "service",
                "default_code": code,
                "q2c_role_id": role.id,
                "uom_id": uom.id,
                "uom_po_id": uom.id,
            }
        )

    def _tm_deal(self, **overrides):
        lines = [
            {
                "id": "L-1",
                "name": "Senior consulting",
                "quantity": "40",
                "price": "150",
                "amount": "6000",
                "sku": "Q2C-SR-H",
            },
            # Bound by the CRM's product id, not the SKU; 10 % off the total.
            {
                "id": "L-2",
                "name": "Development",
                "quantity": "10",
                "price": "900.00",
                "amount": "8100",
                "product_id": "CRM-PROD-DEV",
            },
            {
                "id": "L-3",
                "name": "Licence",
                "quantity": "1",
                "price": "5000",
                "amount": "5000",
                "sku": "Q2C-LIC",
            },
            {"id": "L-4", "name": "Travel", "quantity": "1", "price": "900", "amount": "900"},
        ]
        values = {"billing_model": "time_and_materials", "amount": "20000", "lines": lines}
        return self._deal(**{**values, **overrides})

    def test_mapped_products_become_a_contract_rate_card_once(self):
        self.env["q2c.external.ref"]._bind(
            self.system, "product", "CRM-PROD-DEV", self.developer_day
        )
        event = self._send("rc-1", self._tm_deal())
        self.assertEqual(event.state, "done", event.error)
        contract = self._contract()
        card = contract.rate_card_ids
        self.assertEqual(len(card), 1)
        self.assertEqual((card.scope, card.currency_id), ("contract", contract.currency_id))
        self.assertEqual(card.company_id, contract.company_id)
        lines = {line.role_id: line for line in card.line_ids}
        self.assertEqual(set(lines), {self.senior, self.developer})
        senior, developer = lines[self.senior], lines[self.developer]
        self.assertEqual(
            (senior.rate, senior.unit, senior.product_id), (150.0, "hour", self.senior_hour)
        )
        self.assertEqual(
            (developer.rate, developer.unit, developer.product_id),
            (900.0, "day", self.developer_day),
        )
        self.assertEqual({str(line.date_from) for line in card.line_ids}, {"2026-12-01"})
        self.assertIn(
            ("q2c.rate.card", card.id), [(link.res_model, link.res_id) for link in event.link_ids]
        )
        # Every line is a task, mapped or not.
        self.assertEqual(len(contract.project_ids.task_ids), 4)
        # The discount is pointed out: the rate is the unit price.
        self.assertTrue(
            any("Development (x 10)" in (m.body or "") for m in contract.message_ids),
            contract.message_ids.mapped("body"),
        )
        # The resolver prices the role's time from the contract card.
        resolution = contract._resolve_rate(
            "2026-12-02", self.env["hr.employee"], role=self.senior
        )
        self.assertEqual((resolution.rate, resolution.source), (150.0, "contract_role"))
        # The same deal again: nothing new.
        cards = self.env["q2c.rate.card"].search_count([])
        again = self._send("rc-2", self._tm_deal())
        self.assertEqual(again.state, "done", again.error)
        self.assertEqual(self.env["q2c.rate.card"].search_count([]), cards)
        self.assertEqual(contract.rate_card_ids, card)
        self.assertEqual(len(card.line_ids), 2)

    def test_no_mapped_product_no_card(self):
        licence = self._tm_deal()["lines"][2]  # L-3, a product that sells no role
        self.assertEqual(licence["sku"], "Q2C-LIC")
        deal = self._tm_deal(lines=[licence])
        event = self._send("rc-3", deal)
        self.assertEqual(event.state, "done", event.error)
        contract = self._contract()
        self.assertFalse(contract.rate_card_ids)
        self.assertTrue(
            any("default rate card applies" in (m.body or "") for m in contract.message_ids)
        )
        # A fixed fee prices no time: its mapped products stay tasks only.
        fixed = self._send("rc-4", self._tm_deal(id="D-2", billing_model="fixed_fee"))
        self.assertEqual(fixed.state, "done", fixed.error)
        self.assertFalse(self._contract("D-2").rate_card_ids)

    def test_one_role_priced_twice_is_left_to_a_person(self):
        deal = self._tm_deal()
        deal["lines"].append(
            {
                "id": "L-5",
                "name": "Senior consulting (phase 2)",
                "quantity": "10",
                "price": "175",
                "sku": "Q2C-SR-H",
            }
        )
        event = self._send("rc-5", deal)
        self.assertEqual(event.state, "dead")
        self.assertIn("prices role Senior consultant (q2c test) twice", event.error)
        self.assertIn("Senior consulting (phase 2) (x 10)", event.error)
        exception = self.env["q2c.exception"].search([("event_id", "=", event.id)])
        self.assertIn("own product", exception.details)
        self.assertFalse(self._contract())
        # The same product twice at the same price is one rate.
        deal["lines"][-1]["price"] = "150"
        same = self._send("rc-6", deal)
        self.assertEqual(same.state, "done", same.error)
        self.assertEqual(len(self._contract().rate_card_ids.line_ids), 1)
