"""The other side of each protocol: keys the tests generate and a local HTTP gateway."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class KeyPair:
    key: rsa.RSAPrivateKey
    private_pem: str
    public_pem: str


def make_key_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(key, private_pem, public_pem)


@pytest.fixture(scope="session")
def key_pairs():
    """Generated once per test run: merchant, gateway, and a stranger's keys."""
    return {name: make_key_pair() for name in ("merchant", "gateway", "stranger")}


@dataclass
class Call:
    method: str
    path: str
    headers: dict
    body: bytes


@dataclass
class FakeGateway:
    """A gateway on 127.0.0.1: `respond(call) -> (status, headers, body)` is set per test."""

    url: str = ""
    calls: list = field(default_factory=list)
    respond: object = None


@pytest.fixture
def fake_gateway():
    gateway = FakeGateway()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            call = Call(
                self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
            )
            gateway.calls.append(call)
            status, headers, body = gateway.respond(call)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _serve

        def log_message(self, *args):  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield gateway
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="session")
def unionpay_pki():
    from .counterpart import make_pki

    return make_pki()


@pytest.fixture
def counterpart(settings, key_pairs, unionpay_pki, fake_gateway):
    """Every gateway configured with the tests' keys and pointed at the local fake server;
    the returned Counterpart signs notices and answers as the gateways do."""
    from .counterpart import Counterpart, gateway_settings

    settings.MERCATO_PAYMENTS = gateway_settings(key_pairs, unionpay_pki, fake_gateway.url)
    return Counterpart(key_pairs, unionpay_pki, fake_gateway)
