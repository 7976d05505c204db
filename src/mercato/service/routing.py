"""The live chat's WebSocket URLs (mercato/asgi.py routes them)."""

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/chat/", consumers.ShopperConsumer.as_asgi()),
    path("ws/chat/agent/", consumers.AgentConsumer.as_asgi()),
]
