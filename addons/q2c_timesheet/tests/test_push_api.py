from odoo.tests import tagged

from .common import Q2cTimeCase


@tagged("post_install", "-at_install")
class TestPushApi(Q2cTimeCase):
    def test_push_per_entry_results(self):
        entries = [
            self._entry("p-1"),
            self._entry("p-2", hours=99),
            self._entry("p-3", employee="u-ghost"),
        ]
        response = self._push(entries)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(
            [r["status"] for r in body["results"]], ["created", "rejected", "rejected"]
        )
        self.assertIn("hours", body["results"][1]["reason"])
        self.assertTrue(body["results"][2]["held"])
        self.assertEqual(body["summary"], {"created": 1, "rejected": 2})
        line = self._line("p-1")
        self.assertEqual(body["results"][0]["line_id"], line.id)
        self.assertEqual(line.create_uid, self.time_user)
        again = self._push(entries[:1]).json()
        self.assertEqual(again["results"][0]["status"], "unchanged")
        edited = self._push([self._entry("p-1", hours=7.0)]).json()
        self.assertEqual(edited["results"][0]["status"], "updated")
        self.env.invalidate_all()
        self.assertEqual(line.unit_amount, 7.0)

    def test_refusals(self):
        self._check_push_refusals("/q2c/api/v1/time-entries", self._entry)
        self.assertFalse(self._line("n-0"))

    def test_malformed_input(self):
        self._check_push_malformed_input(
            "/q2c/api/v1/time-entries", self._entry, "account.analytic.line"
        )

    def test_several_systems_need_the_system_parameter(self):
        second = self._create_system(name="Second (test)", user_id=self.time_user.id)
        self.env["q2c.external.ref"]._bind(second, "employee", "u-gina", self.gina)
        self.env["q2c.external.ref"]._bind(second, "project", "p-600", self.project)
        self.assertEqual(self._push([self._entry("s-1")]).status_code, 403)
        response = self._push([self._entry("s-1")], params=f"?system={second.id}")
        self.assertEqual(response.json()["results"][0]["status"], "created")
        self.assertTrue(self._line("s-1", system=second))
        self.assertFalse(self._line("s-1"))

    def test_openapi_document(self):
        response = self.url_open("/q2c/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        self.assertTrue(document["openapi"].startswith("3."))
        post = document["paths"]["/q2c/api/v1/time-entries"]["post"]
        self.assertEqual(
            post["requestBody"]["content"]["application/json"]["schema"]["maxItems"], 1000
        )
        statuses = document["components"]["schemas"]["Result"]["properties"]["status"]["enum"]
        self.assertEqual(statuses, ["created", "updated", "unchanged", "rejected"])
        self._check_push_openapi_statuses(post)
        error = document["components"]["schemas"]["Error"]
        self.assertEqual(error["required"], ["error", "detail"])
        self.assertIn("unsupported_media_type", error["properties"]["error"]["enum"])
