from odoo.tests import tagged

from .common import HubSpotCase, crm_data, fake_hubspot


@tagged("post_install", "-at_install")
class TestHubSpotProvisioning(HubSpotCase):
    def _log(self):
        return self.env["q2c.outbound.log"].search([("system_id", "=", self.hubspot.id)])

    def test_signed_batch_of_two_won_deals_provisions_once(self):
        data = crm_data()
        batch = [self._event(20, "9001"), self._event(21, "9002")]
        with fake_hubspot(data) as (url, seen):
            self.hubspot.base_url = url
            self.assertEqual(self._post_hubspot(batch).status_code, 200)
            events = self._process_all()
            self.assertEqual(events.mapped("state"), ["done", "done"], events.mapped("error"))
            contracts = self._contracts()
            self.assertEqual(len(contracts), 2)
            by_name = {c.name: c for c in contracts}
            initech = by_name["Initech ERP rollout"]
            self.assertEqual(initech.partner_id.name, "Initech Systems")
            self.assertEqual(initech.currency_id.name, "USD")
            self.assertFalse(
                initech.currency_id.compare_amounts(initech.original_value, 120000.50)
            )
            self.assertEqual(initech.billing_model, "time_and_materials")
            self.assertEqual(str(initech.date_start), "2026-11-30")
            self.assertEqual(initech.state, "draft")
            self.assertEqual(
                sorted(initech.partner_id.child_ids.mapped("name")),
                ["Bill Lumbergh", "Milton Waddams"],
            )
            self.assertEqual(
                sorted(initech.project_ids.task_ids.mapped("name")),
                ["Discovery workshop", "Implementation (x 4)"],
            )
            vandelay = by_name["Vandelay fit-out"]
            self.assertEqual(vandelay.billing_model, "fixed_fee")
            self.assertEqual(vandelay.milestone_ids.mapped("fixed_amount"), [15000.0, 30000.0])
            self.assertEqual(len(vandelay.project_ids), 1)
            # Association lists are followed page by page (the fake serves one id a page).
            contact_pages = [r for r in seen if r["path"].endswith("/9001/associations/contacts")]
            self.assertEqual(len(contact_pages), 2)
            # Every call of both jobs is in the outbound log, tied to its event.
            log = self._log()
            self.assertEqual(len(log), len(seen))
            self.assertEqual(set(log.mapped("status_code")), {200})
            self.assertEqual(set(log.event_id.ids), set(events.ids))
            # The same batch again: acknowledged as duplicates, nothing new anywhere.
            counts = (len(self.env["res.partner"].search([])),
                      len(self.env["project.project"].search([])), len(seen))  # fmt: skip
            again = self._post_hubspot(batch)
            self.assertEqual([e["duplicate"] for e in again.json()["events"]], [True, True])
            self.assertEqual(len(self._events(self.hubspot)), 2)
            # A new event about the same won deal: read again, provisions nothing new.
            self._post_hubspot([self._event(22, "9001")])
            self._process_all()
            self.assertEqual(self._contracts(), contracts)
            self.assertEqual(len(self.env["res.partner"].search([])), counts[0])
            self.assertEqual(len(self.env["project.project"].search([])), counts[1])

    def test_rate_limited_call_is_retried(self):
        limited = (429, {"Retry-After": "0"},
                   {"status": "error", "policyName": "TEN_SECONDLY_ROLLING"})  # fmt: skip
        with fake_hubspot(crm_data(), before=[limited]) as (url, seen):
            self.hubspot.base_url = url
            self._post_hubspot([self._event(30, "9002")])
            event = self._process_all()
            self.assertEqual(event.state, "done", event.error)
            log = self._log().sorted("id")
            self.assertEqual(log[:2].mapped("status_code"), [429, 200])
            self.assertEqual(log[:2].mapped("attempt"), [1, 2])
            self.assertIn("/crm/v3/objects/deals/9002", log[0].url)
            self.assertEqual(len(log), len(seen))
        self.assertEqual(len(self._contracts()), 1)

    def test_incomplete_deal_is_dead_with_missing_fields(self):
        data = crm_data()
        props = data["deals"]["9001"]["properties"]
        del props["amount"], props["deal_currency_code"]
        with fake_hubspot(data) as (url, _seen):
            self.hubspot.base_url = url
            self._post_hubspot([self._event(40, "9001")])
            event = self._process_all()
        self.assertEqual(event.state, "dead")
        self.assertIn("missing currency, amount", event.error)
        self.assertFalse(self._contracts())
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Initech Systems")]))
        exception = self.env["q2c.exception"].search([("event_id", "=", event.id)])
        self.assertEqual(exception.kind, "missing_data")
        self.assertIn("currency", exception.name)
        self.assertTrue(exception.activity_ids)
        self.assertTrue(
            exception.activity_ids.user_id.has_group("q2c_base.group_integration_manager")
        )

    def test_possible_duplicate_customer_is_left_to_a_person(self):
        existing = self.env["res.partner"].create(
            {"name": "Initech Systems Inc.", "is_company": True}
        )
        with fake_hubspot(crm_data()) as (url, _seen):
            self.hubspot.base_url = url
            self._post_hubspot([self._event(50, "9001")])
            event = self._process_all()
        self.assertEqual(event.state, "dead")
        exception = self.env["q2c.exception"].search([("event_id", "=", event.id)])
        self.assertEqual(exception.kind, "duplicate")
        self.assertEqual((exception.res_model, exception.res_id), ("res.partner", existing.id))
        self.assertFalse(self._contracts())
        # The person binds the account to the existing customer and replays: provisioned.
        self.env["q2c.external.ref"]._bind(self.hubspot, "account", "501", existing)
        with fake_hubspot(crm_data()) as (url, _seen):
            self.hubspot.base_url = url
            event.with_user(self.manager).action_replay(reason="bound to the existing customer")
            self._process_all()
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(self._contracts().partner_id, existing)

    def test_amount_change_becomes_a_draft_change_order(self):
        data = crm_data()
        with fake_hubspot(data) as (url, _seen):
            self.hubspot.base_url = url
            self._post_hubspot([self._event(60, "9002")])
            self._process_all()
            contract = self._contracts()
            data["deals"]["9002"]["properties"]["amount"] = "47500.25"
            self._post_hubspot([self._event(61, "9002", "amount", "47500.25")])
            self._post_hubspot([self._event(62, "9002", "amount", "47500.25")])
            events = self._process_all()
        self.assertEqual(events.mapped("state"), ["done", "done"], events.mapped("error"))
        orders = self.env["q2c.change.order"].search([("contract_id", "=", contract.id)])
        self.assertEqual(len(orders), 1)
        self.assertEqual(orders.state, "draft")
        self.assertFalse(orders.currency_id.compare_amounts(orders.amount_total, 2500.25))
        self.assertFalse(contract.currency_id.compare_amounts(contract.original_value, 45000))

    def test_write_back_and_active_contracts(self):
        self.hubspot.write({"crm_write_back": True, "crm_contract_state": "active"})
        data = crm_data()
        with fake_hubspot(data) as (url, seen):
            self.hubspot.base_url = url
            self._post_hubspot([self._event(70, "9002"), self._event(71, "9001")])
            self._process_all()
        contracts = self._contracts()
        # Fixed fee with milestones adding up to the fee: active; T&M: active too.
        self.assertEqual(set(contracts.mapped("state")), {"active"})
        patches = [r for r in seen if r["method"] == "PATCH"]
        self.assertEqual(len(patches), 2)
        self.assertEqual(
            data["deals"]["9002"]["properties"]["q2c_contract_ref"],
            contracts.filtered(lambda c: c.name == "Vandelay fit-out").code,
        )

    def test_deal_not_won_changes_nothing(self):
        data = crm_data()
        data["deals"]["9001"]["properties"]["dealstage"] = "contractsent"
        with fake_hubspot(data) as (url, _seen):
            self.hubspot.base_url = url
            self._post_hubspot([self._event(80, "9001", value="contractsent"),
                                self._event(81, "9001", "description", "x")])  # fmt: skip
            events = self._process_all()
        self.assertEqual(events.mapped("state"), ["done", "done"])
        self.assertFalse(self._contracts())
