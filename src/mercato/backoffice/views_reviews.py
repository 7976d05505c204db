"""Product questions and reviews in the back office (客服部): the moderation queues of
reviews, questions and answers (publish, or reject with a reason), answering a question
for the shop, and the blocked-word list. Customers' phone numbers and names are masked for
roles without core.view_full_phone, in the texts they wrote too."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.reviews import selectors, services
from mercato.reviews.models import BlockedWord, ContentStatus

from .access import forbidden, staff_view
from .messages_i18n import message_of

MODERATE = "reviews.moderate_content"
ANSWER = "reviews.answer_question"
WORDS = "reviews.manage_blocked_words"
PAGE_SIZE = 50


def _status(request) -> str:
    """The status filter: pending unless another (or "all") is asked for."""
    status = request.GET.get("status", ContentStatus.PENDING)
    return status if status in (*ContentStatus.values, "all") else ContentStatus.PENDING


def _list(request, queryset, template: str, status: str):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": ContentStatus.choices}
    return render(request, template, context)


@staff_view(MODERATE)
def review_list(request):
    status = _status(request)
    return _list(
        request,
        selectors.review_queue(status=status),
        "backoffice/reviews/review_list.html",
        status,
    )


@staff_view((MODERATE, ANSWER))
def question_list(request):
    status = _status(request)
    return _list(
        request,
        selectors.question_queue(status=status),
        "backoffice/reviews/question_list.html",
        status,
    )


@staff_view(MODERATE)
def answer_list(request):
    status = _status(request)
    return _list(
        request,
        selectors.answer_queue(status=status),
        "backoffice/reviews/answer_list.html",
        status,
    )


@staff_view(MODERATE)
def review_detail(request, review_id: int):
    review = selectors.review_for_moderation(review_id=review_id)
    if review is None:
        raise Http404("No such review")
    return render(request, "backoffice/reviews/review_detail.html", {"item": review})


@staff_view((MODERATE, ANSWER))
def question_detail(request, question_id: int):
    question = selectors.question_for_moderation(question_id=question_id)
    if question is None:
        raise Http404("No such question")
    user = request.user
    context = {
        "item": question,
        "may_moderate": user.has_perm(MODERATE),
        "may_answer": user.has_perm(ANSWER),
    }
    return render(request, "backoffice/reviews/question_detail.html", context)


def _done(request, call, success: str, back):
    try:
        call()
    except DomainError as exc:
        if exc.status == 403:
            return forbidden(request)
        messages.error(request, message_of(exc))
    else:
        messages.success(request, success)
    return back


def _decide(request, kind: str, item_id: int, back):
    publish = request.POST.get("decision") == "publish"
    return _done(
        request,
        lambda: services.moderate(
            actor=request.user,
            kind=kind,
            item_id=item_id,
            publish=publish,
            reason=request.POST.get("reason", ""),
        ),
        _("Published.") if publish else _("Rejected."),
        back,
    )


@require_POST
@staff_view(MODERATE)
def review_decide(request, review_id: int):
    return _decide(
        request, "review", review_id, redirect("backoffice:moderation_review", review_id=review_id)
    )


@require_POST
@staff_view(MODERATE)
def question_decide(request, question_id: int):
    back = redirect("backoffice:moderation_question", question_id=question_id)
    return _decide(request, "question", question_id, back)


@require_POST
@staff_view(MODERATE)
def answer_decide(request, answer_id: int):
    answer = selectors.answer_queue(status="all").filter(pk=answer_id).first()
    if answer is None:
        raise Http404("No such answer")
    back = redirect("backoffice:moderation_question", question_id=answer.question_id)
    return _decide(request, "answer", answer_id, back)


@require_POST
@staff_view(ANSWER)
def question_answer(request, question_id: int):
    return _done(
        request,
        lambda: services.answer_question(
            question_id=question_id, actor=request.user, text=request.POST.get("text", "")
        ),
        _("Answer saved: it is shown on the shop once published."),
        redirect("backoffice:moderation_question", question_id=question_id),
    )


@staff_view(WORDS)
def blocked_words(request):
    if request.method == "POST":
        return _done(
            request,
            lambda: services.add_blocked_word(
                actor=request.user, word=request.POST.get("word", "")
            ),
            _("Added to the blocked words."),
            redirect("backoffice:blocked_words"),
        )
    words = BlockedWord.objects.select_related("added_by").order_by("word")
    page = Paginator(words, 200).get_page(request.GET.get("page"))
    return render(request, "backoffice/reviews/blocked_words.html", {"page": page})


@require_POST
@staff_view(WORDS)
def blocked_word_delete(request, word_id: int):
    return _done(
        request,
        lambda: services.remove_blocked_word(actor=request.user, word_id=word_id),
        _("Removed from the blocked words."),
        redirect("backoffice:blocked_words"),
    )
