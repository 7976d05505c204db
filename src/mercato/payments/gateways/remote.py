"""The few HTTP calls the gateways make (query, refund, WeChat order creation), via urllib.

Any failure to get an answer becomes a GatewayError; the caller decides what an answer
means after checking its signature.
"""

import urllib.error
import urllib.request
from dataclasses import dataclass

from .base import GatewayError

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def send(method: str, url: str, *, body: bytes = b"", headers: dict[str, str]) -> Response:
    if not url.startswith(("https://", "http://")):
        raise GatewayError(f"refusing to call {url!r}: not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=body if method != "GET" else None, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:  # noqa: S310
            return Response(reply.status, dict(reply.headers.items()), reply.read())
    except urllib.error.HTTPError as error:  # 4xx/5xx still carry a (signed) answer
        return Response(error.code, dict(error.headers.items()), error.read())
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise GatewayError(f"cannot reach the gateway: {error}") from error
