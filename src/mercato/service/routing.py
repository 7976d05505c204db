"""The live chat's WebSocket URLs and the stack around them (mercato/asgi.py serves it).

A WebSocket's Origin must be one of ALLOWED_HOSTS (a page of another site cannot open a
chat in the shopper's name with their cookies), and the session and user come from the
cookies as for a page."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/chat/", consumers.ShopperConsumer.as_asgi()),
    path("ws/chat/agent/", consumers.AgentConsumer.as_asgi()),
]


def websocket_application():
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
