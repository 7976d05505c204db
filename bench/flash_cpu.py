"""Flash sale buy endpoint, CPU per request in one process (steadier than wrk on a shared
machine): BUYERS logged-in buyers and a sale of UNITS units (flash_bench's `prepare`), then
UNITS purchases and 2,000 sold-out requests through the WSGI application, with the bench
environment of flash_bench (DATABASE_URL = the bench database, REDIS_URL for the cache and
sessions, the raised rate limits).

    PYTHONPATH=src DATABASE_URL=... REDIS_URL=... RATE_FLASH_PER_IP=10000000/m \\
    RATE_FLASH_PER_ACCOUNT=6000/m MERCATO_PAYMENT_METHODS=cod,sandbox \\
    MERCATO_UNSAFE_ALLOW_SANDBOX=1 python bench/flash_cpu.py [BUYERS] [UNITS]

Prints the CPU (time.process_time) and queries per purchase and the CPU per sold-out answer.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")
SOLD_OUT_REQUESTS = 2000


def main() -> None:
    import flash_bench
    from request_profile import environ_for

    buyers, units = (int(a) for a in (sys.argv[1:] + ["300", "100"])[:2])
    out = Path(tempfile.mkdtemp(prefix="mercato-flash-cpu-"))
    flash_bench.prepare(out, buyers, units)
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    app = get_wsgi_application()
    item_id = json.loads((out / "fixtures.json").read_text())["item_id"]
    lines = [line.split() for line in (out / "buyers.txt").read_text().splitlines()]

    def post(i: int) -> str:
        session, csrf, token = lines[i % len(lines)]
        body = f"token={token}&key=cpu-{i}".encode()
        environ = environ_for(
            f"/flash/item/{item_id}/buy/", f"sessionid={session}; csrftoken={csrf}", "POST", body
        )
        environ["HTTP_X_CSRFTOKEN"] = csrf
        status = []
        b"".join(app(environ, lambda s, _h: status.append(s)))
        return status[0]

    start = time.process_time()
    with CaptureQueriesContext(connection) as queries:
        placed = sum(post(i).startswith("201") for i in range(units))
    cpu = time.process_time() - start
    print(
        f"purchases: {placed} of {units}, {cpu / units * 1000:.2f} ms CPU and "
        f"{len(queries.captured_queries) / units:.1f} queries each"
    )
    start = time.process_time()
    answers = {post(units + i) for i in range(SOLD_OUT_REQUESTS)}
    cpu = time.process_time() - start
    print(f"sold out {answers}: {cpu / SOLD_OUT_REQUESTS * 1e6:.0f} µs CPU each")


if __name__ == "__main__":
    main()
