import json
from contextlib import contextmanager
from datetime import timedelta

from odoo import fields
from odoo.addons.q2c_base import http_contract
from odoo.addons.q2c_base.tests.common import Q2cCase, stand_in_server
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class Q2cSyncCase(Q2cCase):
    """The steps the tests of every pull connector and push API take: create a pull system,
    point it at a local stand-in server, start a run and perform its page jobs like queue_job's
    runner; post rows to a push API and check its refusals.

    A pull connector's case sets `pull_system` (the system `_pull` reads from by default)."""

    pull_system = None

    # --- pull ------------------------------------------------------------------------------

    @classmethod
    def _create_pull_system(cls, refs=(), **values):
        """A system with the tests' pull settings (pages of 2, two tries per call and per
        page) unless `values` say otherwise, and `refs` bound: (object type, external id,
        record) triples."""
        defaults = {"pull_page_size": 2, "outbound_max_tries": 2, "pull_page_max_retries": 2}
        system = cls._create_system(**{**defaults, **values})
        Ref = cls.env["q2c.external.ref"]
        for object_type, external_id, record in refs:
            Ref._bind(system, object_type, external_id, record)
        return system

    @contextmanager
    def _stand_in(self, script, system=None):
        """Serve `script` from a local stand-in server the system reads from; yields the
        requests it has seen."""
        with stand_in_server(script) as (url, seen):
            (system or self.pull_system).base_url = url
            yield seen

    def _pull(self, script, system=None):
        """One run against a stand-in source serving `script`; (run, requests seen)."""
        system = system or self.pull_system
        with self._stand_in(script, system) as seen:
            run = system._sync_start_run()
            self._run_all(run)
        return run, seen

    def _cron_run(self, system=None):
        """Switch the system's pull on and let the cron start its run: (run, job of its
        first page)."""
        system = system or self.pull_system
        system.pull_enabled = True
        self.env["q2c.system"]._cron_pull()
        run = system.sync_run_ids
        self.assertEqual(len(run), 1)
        return run, self._job(run.page_ids)

    def _days_ago(self, days):
        """The date `days` before today, as sources write it (look-back windows)."""
        return (fields.Datetime.now().date() - timedelta(days=days)).isoformat()

    def _perform(self, uuid):
        """Perform a job and record its outcome like queue_job's runner does."""
        self._perform_job(uuid)

    def _run_all(self, run, limit=10):
        """Perform the run's queued page jobs until none is left (pages add pages)."""
        for _round in range(limit):
            pages = run.page_ids.filtered(lambda p: p.state in ("queued", "failed"))
            if not pages:
                return
            for page in pages:
                self._perform(page.job_uuid)
        self.fail("the run did not finish")

    # --- push ------------------------------------------------------------------------------

    @classmethod
    def _api_key(cls, user):
        expiry = fields.Datetime.now() + timedelta(days=1)
        return cls.env["res.users.apikeys"].with_user(user)._generate(None, "q2c time", expiry)

    def _post_rows(self, path, rows, key=None, params="", content_type="application/json"):
        """POST `rows` (a list, or raw bytes) to a push API with the bearer `key` (by default
        the case's `api_key`)."""
        body = rows if isinstance(rows, bytes) else json.dumps(rows).encode()
        headers = {
            "Content-Type": content_type,
            "Authorization": f"Bearer {key or self.api_key}",
        }
        return self.url_open(f"{path}{params}", data=body, headers=headers, timeout=60)

    def _check_push_refusals(self, path, row):
        """The refusals every push API gives, whole requests before any row is read:
        `row(external_id)` makes one valid row."""
        too_many = [row(f"n-{n}") for n in range(1001)]
        other_key = self._api_key(self.employee)
        cases = [
            ("no key", b"[]", "", None, 401),
            ("bad key", b"[]", "", "not-a-key", 401),
            ("not json", b"{oops", "", None, 400),
            ("not an array", b'{"id": 1}', "", None, 400),
            ("too many", too_many, "", None, 413),
            ("user of no system", b"[]", "", other_key, 403),
            ("unknown system", b"[]", "?system=999999", None, 403),
        ]
        for label, body, params, key, status in cases:
            with self.subTest(label):
                if label == "no key":
                    response = self.url_open(
                        path, data=body, headers={"Content-Type": "application/json"}
                    )
                else:
                    response = self._post_rows(path, body, key=key, params=params)
                self._check_contract_error(response, status)
        self._check_push_content_types(path, row)

    def _check_contract_error(self, response, status):
        """An error of the q2c HTTP contract: `status`, JSON `{"error": <code>, "detail"}`."""
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["Content-Type"].split(";")[0], "application/json")
        body = response.json()
        self.assertEqual(set(body), {"error", "detail"}, body)
        self.assertEqual(body["error"], http_contract.ERROR_CODES[status])

    def _check_push_content_types(self, path, row):
        """The body is accepted by its media type (parameters and letter case aside), like
        the webhook intake's; text/plain and forms are 415 and nothing is read. Another
        method than POST is 405, in the same JSON shape."""
        cases = [
            ("text/plain", "ct-1", 415),
            ("text/plain; charset=utf-8", "ct-2", 415),
            ("application/x-www-form-urlencoded", "ct-3", 415),
            ("", "ct-4", 415),
            ("application/json; charset=utf-8", "ct-5", 200),
            ("Application/JSON", "ct-6", 200),
        ]
        for content_type, external_id, status in cases:
            with self.subTest(content_type=content_type):
                response = self._post_rows(path, [row(external_id)], content_type=content_type)
                if status == 200:
                    self.assertEqual(response.status_code, 200, response.text)
                    self.assertEqual(response.json()["results"][0]["id"], external_id)
                else:
                    self._check_contract_error(response, status)
        headers = {"Authorization": f"Bearer {self.api_key}"}
        for method in ("GET", "PUT"):
            with self.subTest(method=method):
                response = self.opener.request(
                    method, self.base_url() + path, headers=headers, timeout=30
                )
                self._check_contract_error(response, 405)
                self.assertIn("POST", response.headers["Allow"])

    def _check_push_openapi_statuses(self, post):
        """The push route's OpenAPI operation lists every status of the contract, each a JSON
        `Error`."""
        statuses = {"200", "400", "401", "403", "405", "413", "415", "500"}
        self.assertEqual(set(post["responses"]), statuses)
        for status in statuses - {"200"}:
            schema = post["responses"][status]["content"]["application/json"]["schema"]
            self.assertEqual(schema, {"$ref": "#/components/schemas/Error"})

    def _check_push_malformed_input(self, path, row, model):
        """Malformed `?system=`, Authorization and bodies on a push API: 400 / 401, never
        500; no ERROR logged, nothing of `model` stored (issue 12, item 4). `row(external_id)`
        makes one valid row."""
        long_id = "".join(f"{n:x}" for n in range(1400))  # 5,000 characters, incompressible
        nul_row = {**row("nul-1"), "description": "a\u0000b"}
        cases = [
            ("system of 5,000 digits", b"[]", "?system=" + "9" * 5000, None, 400),
            ("system above PostgreSQL's integer", b"[]", "?system=99999999999", None, 400),
            ("Arabic-Indic digits", b"[]", "?system=%D9%A1%D9%A2%D9%A3", None, 400),
            ("superscript digit", b"[]", "?system=%C2%B2", None, 400),
            ("NUL byte in system", b"[]", "?system=1%00", None, 400),
            ("negative system", b"[]", "?system=-1", None, 400),
            ("zero system", b"[]", "?system=0", None, 400),
            ("empty system", b"[]", "?system=", None, 400),
            ("NUL byte in the key", b"[]", "", "abc\x00def", 401),
            ("non-ASCII key", b"[]", "", "clé", 401),
            ("deeply nested body", b"[" * 100000 + b"]" * 100000, "", None, 400),
            ("NUL character in an entry", [nul_row], "", None, 400),
            ("id of 5,000 characters", [row(long_id)], "", None, 200),
        ]
        records = self.env[model].sudo()
        for label, body, params, key, status in cases:
            with self.subTest(case=label):
                before = records.search_count([])
                with self.assertNoLogs(level="ERROR"):
                    if key is None:
                        response = self._post_rows(path, body, params=params)
                    else:
                        response = self.url_open(
                            f"{path}{params}",
                            data=body,
                            headers={
                                "Content-Type": "application/json",
                                "Authorization": f"Bearer {key}".encode(),
                            },
                        )
                self.assertEqual(response.status_code, status, response.text[:300])
                if status == 200:
                    self.assertEqual(response.json()["summary"], {"rejected": 1})
                self.assertEqual(records.search_count([]), before)
