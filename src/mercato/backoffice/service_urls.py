"""Customer service: tickets (views_service.py) and the live chat console (views_chat.py),
under service/ in the backoffice namespace."""

from django.urls import path

from . import views_chat
from . import views_service as views

urlpatterns = [
    path("chat/", views_chat.chat_console, name="chat_console"),  # 在线咨询 (views_chat)
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<str:number>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<str:number>/status/", views.ticket_status, name="ticket_status"),
    path("tickets/<str:number>/assign/", views.ticket_assign, name="ticket_assign"),
    path("tickets/<str:number>/escalate/", views.ticket_escalate, name="ticket_escalate"),
    path("tickets/<str:number>/merge/", views.ticket_merge, name="ticket_merge"),
    path("tickets/<str:number>/split/", views.ticket_split, name="ticket_split"),
    path("tickets/<str:number>/tags/", views.ticket_tags, name="ticket_tags"),
]
