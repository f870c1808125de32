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
            counts = (
                len(self.env["res.partner"].search([])),
                len(self.env["project.project"].search([])),
                len(seen),
            )
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
        limited = (
            429,
            {"Retry-After": "0"},
            {"status": "error", "policyName": "TEN_SECONDLY_ROLLING"},
        )
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
        # Changed again before anyone decided: the new revision supersedes the proposal.
        with fake_hubspot(data) as (url, seen):
            self.hubspot.base_url = url
            data["deals"]["9002"]["properties"]["amount"] = "44000"
            self._post_hubspot([self._event(63, "9002", "amount", "44000")])
            event = self._process_all()
            # A provisioned deal is re-read alone: only its amount and currency matter.
            self.assertEqual([r["path"] for r in seen], ["/crm/v3/objects/deals/9002"])
        self.assertEqual(event.state, "done", event.error)
        old, new = self.env["q2c.change.order"].search(
            [("contract_id", "=", contract.id)], order="revision"
        )
        self.assertEqual((old.state, old.superseded_by_id), ("superseded", new))
        self.assertEqual(new.state, "draft")
        self.assertEqual((new.number, new.revision), (old.number, 1))
        self.assertFalse(new.currency_id.compare_amounts(new.amount_total, -1000))

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
            self._post_hubspot(
                [
                    self._event(80, "9001", value="contractsent"),
                    self._event(81, "9001", "description", "x"),
                ]
            )
            events = self._process_all()
        self.assertEqual(events.mapped("state"), ["done", "done"])
        self.assertFalse(self._contracts())

    def test_owner_matched_by_email_from_the_owners_api(self):
        data = crm_data()
        with fake_hubspot(data) as (url, seen):
            self.hubspot.base_url = url
            self._post_hubspot([self._event(90, "9001")])
            first = self._process_all()
            self.assertEqual(first.state, "done", first.error)
            owner_calls = [r for r in seen if r["path"].startswith("/crm/v3/owners/")]
            self.assertEqual([r["path"] for r in owner_calls], ["/crm/v3/owners/77"])
            self.assertEqual(owner_calls[0]["headers"]["Authorization"], "Bearer pat-test-token")
            # Bound to its user: the next deal of the same owner needs no owners call.
            self._post_hubspot([self._event(91, "9002")])
            second = self._process_all()
            self.assertEqual(second.state, "done", second.error)
            self.assertEqual(len([r for r in seen if "/owners/" in r["path"]]), 1)
        self.assertEqual(self._contracts().user_id, self.deal_owner)
        self.assertEqual(self._contracts().project_ids.user_id, self.deal_owner)

    def test_owner_without_odoo_user_is_named(self):
        data = crm_data()
        data["owners"]["77"]["email"] = "new.hire@initech-partner.example"
        data["deals"]["9002"]["properties"]["hubspot_owner_id"] = "78"  # unknown to HubSpot
        with fake_hubspot(data) as (url, _seen):
            self.hubspot.base_url = url
            self._post_hubspot([self._event(92, "9001"), self._event(93, "9002")])
            unmatched, unknown = self._process_all().sorted("id")
        self.assertEqual((unmatched.state, unknown.state), ("dead", "dead"))
        self.assertIn("owner new.hire@initech-partner.example has no Odoo user", unmatched.error)
        self.assertIn("owner 78 has no Odoo user", unknown.error)
        exception = self.env["q2c.exception"].search([("event_id", "=", unmatched.id)])
        self.assertEqual(exception.kind, "missing_data")
        self.assertFalse(self._contracts())

    def test_batch_reads_of_more_than_100_records(self):
        data = crm_data()
        deal = data["deals"]["9001"]
        deal["line_items"] = [str(8000 + i) for i in range(150)]
        deal["contacts"] = [str(6000 + i) for i in range(101)]
        data["line_items"].update(
            {
                str(8000 + i): {
                    "name": f"Work package {i:03d}",
                    "quantity": "1",
                    "price": "800",
                    "amount": "800",
                }
                for i in range(150)
            }
        )
        data["contacts"].update(
            {
                str(6000 + i): {
                    "firstname": "Buyer",
                    "lastname": f"{i:03d}",
                    "email": f"buyer{i}@initech-systems.example",
                }
                for i in range(101)
            }
        )
        with fake_hubspot(data, page_size=500) as (url, seen):
            self.hubspot.base_url = url
            self._post_hubspot([self._event(94, "9001")])
            event = self._process_all()
        self.assertEqual(event.state, "done", event.error)
        sizes = {
            kind: [
                len(r["body"]["inputs"])
                for r in seen
                if r["path"] == f"/crm/v3/objects/{kind}/batch/read"
            ]
            for kind in ("line_items", "contacts")
        }
        self.assertEqual(sizes, {"line_items": [100, 50], "contacts": [100, 1]})
        contract = self._contracts()
        self.assertEqual(len(contract.project_ids.task_ids), 150)
        self.assertEqual(len(contract.partner_id.child_ids), 101)
        # The order of the line items is HubSpot's, across batches.
        self.assertEqual(
            contract.project_ids.task_ids.sorted("id")[99:101].mapped("name"),
            ["Work package 099", "Work package 100"],
        )

    def test_products_mapped_to_roles_become_a_contract_rate_card(self):
        role = self.env["hr.job"].create({"name": "Solution architect (q2c test)"})
        product = self.env["product.product"].create(
            {
                "name": "Solution architecture",
                "type": "service",
                "default_code": "HS-ARCH",
                "q2c_role_id": role.id,
            }
        )
        data = crm_data()
        data["line_items"]["702"].update(
            {
                "name": "Architecture",
                "quantity": "80",
                "price": "185.50",
                "amount": "14840",
                "hs_sku": "HS-ARCH",
                "hs_product_id": "1234567",
            }
        )
        with fake_hubspot(data) as (url, seen):
            self.hubspot.base_url = url
            self._post_hubspot([self._event(95, "9001")])
            self._post_hubspot([self._event(96, "9001", "amount", "120000.50")])
            events = self._process_all()
        self.assertEqual(events.mapped("state"), ["done", "done"], events.mapped("error"))
        reads = [r for r in seen if r["path"] == "/crm/v3/objects/line_items/batch/read"]
        self.assertIn("hs_sku", reads[0]["body"]["properties"])
        contract = self._contracts()
        card = contract.rate_card_ids
        self.assertEqual(len(card), 1)
        self.assertEqual(
            card.line_ids.mapped(lambda ln: (ln.role_id, ln.rate, ln.unit)),
            [(role, 185.5, "hour")],
        )
        self.assertEqual(card.line_ids.product_id, product)
        self.assertEqual(str(card.line_ids.date_from), "2026-11-30")
        self.assertEqual(card.currency_id.name, "USD")
        self.assertEqual(
            sorted(contract.project_ids.task_ids.mapped("name")),
            ["Architecture (x 80)", "Discovery workshop"],
        )
        self.assertEqual(
            self.env["q2c.rate.card"].search_count([("line_ids.role_id", "=", role.id)]), 1
        )
