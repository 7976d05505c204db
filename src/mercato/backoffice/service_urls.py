"""Customer service (客服部) under service/ in the backoffice namespace: tickets
(views_service.py), the live chat console (views_chat.py), the knowledge base and training
(views_knowledge.py), callbacks (views_callbacks.py), quality review and KPIs
(views_quality.py)."""

from django.urls import path

from . import views_callbacks, views_chat, views_quality
from . import views_knowledge as kb
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
    path("kb/", kb.article_list, name="kb_list"),
    path("kb/new/", kb.article_create, name="kb_create"),
    path("kb/<int:article_id>/", kb.article_detail, name="kb_article"),
    path("kb/<int:article_id>/edit/", kb.article_edit, name="kb_edit"),
    path("kb/<int:article_id>/diff/", kb.article_diff, name="kb_diff"),
    path("kb/<int:article_id>/restore/", kb.article_restore, name="kb_restore"),
    path("kb/<int:article_id>/status/", kb.article_status, name="kb_status"),
    path("training/", kb.course_list, name="training"),
    path("training/quiz/<int:quiz_id>/", kb.quiz_take, name="quiz_take"),
    path("training/attempts/<int:attempt_id>/", kb.quiz_result, name="quiz_result"),
    path("training/scores/", kb.training_scores, name="training_scores"),
    path("callbacks/", views_callbacks.callback_list, name="callback_list"),
    path("callbacks/new/", views_callbacks.callback_create, name="callback_create"),
    path("callbacks/scripts/", views_callbacks.callback_scripts, name="callback_scripts"),
    path("callbacks/<int:callback_id>/", views_callbacks.callback_detail, name="callback_detail"),
    path(
        "callbacks/<int:callback_id>/outcome/",
        views_callbacks.callback_outcome,
        name="callback_outcome",
    ),
    path("qa/", views_quality.qa_queue, name="qa_queue"),
    path("qa/sample/", views_quality.qa_sample, name="qa_sample"),
    path("qa/<int:review_id>/", views_quality.qa_review, name="qa_review"),
    path("kpis/", views_quality.kpi_page, name="kpi_page"),
]
