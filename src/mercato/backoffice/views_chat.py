"""The live chat console (在线咨询) of 客服部: the page only; the conversations come and go
over the agent's WebSocket (service/consumers.py, backoffice/static/backoffice/chat.js)."""

from django.shortcuts import render

from mercato.service import selectors

from .access import staff_view

HANDLE = "service.handle_ticket"


@staff_view(HANDLE)
def chat_console(request):
    others = [a for a in selectors.chat_agents() if a.pk != request.user.pk]
    return render(request, "backoffice/service/chat.html", {"agents": others})
