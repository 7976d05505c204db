"""Product questions and reviews in the back office (客服部): the moderation queues of
reviews, questions and answers (publish, or reject with a reason), answering a question
for the shop, and the blocked-word list. Customers' phone numbers and names are masked for
roles without core.view_full_phone, in the texts they wrote too."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mercato.reviews import selectors, services
from mercato.reviews.models import BlockedWord, ContentStatus

from .access import staff_view
from .messages_i18n import act

MODERATE = "reviews.moderate_content"
ANSWER = "reviews.answer_question"
WORDS = "reviews.manage_blocked_words"
PAGE_SIZE = 50


def _list(request, selector, template: str):
    """A moderation queue, page by page, filtered on ?status= (pending by default)."""
    status = selectors.queue_status(request.GET.get("status"))
    page = Paginator(selector(status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": ContentStatus.choices}
    return render(request, template, context)


@staff_view(MODERATE)
def review_list(request):
    return _list(request, selectors.review_queue, "backoffice/reviews/review_list.html")


@staff_view((MODERATE, ANSWER))
def question_list(request):
    return _list(request, selectors.question_queue, "backoffice/reviews/question_list.html")


@staff_view(MODERATE)
def answer_list(request):
    return _list(request, selectors.answer_queue, "backoffice/reviews/answer_list.html")


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


def _decide(request, kind: str, item_id: int, back):
    publish = request.POST.get("decision") == "publish"
    return act(
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
    return act(
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
        return act(
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
    return act(
        request,
        lambda: services.remove_blocked_word(actor=request.user, word_id=word_id),
        _("Removed from the blocked words."),
        redirect("backoffice:blocked_words"),
    )
