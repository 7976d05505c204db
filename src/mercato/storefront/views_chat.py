"""The live chat's one HTTP call (the chat itself is a WebSocket, service/consumers.py):
the shop's pages are cached and set no cookie, so the chat widget asks here first, and a
guest's browser gets the session the chat knows them by."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def chat_session(request):
    if not request.session.session_key:
        request.session["chat"] = True  # a change, so the session is saved and its cookie set
    return JsonResponse({"member": request.user.is_authenticated and not request.user.is_staff})
