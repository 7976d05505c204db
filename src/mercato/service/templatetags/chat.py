"""{% load chat %} {% chat_socket "/ws/chat/" %}: where a page opens a live chat socket.

The path alone (the page's own host, a proxy sending /ws/ to the ASGI service), or under
MERCATO_CHAT_SOCKET_URL when the sockets are served by a process of their own
(`make demo`: the Procfile's `chat`, on the port after the pages')."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def chat_socket(path: str) -> str:
    return settings.CHAT_SOCKET_URL + path
