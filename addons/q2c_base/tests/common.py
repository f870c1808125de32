import json
import socket
import threading
import time
import traceback
from contextlib import contextmanager, suppress
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from odoo.addons.q2c_base import signatures
from odoo.addons.q2c_base.models.q2c_event import Q2cEvent
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import config

SECRET = "whsec_test_0123456789abcdef"
TEST_KEY = "q2c-test-secret-key"


@tagged("post_install", "-at_install")
class Q2cCase(HttpCase):
    """Users of every q2c role, one generic system, and helpers to post signed bytes.

    HttpCase: requests go through Odoo's real HTTP server, and the registry is in test mode
    so code opening its own cursor (the outbound log) stays inside the test transaction.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.key_patch = patch.dict(config.options, {"q2c_secret_key": TEST_KEY})
        cls.key_patch.start()
        cls.addClassCleanup(cls.key_patch.stop)
        cls.integration_user = new_test_user(
            cls.env,
            login="q2c_int_generic",
            # Contact Creation: what a CRM connector's integration user is given.
            groups="base.group_user,base.group_partner_manager,q2c_base.group_integration_user",
        )
        cls.manager = new_test_user(
            cls.env, login="q2c_mgr", groups="base.group_user,q2c_base.group_integration_manager"
        )
        cls.auditor = new_test_user(
            cls.env, login="q2c_aud", groups="base.group_user,q2c_base.group_auditor"
        )
        cls.employee = new_test_user(cls.env, login="q2c_emp", groups="base.group_user")
        cls.system = cls._create_system()

    @classmethod
    def _create_system(cls, **overrides):
        vals = {
            "name": "Generic test system",
            "system_type": "generic",
            "user_id": cls.integration_user.id,
            "webhook_secret": SECRET,
        }
        vals.update(overrides)
        return cls.env["q2c.system"].create(vals)

    # --- posting -------------------------------------------------------------------------

    def _url(self, system=None, key=None):
        system = system or self.system
        return f"/q2c/webhook/{system.system_type}/{key or system.inbound_key}"

    def _post(self, body, system=None, secret=SECRET, timestamp=None, headers=None, url=None):
        """POST raw bytes signed like a sender would; returns the `requests` response."""
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json"}
        if secret is not None:
            all_headers["X-Q2C-Signature"] = signatures.sign(secret, body, timestamp)
        all_headers.update(headers or {})
        return self.url_open(url or self._url(system), data=body, headers=all_headers)

    def _events(self, system=None):
        return self.env["q2c.event"].search([("system_id", "=", (system or self.system).id)])

    def _send_raw(self, request):
        """Send raw request bytes to Odoo's HTTP server (for what `requests` will not send:
        a malformed Content-Length, bytes that are not UTF-8 in the URL) and return the raw
        answer. Fails when Odoo logs an ERROR meanwhile."""
        address = ("127.0.0.1", config["http_port"])
        with (
            self.assertNoLogs(level="ERROR"),
            socket.create_connection(address, timeout=30) as sock,
        ):
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        return answer

    # --- processing ----------------------------------------------------------------------

    def _job(self, event):
        return self.env["queue.job"].search([("uuid", "=", event.job_uuid)])

    def _run_job_over_http(self, event):
        """Run the event's job through queue_job's own HTTP entry point, as its runner does
        (mark it enqueued, GET /queue_job/runjob). Only for jobs expected to succeed: on a
        retry, queue_job records it in a second cursor which, in test mode, is nested in the
        request's savepoint and undone with it."""
        job = self._job(event)
        self.assertTrue(job, "the event has no job")
        self.env.flush_all()
        self.env.cr.execute("UPDATE queue_job SET state = 'enqueued' WHERE id = %s", (job.id,))
        self.env.invalidate_all()
        response = self.url_open(
            f"/queue_job/runjob?db={self.env.cr.dbname}&job_uuid={job.uuid}", timeout=60
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        return job

    def _run_job_like_the_runner(self, event):
        """Perform the event's job with queue_job's Job API and record the outcome the way
        RunJobController._runjob does: done, postponed for a retry (RetryableJobError, with
        queue_job's own retry count, max_retries and retry pattern), or failed when
        queue_job gives up (FailedJobError)."""
        self._perform_job(event.job_uuid)
        return self._job(event)

    def _perform_job(self, uuid):
        """Perform one queue job and store its outcome as RunJobController._runjob does,
        calling the job function's `on_fail` hook when it gives the job up."""
        job = Job.load(self.env, uuid)
        job.set_started()
        job.store()
        try:
            with self.env.cr.savepoint():
                job.perform()
                job.set_done()
                job.store()
        except RetryableJobError as error:
            job.postpone(result=str(error), seconds=error.seconds)
            job.set_pending(reset_retry=False)
            job.store()
        except Exception as error:  # FailedJobError or a crash, as the runner catches them
            vals = RunJobController._get_failure_values(job, traceback.format_exc(), error)
            job.set_failed(**vals)
            job.store()
            job.on_fail(vals)
        self.env.invalidate_all()

    @contextmanager
    def _handler(self, event_type, function):
        """Register `function(event)` as the handler of (generic, event_type) for the
        duration of a test, the way a connector overrides `_get_handler`."""
        original = Q2cEvent._get_handler

        def get_handler(event):
            if event.system_type == "generic" and event.event_type == event_type:
                return partial(function, event)
            return original(event)

        with patch.object(Q2cEvent, "_get_handler", get_handler):
            yield


class StandIn(BaseHTTPRequestHandler):
    """A scripted local HTTP server: each request pops the next (status, headers, body, delay)."""

    script = []
    seen = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        type(self).seen.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers),
                "body": body,
            }
        )
        script = type(self).script
        status, headers, answer, delay = script.pop(0) if script else (200, {}, b"{}", 0)
        if delay:
            time.sleep(delay)
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        with suppress(BrokenPipeError):  # the client gave up first (a timeout test)
            self.wfile.write(answer)

    do_GET = do_POST = do_PATCH = do_PUT = _answer

    def log_message(self, *args):
        pass


class FakeApi(BaseHTTPRequestHandler):
    """Base of a local stand-in for a vendor's API that routes requests itself (`do_GET`
    and the others): `_send` answers JSON with the headers of `_headers`."""

    def _headers(self):
        """The headers of every answer (a vendor's usage headers, say)."""
        return {"Content-Type": "application/json"}

    def _send(self, status, body, headers=None):
        answer = json.dumps(body).encode()
        self.send_response(status)
        for key, value in {**self._headers(), **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        with suppress(BrokenPipeError):
            self.wfile.write(answer)

    def log_message(self, *args):
        pass


@contextmanager
def serve_locally(handler):
    """Serve a request handler class on 127.0.0.1 in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def stand_in_server(script):
    """Serve `script` on 127.0.0.1; yields (base_url, seen requests)."""
    handler = type("ScriptedStandIn", (StandIn,), {"script": list(script), "seen": []})
    with serve_locally(handler) as base_url:
        yield base_url, handler.seen
