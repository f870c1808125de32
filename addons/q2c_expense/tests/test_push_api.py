from odoo.tests import tagged

from .common import Q2cExpenseCase


@tagged("post_install", "-at_install")
class TestExpensePushApi(Q2cExpenseCase):
    def test_push_per_expense_results(self):
        expenses = [
            self._expense(
                "p-1", amount=1250.0, currency="EUR", day="2025-03-12", category="translation"
            ),
            self._expense("p-2", amount=float("inf")),
            self._expense("p-3", employee="u-ghost"),
            self._expense("p-4", currency="ZZZ"),
        ]
        # json.dumps writes `Infinity`, which Python's JSON reader accepts: the entry is
        # refused, the others go on.
        response = self._push_expenses(expenses)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(
            [r["status"] for r in body["results"]], ["created", "rejected", "rejected", "rejected"]
        )
        self.assertIn("amount", body["results"][1]["reason"])
        self.assertTrue(body["results"][2]["held"])
        self.assertIn("currency", body["results"][3]["reason"])
        self.assertEqual(body["summary"], {"created": 1, "rejected": 3})
        expense = self._exp("p-1")
        self.assertEqual(body["results"][0]["expense_id"], expense.id)
        self.assertEqual(expense.create_uid, self.time_user)
        self.assertEqual(expense.currency_id, self.eur)
        self.assertAmount(expense.q2c_cost, 1359.25)
        self.assertAmount(expense.q2c_billed_value, 1563.14)
        again = self._push_expenses(expenses[:1]).json()
        self.assertEqual(again["results"][0]["status"], "unchanged")
        edited = self._push_expenses([{**expenses[0], "amount": 1000.0, "receipt": "R-2"}]).json()
        self.assertEqual(edited["results"][0]["status"], "updated")
        self.env.invalidate_all()
        self.assertAmount(expense.q2c_cost, 1087.40)
        self.assertAmount(expense.q2c_markup_amount, 163.11)
        self.assertEqual(expense.q2c_receipt_ref, "R-2")

    def test_refusals(self):
        self._check_push_refusals("/q2c/api/v1/expenses", self._expense)
        self.assertFalse(self._exp("n-0"))

    def test_malformed_input(self):
        self._check_push_malformed_input("/q2c/api/v1/expenses", self._expense, "hr.expense")

    def test_oversized_body_is_refused_before_parsing(self):
        body = b"[" + b" " * (4 * 1024 * 1024) + b"]"
        self.assertEqual(self._push_expenses(body).status_code, 413)

    def test_openapi_document_has_both_apis(self):
        response = self.url_open("/q2c/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        self.assertTrue(document["openapi"].startswith("3."))
        self.assertIn("/q2c/api/v1/time-entries", document["paths"])
        post = document["paths"]["/q2c/api/v1/expenses"]["post"]
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        self.assertEqual(schema["maxItems"], 1000)
        self.assertEqual(schema["items"], {"$ref": "#/components/schemas/Expense"})
        schemas = document["components"]["schemas"]
        self.assertIn("amount", schemas["Expense"]["required"])
        self.assertIn("expense_id", schemas["ExpenseResult"]["properties"])
        # The time-entry path is left as it was.
        time_post = document["paths"]["/q2c/api/v1/time-entries"]["post"]
        time_items = time_post["requestBody"]["content"]["application/json"]["schema"]["items"]
        self.assertEqual(time_items, {"$ref": "#/components/schemas/TimeEntry"})
        self._check_push_openapi_statuses(post)
        self._check_push_openapi_statuses(time_post)
