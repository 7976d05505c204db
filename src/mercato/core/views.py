from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .health import DOWN, readiness


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """200 while this node can serve, 503 when it cannot (the database is down).

    The body names every check: {"status": "ok" | "degraded" | "unavailable", "checks":
    {name: "ok" or the reason}, "down": [...], "degraded": [...]}. With ?deep, anything
    degraded answers 503 too: that is the URL to alarm on (docs/operator.md).
    """
    results = readiness()
    down = sorted(
        name for name, (severity, problem) in results.items() if problem and severity == DOWN
    )
    degraded = sorted(
        name for name, (severity, problem) in results.items() if problem and severity != DOWN
    )
    body = {
        "status": "unavailable" if down else "degraded" if degraded else "ok",
        "checks": {name: problem or "ok" for name, (_severity, problem) in results.items()},
    }
    if down:
        body["down"] = down
    if degraded:
        body["degraded"] = degraded
    failing = down or ("deep" in request.GET and degraded)
    return JsonResponse(body, status=503 if failing else 200)
