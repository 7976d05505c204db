"""A live ASGI server for browser tests that need WebSockets (pytest-django's live_server
is WSGI and has none): uvicorn in a thread of the test process, on a free loopback port,
serving the same HTTP and WebSocket stack as mercato/asgi.py against the test database
(the test must be `django_db(transaction=True)`, so the server's threads see its rows)."""

import socket
import threading
import time
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_asgi_server():
    import uvicorn
    from channels.routing import ProtocolTypeRouter
    from django.core.asgi import get_asgi_application

    from mercato.service.routing import websocket_application

    app = ProtocolTypeRouter({"http": get_asgi_application(), "websocket": websocket_application()})
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", ws="websockets-sansio",
        log_level="warning",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-asgi", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live ASGI server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
