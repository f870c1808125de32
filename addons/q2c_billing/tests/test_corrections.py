from odoo.tests import tagged

from .common import Q2cBillingCase

MARCH_APPROVED = "2025-03-31T12:00:00Z"


@tagged("post_install", "-at_install")
class TestCorrectionsAfterBilling(Q2cBillingCase):
    """Corrections after billing (billing-domain.md 1.9) through runs and their jobs.

    Gina (Consultant): 160.00 an hour to 2025-03-31, 170.00 from 2025-04-01. Her 03-27 entry
    of 6.00 h (6.00 x 160.00 = 960.00) is billed on the March invoice, which is posted; it is
    then edited at the source to 4.00 h (reversal -6.00 h x 160.00 = -960.00, replacement
    4.00 h x 160.00 = 640.00: net -320.00) or rejected (reversal only: net -960.00). April's
    own work, when there is some: 04-15, 2.00 h x 170.00 = 340.00."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = cls._role("Consultant")
        cls.gina = cls._employee("Gina", cls.consultant)
        cls.card = cls._card(
            "Gina's rates",
            [
                (cls.gina, 160.0, "2025-01-01", "2025-03-31"),
                (cls.gina, 170.0, "2025-04-01", None),
            ],
        )

    # ------------------------------------------------------------------ helpers

    def _billed_in_march(self, key, **values):
        """A contract whose March invoice (Gina 6.00 h = 960.00) is posted."""
        contract = self._contract(f"C-{key}", self._project(f"P-{key}"), cards=self.card, **values)
        self._ingest_time(f"P-{key}", [(f"{key}-e1", "Gina", "2025-03-27", 6.0, MARCH_APPROVED)])
        march = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        march.with_user(self.finance_user).action_post()
        self.assertAmount(march.invoice_ids.amount_total, 960.00)
        return contract, march.invoice_ids

    def _edit_to_four_hours(self, key, april_work=True):
        rows = [(f"{key}-e1", "Gina", "2025-03-27", 4.0, "2025-04-10T12:00:00Z")]
        if april_work:
            rows.append((f"{key}-e2", "Gina", "2025-04-15", 2.0, "2025-04-16T12:00:00Z"))
        self._ingest_time(f"P-{key}", rows)

    def _april(self, contracts):
        # No cut-off: the run takes the moment it is prepared, after the corrections.
        return self._bill("2025-04-01", "2025-04-30", False, "2025-05-05", contracts=contracts)

    def _corrections(self, key):
        origin = self._time(f"{key}-e1")
        return self.env["account.analytic.line"].search(
            [("q2c_origin_id", "=", origin.id)], order="id"
        )

    def _wip(self, contract):
        """Billing-domain.md 1.7: approved, billable, not billed entries at their value."""
        entries = self.env["account.analytic.line"].search(
            [("q2c_contract_id", "=", contract.id), ("q2c_billing_status", "=", "to_bill")]
        )
        return self.currency.round(sum(entry._q2c_value() for entry in entries))

    # ------------------------------------------------------------------ policies

    def test_credit_note_policy_credits_the_net_of_the_corrections(self):
        """The contract settles corrections by a credit note. April's run:
        invoice: Gina 2.00 h x 170.00 = 340.00;
        credit note on the March invoice: reversal 6.00 h x 160.00 = 960.00 credited,
        replacement -4.00 h x 160.00 = -640.00: 320.00 credited.
        The run's net: 340.00 - 320.00 = 20.00, as the one invoice of the other policy.
        WIP before the run: -960.00 + 640.00 + 340.00 = 20.00, after it 0.00 (the same
        20.00 moved to the documents). Posted, the credit note is applied to the March
        invoice: 960.00 - 320.00 = 640.00 left to pay on it."""
        contract, march = self._billed_in_march("901", correction_policy="credit_note")
        self._edit_to_four_hours("901")
        self.assertAmount(self._wip(contract), 20.00)
        run = self._april(contract)
        line = run.line_ids
        self.assertEqual(line.state, "done", line.reason)
        self.assertInvoiceLines(line.invoice_id, [("Gina - Consultant, 2025-04-15", 2, 170, 340)])
        credit_note = line.credit_note_id
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.reversed_entry_id, march)
        self.assertEqual(credit_note.partner_id, contract.partner_id)
        self.assertInvoiceLines(
            credit_note,
            [
                (f"Correction of {march.name}, reversal: Gina", 6.0, 160.0, 960.00),
                (f"Correction of {march.name}, replacement: Gina", -4.0, 160.0, -640.00),
            ],
        )
        self.assertAmount(credit_note.amount_total, 320.00)
        self.assertAmount(run.amount_total, 20.00)
        self.assertEqual(run.invoice_ids, line.invoice_id | credit_note)
        reversal, replacement = self._corrections("901")
        self.assertEqual(reversal.q2c_correction_kind, "reversal")
        lines = credit_note.invoice_line_ids.sorted("sequence")
        self.assertEqual(reversal.q2c_invoice_line_id, lines[0])
        self.assertEqual(replacement.q2c_invoice_line_id, lines[1])
        self.assertEqual((reversal | replacement).mapped("q2c_billing_status"), ["billed"] * 2)
        self.assertAmount(self._wip(contract), 0.00)

        run.with_user(self.finance_user).action_post()
        self.assertEqual(run.state, "posted")
        self.assertEqual(credit_note.state, "posted")
        self.assertAmount(march.amount_residual, 640.00)

    def test_next_invoice_policy_nets_on_one_invoice(self):
        """The company's default, next invoice: one April invoice of 340.00 - 960.00 +
        640.00 = 20.00, no credit note."""
        self.assertEqual(self.company.q2c_correction_policy, "next_invoice")
        contract, march = self._billed_in_march("902")
        self._edit_to_four_hours("902")
        line = self._april(contract).line_ids
        self.assertFalse(line.credit_note_id)
        self.assertEqual(len(line.invoice_id.invoice_line_ids), 3)
        self.assertAmount(line.invoice_id.amount_total, 20.00)

    def test_a_net_credit_is_a_credit_note_whatever_the_policy(self):
        """Next invoice policy, no April work, the entry edited to 4.00 h: the period's net
        is -960.00 + 640.00 = -320.00, a credit: one credit note of 320.00 on the March
        invoice, no invoice. The job again, and a second run of April, add nothing.
        Cancelled, the run deletes its draft credit note and frees the corrections; the
        next run credits them once."""
        contract, march = self._billed_in_march("903")
        self._edit_to_four_hours("903", april_work=False)
        run = self._april(contract)
        line = run.line_ids
        self.assertEqual(line.state, "done", line.reason)
        self.assertFalse(line.invoice_id)
        self.assertEqual(line.credit_note_id.reversed_entry_id, march)
        self.assertAmount(line.credit_note_id.amount_total, 320.00)
        self.assertAmount(run.amount_total, -320.00)

        self._perform(line.job_uuid)
        again = self._april(contract)
        self.assertEqual(again.line_ids.state, "blocked")
        self.assertIn(run.name, again.line_ids.reason)
        Move = self.env["account.move"]
        self.assertEqual(Move.search_count([("q2c_contract_id", "=", contract.id)]), 2)

        run.with_user(self.finance_user).action_cancel()
        self.assertFalse(line.credit_note_id.exists())
        self.assertEqual(
            self._corrections("903").mapped("q2c_billing_status"), ["to_bill", "to_bill"]
        )
        rerun = self._april(contract)
        self.assertAmount(rerun.line_ids.credit_note_id.amount_total, 320.00)
        self.assertEqual(
            Move.search_count([("q2c_contract_id", "=", contract.id), ("state", "!=", "cancel")]),
            2,
        )

    def test_rejection_after_billing_credits_the_entry(self):
        """Gina's 6.00 h rejected after billing: reversal only, -960.00; with April's
        340.00 the net is -620.00, a credit. Next invoice policy: one credit note of
        620.00 (reversal 6.00 h x 160.00 = 960.00 credited, April's work -2.00 h x 170.00 =
        -340.00 charged), no invoice."""
        contract, march = self._billed_in_march("904")
        self._ingest_time(
            "P-904",
            [
                ("904-e2", "Gina", "2025-04-15", 2.0, "2025-04-16T12:00:00Z"),
            ],
        )
        entry = self._time("904-e1")
        entry._q2c_correct({"q2c_approval_state": "rejected"})
        line = self._april(contract).line_ids
        self.assertFalse(line.invoice_id)
        self.assertInvoiceLines(
            line.credit_note_id,
            [
                ("Gina - Consultant, 2025-04-15", -2.0, 170.0, -340.00),
                (f"Correction of {march.name}, reversal: Gina", 6.0, 160.0, 960.00),
            ],
        )
        self.assertAmount(line.credit_note_id.amount_total, 620.00)

    def test_company_policy_and_contract_override(self):
        """The company settles corrections by credit note. C-905 follows the company: an
        invoice of 340.00 and a credit note of 320.00; C-906 says next invoice: one invoice
        of 20.00. One run, both contracts."""
        self.company.q2c_correction_policy = "credit_note"
        follows, _march = self._billed_in_march("905")
        overrides, _march = self._billed_in_march("906", correction_policy="next_invoice")
        self._edit_to_four_hours("905")
        self._edit_to_four_hours("906")
        run = self._april(follows | overrides)
        by_contract = {line.contract_id: line for line in run.line_ids}
        self.assertAmount(by_contract[follows].invoice_id.amount_total, 340.00)
        self.assertAmount(by_contract[follows].credit_note_id.amount_total, 320.00)
        self.assertAmount(by_contract[overrides].invoice_id.amount_total, 20.00)
        self.assertFalse(by_contract[overrides].credit_note_id)
        self.assertAmount(run.amount_total, 40.00)

    def test_positive_corrections_stay_on_the_invoice(self):
        """Credit note policy, the entry edited up to 7.00 h: net +160.00 (reversal -960.00,
        replacement 1,120.00), nothing to credit: one invoice of 160.00."""
        contract, _march = self._billed_in_march("907", correction_policy="credit_note")
        self._ingest_time("P-907", [("907-e1", "Gina", "2025-03-27", 7.0, MARCH_APPROVED)])
        line = self._april(contract).line_ids
        self.assertFalse(line.credit_note_id)
        self.assertAmount(line.invoice_id.amount_total, 160.00)

    # ------------------------------------------------------------------ not-to-exceed cap

    def test_cap_moves_by_the_same_delta(self):
        """Cap 1,000.00 (adjustment mode), credit note policy. March billed 960.00
        (headroom 40.00). April: Gina 5.00 h x 170.00 = 850.00 and the correction (net
        -320.00): V = 850.00 - 320.00 = 530.00, H = 40.00, held 0.00: release 0.00,
        excess = 530.00 - 40.00 = 490.00.
        Invoice: 850.00 - 490.00 = 360.00; credit note 320.00 on the March invoice.
        Posted: billed to date 960.00 + 360.00 - 320.00 = 1,000.00 (what one invoice of
        530.00 - 490.00 = 40.00 would give), held 490.00."""
        contract, march = self._billed_in_march(
            "908", correction_policy="credit_note", nte_original_amount=1000.0
        )
        self.assertAmount(contract.nte_billed_amount, 960.00)
        self._ingest_time(
            "P-908",
            [
                ("908-e1", "Gina", "2025-03-27", 4.0, "2025-04-10T12:00:00Z"),
                ("908-e2", "Gina", "2025-04-15", 5.0, "2025-04-16T12:00:00Z"),
            ],
        )
        run = self._april(contract)
        line = run.line_ids
        self.assertInvoiceLines(
            line.invoice_id,
            [
                ("Gina - Consultant, 2025-04-15", 5.0, 170.0, 850.00),
                ("Not-to-exceed limit adjustment", 1.0, -490.0, -490.00),
            ],
        )
        self.assertAmount(line.credit_note_id.amount_total, 320.00)
        self.assertEqual(
            line.credit_note_id.invoice_line_ids.q2c_cap_contract_id,
            contract,
            "the credited fees are under the cap",
        )
        run.with_user(self.finance_user).action_post()
        self.assertAmount(contract.nte_billed_amount, 1000.00)
        self.assertAmount(contract.nte_held_amount, 490.00)

    def test_truncate_cap_moves_by_the_same_delta(self):
        """Cap 1,000.00 in truncate mode, credit note policy. March billed 960.00 (headroom
        40.00). April: the correction's net -320.00 opens the budget to 40.00 + 320.00 =
        360.00; Gina's 04-15 entry of 5.00 h x 170.00 fits for 360.00 / 170.00 = 2.117...
        -> 2.11 h (whole hundredths) = 358.70, the other 2.89 h (2.89 x 170.00 = 491.30)
        held. Invoice 358.70, credit note 320.00. Posted: billed to date 960.00 + 358.70 -
        320.00 = 998.70, held 491.30."""
        contract, _march = self._billed_in_march(
            "909",
            correction_policy="credit_note",
            nte_original_amount=1000.0,
            nte_mode="truncate",
        )
        self._ingest_time(
            "P-909",
            [
                ("909-e1", "Gina", "2025-03-27", 4.0, "2025-04-10T12:00:00Z"),
                ("909-e2", "Gina", "2025-04-15", 5.0, "2025-04-16T12:00:00Z"),
            ],
        )
        run = self._april(contract)
        line = run.line_ids
        self.assertInvoiceLines(
            line.invoice_id, [("Gina - Consultant, 2025-04-15", 2.11, 170.0, 358.70)]
        )
        self.assertAmount(line.credit_note_id.amount_total, 320.00)
        run.with_user(self.finance_user).action_post()
        self.assertAmount(contract.nte_billed_amount, 998.70)
        self.assertAmount(contract.nte_held_amount, 491.30)


@tagged("post_install", "-at_install")
class TestRetainerCorrectionPolicy(Q2cBillingCase):
    """A retainer's corrections settle with its funds (billing-domain.md 1.4 and 1.9),
    whatever the policy: C-910, 10,000.00 a month from 2025-01-01, Erin 200.00 an hour,
    settles corrections by credit note. January's run: January's funds 10,000.00,
    February's in advance 10,000.00, Erin 01-20 20.00 h x 200.00 = 4,000.00 covered by
    January's funds (applied -4,000.00): 20,000.00, posted. The entry is edited to 15.00 h.
    February's run: March's funds 10,000.00, reversal -4,000.00, replacement 3,000.00,
    applied -3,000.00, given back 4,000.00: 10,000.00 and no credit note (the reversal's
    4,000.00 goes back to January's funds, which keep 10,000.00 - 4,000.00 + 4,000.00 -
    3,000.00 = 7,000.00)."""

    def test_retainer_corrections_go_back_to_the_funds(self):
        senior = self._role("Senior Consultant")
        self._employee("Erin", senior)
        card = self._card("C-910 card", [(senior, 200.0, "2025-01-01", None)])
        contract = self._contract(
            "C-910",
            self._project("P-910"),
            cards=card,
            billing_model="retainer",
            retainer_amount=10000.00,
            retainer_period="monthly",
            retainer_rollover_policy="none",
            date_start="2025-01-01",
            date_end="2025-12-31",
            correction_policy="credit_note",
        )
        self.company.q2c_retainer_account_id = self.env["account.account"].create(
            {"code": "219010", "name": "Customer advances", "account_type": "liability_current"}
        )
        self._ingest_time("P-910", [("r1", "Erin", "2025-01-20", 20.0, "2025-01-31T12:00:00Z")])
        january = self._bill(
            "2025-01-01", "2025-01-31", "2025-02-01 06:00:00", "2025-02-01", contract
        )
        self.assertAmount(january.invoice_ids.amount_total, 20000.00)
        january.with_user(self.finance_user).action_post()
        self._ingest_time("P-910", [("r1", "Erin", "2025-01-20", 15.0, "2025-02-10T12:00:00Z")])
        february = self._bill("2025-02-01", "2025-02-28", False, "2025-03-01", contract)
        line = february.line_ids
        self.assertEqual(line.state, "done", line.reason)
        self.assertFalse(line.credit_note_id)
        self.assertAmount(line.invoice_id.amount_total, 10000.00)
        funds = contract.retainer_bucket_ids.filtered(
            lambda bucket: bucket.valid_from.isoformat() == "2025-01-01"
        )
        self.assertAmount(funds.balance, 7000.00)
