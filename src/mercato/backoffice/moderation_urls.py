"""Product questions and reviews (views_reviews.py), under moderation/ in the backoffice
namespace. (review/ is order review, 订单审核.)"""

from django.urls import path

from . import views_reviews as views

urlpatterns = [
    path("reviews/", views.review_list, name="moderation_reviews"),
    path("reviews/<int:review_id>/", views.review_detail, name="moderation_review"),
    path("reviews/<int:review_id>/decide/", views.review_decide, name="moderation_review_decide"),
    path("questions/", views.question_list, name="moderation_questions"),
    path("questions/<int:question_id>/", views.question_detail, name="moderation_question"),
    path(
        "questions/<int:question_id>/decide/",
        views.question_decide,
        name="moderation_question_decide",
    ),
    path(
        "questions/<int:question_id>/answer/",
        views.question_answer,
        name="moderation_question_answer",
    ),
    path("answers/", views.answer_list, name="moderation_answers"),
    path("answers/<int:answer_id>/decide/", views.answer_decide, name="moderation_answer_decide"),
    path("blocked-words/", views.blocked_words, name="blocked_words"),
    path(
        "blocked-words/<int:word_id>/delete/",
        views.blocked_word_delete,
        name="blocked_word_delete",
    ),
]
