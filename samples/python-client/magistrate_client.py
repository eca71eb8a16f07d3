"""A small client for the Magistrate fleet service's intent API (server/src/main/resources/openapi.yaml).

Standard library only (urllib, json, hashlib). An agent in any framework submits an intent before a tool runs, waits
for people to approve it when the policy asks for that, spends the warrant once, and reports the outcome:

    client = MagistrateClient("http://127.0.0.1:8443", token)   # token: from `enroll-agent`, kept secret

    @client.governed("scale_service")
    def scale_service(service: str, instances: int) -> str:
        ...

A denied call raises ToolDenied (its message is the policy's reason, written to be read by a model); the body of the
tool runs only with a warrant, and only once.
"""

import functools
import hashlib
import inspect
import json
import time
import urllib.error
import urllib.request


class MagistrateError(Exception):
    """The service refused a call: HTTP status, its message and the field at fault (or None)."""

    def __init__(self, status, message, field=None):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.field = field


class ToolDenied(PermissionError):
    """The policy or an approver denied the call, or it timed out; the tool did not run."""

    def __init__(self, action, reason, request_id):
        super().__init__(f"{action} denied: {reason}")
        self.action = action
        self.reason = reason
        self.request_id = request_id


class MagistrateClient:
    def __init__(self, base_url, token, timeout=90):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            try:
                err = json.loads(e.read().decode("utf-8"))
            except ValueError:
                err = {"error": e.reason}
            raise MagistrateError(e.code, err.get("error"), err.get("field")) from None

    def submit(self, action, args, justification=None, urgency=None, cost=None):
        body = {"action": action, "args": args}
        for name, value in (("justification", justification), ("urgency", urgency), ("cost", cost)):
            if value is not None:
                body[name] = value
        return self._call("POST", "/v1/intents", body)

    def status(self, request_id, wait=0):
        return self._call("GET", f"/v1/intents/{request_id}?wait={int(wait)}")

    def wait_for_decision(self, request_id, deadline_seconds=3600):
        """Long-polls until the request is final (allow or denied) or the deadline passes."""
        until = time.monotonic() + deadline_seconds
        while True:
            s = self.status(request_id, wait=30)
            if s["status"] != "pending" or time.monotonic() > until:
                return s

    def report_execution(self, request_id, warrant, outcome, result_digest=None):
        body = {"warrant": warrant, "outcome": outcome}
        if result_digest is not None:
            body["result_digest"] = result_digest
        return self._call("POST", f"/v1/intents/{request_id}/execution", body)

    def verify(self, warrant, args=None):
        body = {"warrant": warrant}
        if args is not None:
            body["args"] = args
        return self._call("POST", "/v1/warrants/verify", body)

    def governed(self, action, justification=None, on_pending=None):
        """Wraps a tool function: its keyword arguments become the intent's args, and it runs only with a warrant."""

        def wrap(tool):
            signature = inspect.signature(tool)

            @functools.wraps(tool)
            def call(*args, **kwargs):
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                decided = self.submit(action, dict(bound.arguments), justification=justification)
                request_id = decided["request_id"]
                if decided["status"] == "pending":
                    if on_pending:
                        on_pending(request_id)
                    decided = self.wait_for_decision(request_id)
                if decided["status"] != "allow":
                    raise ToolDenied(action, decided.get("reason", decided.get("state", "denied")), request_id)
                warrant = decided["warrant"]
                # Spent before the body runs (write ahead): a crash after this point can never run the call twice.
                self.report_execution(request_id, warrant, "started")
                try:
                    result = tool(*bound.args, **bound.kwargs)
                except Exception:
                    self.report_execution(request_id, warrant, "failed")
                    raise
                digest = "sha256:" + hashlib.sha256(json.dumps(result, sort_keys=True).encode("utf-8")).hexdigest()
                self.report_execution(request_id, warrant, "succeeded", digest)
                return result

            return call

        return wrap
