"""A local stand-in for Stripe's API (docs/saas-specs.md 1.8), for the publication, re-read
and payout tests: form-encoded POSTs answered with Stripe's objects, idempotency as Stripe
keeps it (the same Idempotency-Key with the same parameters replays the first answer; with
other parameters, 400 `idempotency_error`; a POST without a key is refused here, since q2c
must always send one), lists with `has_more` / `starting_after`, scripted failures, and,
when given `api_key`, the secret key checked on every request (401 otherwise). Invoices
are finalized, voided (`/void`, open or uncollectible only) and paid out of band (`/pay`
with `paid_out_of_band=true`, open only) as Stripe does; `pay_online(id)` plays a customer
paying the hosted page."""

import itertools
import threading
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

from odoo.addons.q2c_base.tests.common import FakeApi, serve_locally


class StripeState:
    """What the stand-in holds: objects by id, answers by idempotency key, every request,
    and failures to answer next (path prefix, status, headers)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.objects = {}
        self.keys = {}
        self.requests = []
        self.failures = []
        self.balance_transactions = {}
        self.page_size = 100
        self.api_key = None

    def pay_online(self, invoice_id):
        """The customer pays the hosted invoice page: the invoice is paid at Stripe."""
        invoice = self.objects[invoice_id]
        invoice.update(status="paid", amount_paid=invoice["total"], amount_remaining=0)

    def posts(self, prefix=""):
        return [r for r in self.requests if r["method"] == "POST" and r["path"].startswith(prefix)]

    def of_type(self, kind):
        return [o for o in self.objects.values() if o.get("object") == kind]


class StripeApi(FakeApi):
    state = None

    def _form(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        return {key: values[-1] for key, values in parse_qs(body).items()}

    def _record(self, form):
        parts = urlsplit(self.path)
        request = {
            "method": self.command,
            "path": parts.path,
            "query": parse_qs(parts.query),
            "form": form,
            "headers": dict(self.headers),
        }
        self.state.requests.append(request)
        return request

    def _scripted_failure(self, path):
        for failure in self.state.failures:
            if path.startswith(failure[0]):
                self.state.failures.remove(failure)
                return failure
        return None

    @staticmethod
    def _failure_body(failure):
        """A scripted failure's answer: its 4th item when given, else Stripe's bare
        api_error."""
        return failure[3] if len(failure) > 3 else {"error": {"type": "api_error"}}

    def _refused_key(self):
        """401 as Stripe answers a missing or wrong secret key, when a key is checked."""
        expected = self.state.api_key and f"Bearer {self.state.api_key}"
        if not expected or self.headers.get("Authorization") == expected:
            return False
        self._send(401, {"error": {"type": "invalid_request_error", "code": "api_key_invalid"}})
        return True

    def do_GET(self):
        request = self._record({})
        if self._refused_key():
            return None
        with self.state.lock:
            failure = self._scripted_failure(request["path"])
        if failure:
            return self._send(failure[1], self._failure_body(failure), failure[2])
        path, query = request["path"], request["query"]
        if path == "/v1/balance_transactions":
            return self._send(200, self._page(query))
        if path == "/v1/credit_notes":
            notes = [
                o
                for o in self.state.of_type("credit_note")
                if o.get("invoice") == query.get("invoice", [None])[0]
            ]
            return self._send(200, {"object": "list", "data": notes, "has_more": False})
        obj = self.state.objects.get(path.rsplit("/", 1)[-1])
        if not obj:
            return self._send(404, {"error": {"type": "invalid_request_error"}})
        return self._send(200, obj)

    def _page(self, query):
        rows = self.state.balance_transactions.get(query["payout"][0], [])
        limit = min(int(query.get("limit", ["10"])[0]), self.state.page_size)
        start = 0
        if "starting_after" in query:
            ids = [row["id"] for row in rows]
            start = ids.index(query["starting_after"][0]) + 1
        data = rows[start : start + limit]
        return {"object": "list", "data": data, "has_more": start + limit < len(rows)}

    def do_POST(self):
        form = self._form()
        request = self._record(form)
        if self._refused_key():
            return None
        key = self.headers.get("Idempotency-Key")
        if not key:
            return self._send(400, {"error": {"type": "invalid_request_error"}})
        with self.state.lock:
            failure = self._scripted_failure(request["path"])
            if failure:
                return self._send(failure[1], self._failure_body(failure), failure[2])
            if key in self.state.keys:
                seen_path, seen_form, status, answer = self.state.keys[key]
                if (seen_path, seen_form) != (request["path"], form):
                    return self._send(
                        400, {"error": {"type": "idempotency_error", "code": "idempotency_error"}}
                    )
                return self._send(status, answer, {"Idempotent-Replayed": "true"})
            status, answer = self._create(request["path"], form)
            self.state.keys[key] = (request["path"], form, status, answer)
        return self._send(status, answer)

    def _new_id(self, prefix):
        return f"{prefix}_{next(self.state.ids)}"

    def _metadata(self, form):
        return {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}

    def _create(self, path, form):
        objects = self.state.objects
        if path == "/v1/customers":
            obj = {"id": self._new_id("cus"), "object": "customer", "name": form.get("name")}
            obj["metadata"] = self._metadata(form)
        elif path == "/v1/invoices":
            obj = {
                "id": self._new_id("in"),
                "object": "invoice",
                "status": "draft",
                "customer": form["customer"],
                "currency": form["currency"],
                "collection_method": form.get("collection_method"),
                "metadata": self._metadata(form),
                "total": 0,
                "amount_due": 0,
                "hosted_invoice_url": None,
            }
        elif path == "/v1/invoiceitems":
            invoice = objects[form["invoice"]]
            invoice["total"] += int(form["amount"])
            invoice["amount_due"] = invoice["total"]
            obj = {"id": self._new_id("ii"), "object": "invoiceitem", **form}
        elif path.startswith("/v1/invoices/") and path.endswith("/finalize"):
            invoice = objects[path.split("/")[3]]
            invoice["status"] = "open"
            invoice["number"] = f"STAND-{invoice['id']}"
            invoice["hosted_invoice_url"] = f"https://invoice.stripe.test/i/{invoice['id']}"
            return 200, dict(invoice)
        elif path.startswith("/v1/invoices/") and path.endswith(("/void", "/pay")):
            return self._close_invoice(path, form)
        else:
            return 404, {"error": {"type": "invalid_request_error"}}
        objects[obj["id"]] = obj
        return 200, dict(obj)

    def _close_invoice(self, path, form):
        """`/void` of an open or uncollectible invoice; `/pay` of an open invoice with
        `paid_out_of_band=true` (no payment method here). Anything else: 400
        `invoice_unexpected_state`, the refusal Stripe gives an invoice in another state."""
        invoice = self.state.objects.get(path.split("/")[3])
        if invoice is None:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}}
        refused = {"error": {"type": "invalid_request_error", "code": "invoice_unexpected_state"}}
        if path.endswith("/void"):
            if invoice["status"] not in ("open", "uncollectible"):
                return 400, refused
            invoice.update(status="void", amount_remaining=0)
            return 200, dict(invoice)
        if invoice["status"] != "open" or form.get("paid_out_of_band") != "true":
            return 400, refused
        invoice.update(status="paid", paid_out_of_band=True, amount_remaining=0)
        return 200, dict(invoice)


@contextmanager
def stripe_stand_in(system, api_key=None):
    """Serve a fresh stand-in and point `system` at it; yields its StripeState. With
    `api_key`, every request must carry it (`Authorization: Bearer <key>`)."""
    state = StripeState()
    state.api_key = api_key
    handler = type("StripeApiStandIn", (StripeApi,), {"state": state})
    with serve_locally(handler) as url:
        system.base_url = url
        yield state
