from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .health import readiness


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    checks = readiness()
    down = sorted(name for name, problem in checks.items() if problem)
    body = {
        "status": "ok" if not down else "unavailable",
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
