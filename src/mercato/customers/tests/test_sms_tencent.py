"""The Tencent Cloud SMS adapter against a local HTTP server that checks its signature.

The server re-computes TC3-HMAC-SHA256 from what it received, following Tencent Cloud's
documentation (API 3.0, "Signature v3"), written out here independently of the adapter's
code, so a mistake in the adapter's signer cannot verify itself.
"""

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mercato.customers.sms import SmsDeliveryFailed, SmsMessage, TencentSmsBackend

SECRET_ID = "AKIDtest0000000000000000000000000000"
SECRET_KEY = "test-secret-key-0123456789abcdef"


def documented_tc3_signature(*, method, path, query, headers, body, secret_key):
    """Tencent's steps: canonical request → string to sign → derived key → signature."""
    auth = headers["Authorization"]
    algorithm, _, rest = auth.partition(" ")
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    credential = parts["Credential"].split("/")
    secret_id, date, service, terminator = credential
    signed = parts["SignedHeaders"].split(";")
    canonical_headers = "".join(f"{h}:{headers[h].strip().lower()}\n" for h in signed)
    canonical_request = "\n".join(
        [method, path, query, canonical_headers, parts["SignedHeaders"],
         hashlib.sha256(body).hexdigest()]
    )  # fmt: skip
    timestamp = headers["X-TC-Timestamp"]
    string_to_sign = "\n".join(
        [algorithm, timestamp, f"{date}/{service}/{terminator}",
         hashlib.sha256(canonical_request.encode()).hexdigest()]
    )  # fmt: skip
    k_date = hmac.new(("TC3" + secret_key).encode(), date.encode(), hashlib.sha256).digest()
    k_service = hmac.new(k_date, service.encode(), hashlib.sha256).digest()
    k_signing = hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()
    expected = hmac.new(k_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()
    ok_date = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d") == date
    return {
        "secret_id": secret_id,
        "service": service,
        "valid": ok_date and hmac.compare_digest(expected, parts["Signature"]),
    }


class FakeTencent(BaseHTTPRequestHandler):
    received: list = []
    reply: dict | None = None

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        path, _, query = self.path.partition("?")
        check = documented_tc3_signature(
            method="POST", path=path, query=query, headers=self.headers, body=body,
            secret_key=SECRET_KEY,
        )  # fmt: skip
        headers = {k.lower(): v for k, v in self.headers.items()}
        FakeTencent.received.append({"check": check, "body": json.loads(body), "headers": headers})
        if not check["valid"]:
            error = {"Code": "AuthFailure.SignatureFailure", "Message": "bad signature"}
            payload = {"Response": {"Error": error, "RequestId": "r"}}
        else:
            payload = FakeTencent.reply or {
                "Response": {
                    "SendStatusSet": [{"Code": "Ok", "Message": "send success",
                                       "PhoneNumber": body and "+86..."}],
                    "RequestId": "req-1",
                }
            }  # fmt: skip
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep the test output (and any number) quiet
        pass


@pytest.fixture
def server():
    FakeTencent.received, FakeTencent.reply = [], None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeTencent)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _backend(endpoint, secret_key=SECRET_KEY):
    return TencentSmsBackend(
        secret_id=SECRET_ID, secret_key=secret_key, sdk_app_id="1400000000",
        sign_name="Mercato商城", templates={"login": "100001", "signup": "100002"},
        endpoint=endpoint,
    )  # fmt: skip


MESSAGE = SmsMessage(mobile="13812345678", purpose="login", code="042137", minutes=5)


def test_send_is_signed_as_tencent_documents(server):
    """The local server accepts the adapter's TC3-HMAC-SHA256 signature and gets the
    template, the +86 number and the code as template parameters."""
    _backend(server).send(MESSAGE)
    (request,) = FakeTencent.received
    assert request["check"] == {"secret_id": SECRET_ID, "service": "sms", "valid": True}
    assert request["headers"]["x-tc-action"] == "SendSms"
    assert request["headers"]["x-tc-version"] == "2021-01-11"
    assert request["body"] == {
        "PhoneNumberSet": ["+8613812345678"],
        "SmsSdkAppId": "1400000000",
        "SignName": "Mercato商城",
        "TemplateId": "100001",
        "TemplateParamSet": ["042137", "5"],
    }


def test_a_wrong_key_fails_verification_and_raises(server):
    """Signed with another key, the server refuses it and the adapter reports the error."""
    with pytest.raises(SmsDeliveryFailed, match="SignatureFailure"):
        _backend(server, secret_key="not-the-key").send(MESSAGE)
    assert FakeTencent.received[0]["check"]["valid"] is False


def test_a_refused_number_raises(server):
    """A per-number refusal in SendStatusSet raises with the provider's code."""
    FakeTencent.reply = {
        "Response": {
            "SendStatusSet": [
                {"Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "daily limit"}
            ],
            "RequestId": "r",
        }
    }  # noqa: E501
    with pytest.raises(SmsDeliveryFailed, match="PhoneNumberDailyLimit"):
        _backend(server).send(MESSAGE)


def test_an_unreachable_provider_raises():
    """A provider that cannot be reached raises SmsDeliveryFailed."""
    with pytest.raises(SmsDeliveryFailed, match="unreachable"):
        _backend("http://127.0.0.1:9/").send(MESSAGE)


def test_only_http_endpoints_are_accepted():
    """A non-HTTP endpoint (file:, ...) is refused when the backend is built."""
    with pytest.raises(ValueError, match="http"):
        _backend("file:///etc/passwd")
