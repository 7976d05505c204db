"""Product questions and reviews on the shop (产品咨询、口碑): every published review of a
product, page by page; asking a question from the product page (members, or guests with a
name); and reviewing an item of an order that reached the customer, from the order's page.

The product page itself shows the rating, the newest reviews and questions (views.py,
cached with the page; publishing one bumps the shop's cache version)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from mercato.catalog import selectors as catalog
from mercato.core.errors import DomainError
from mercato.core.http import client_ip
from mercato.core.ratelimits import OnOutage, over_limit
from mercato.orders import selectors as orders
from mercato.reviews import selectors, services

from .cartctx import request_customer
from .views_account import customer_required
from .views_returns import PhotosField

REVIEWS_PER_PAGE = 10


def question_rate() -> str:
    """Questions one client address may send (django-ratelimit rate); MERCATO_QUESTION_RATE."""
    return getattr(settings, "MERCATO_QUESTION_RATE", "10/h")


def _product(slug: str):
    product = catalog.product_for_page(slug=slug)
    if product is None:
        raise Http404(_("No such product"))
    return product


@require_GET
def product_reviews(request, slug: str):
    """Every published review of the product, newest first, 10 a page."""
    product = _product(slug)
    page = Paginator(selectors.published_reviews(product_id=product.pk), REVIEWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    feedback = selectors.product_feedback(product_id=product.pk, reviews=0, questions=0)
    context = {"product": product, "page": page, "feedback": feedback}
    return render(request, "storefront/reviews/list.html", context)


@require_GET
def product_questions(request, slug: str):
    """Every published question of the product with its published answers, 10 a page."""
    product = _product(slug)
    page = Paginator(
        selectors.published_questions(product_id=product.pk), REVIEWS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(request, "storefront/reviews/questions.html", {"product": product, "page": page})


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your answer"),
        min_length=2,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@customer_required
def answer_question(request, slug: str, question_id: int):
    """A customer who received the product answers another shopper's question."""
    product = _product(slug)
    question = selectors.published_questions(product_id=product.pk).filter(pk=question_id).first()
    if question is None:
        raise Http404(_("No such question."))
    form = AnswerForm(request.POST or None)
    refusal, status = "", 200
    if not services.has_received(customer=request.customer, product_id=product.pk):
        refusal, status = _("Only customers who received this product can answer."), 409
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.answer_question(
                    question_id=question.pk, customer=request.customer,
                    text=form.cleaned_data["text"],
                )  # fmt: skip
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request, _("Thank you: your answer is shown once our staff has read it.")
                )
                return redirect(reverse("storefront:product_questions", args=[product.slug]))
    context = {"product": product, "question": question, "form": form, "refusal": refusal}
    return render(request, "storefront/reviews/answer.html", context, status=status)


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your question"),
        min_length=4,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    guest_name = forms.CharField(
        label=gettext_lazy("Your name (if you are not logged in)"), max_length=40, required=False
    )


@require_POST
def ask_question(request, slug: str):
    """A question from the product page's form: it waits for moderation, then shows."""
    product = _product(slug)
    form = QuestionForm(request.POST)
    customer = request_customer(request)
    back = reverse("storefront:product", args=[product.slug]) + "#questions"
    # Per client address; a question is cheap to moderate away, so an unreachable cache
    # lets questions through rather than refusing every shopper.
    limited = over_limit(
        request, group="reviews-ask-ip", key=lambda _g, r: client_ip(r), rate=question_rate(),
        on_outage=OnOutage.OPEN,
    )  # fmt: skip
    if limited:
        form.is_valid()
        form.add_error(None, _("Too many questions from your connection; please try again later."))
        context = {"product": product, "form": form, "customer": customer}
        return render(request, "storefront/reviews/ask.html", context, status=429)
    if form.is_valid():
        try:
            services.ask_question(
                product_id=product.pk,
                customer=customer,
                guest_name=form.cleaned_data["guest_name"],
                text=form.cleaned_data["text"],
                actor=request.user if request.user.is_authenticated else None,
            )
        except DomainError as exc:
            for error in exc.errors() or [{"field": None, "message": exc.message}]:
                form.add_error(None, str(error["message"]))
        else:
            messages.success(
                request, _("Thank you: your question is shown once our staff has read it.")
            )
            return redirect(back)
    context = {"product": product, "form": form, "customer": customer}
    return render(request, "storefront/reviews/ask.html", context, status=400)


class ReviewForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=gettext_lazy("Stars"),
        coerce=int,
        choices=[(n, n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        initial=5,
    )
    text = forms.CharField(
        label=gettext_lazy("Your review"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    photos = PhotosField(label=gettext_lazy("Photos (up to 6)"), required=False)


@customer_required
def write_review(request, number: str, line_id: int):
    """The review form for one item of a received order of the customer's."""
    try:
        order = orders.order_for_customer(customer=request.customer, number=number)
    except DomainError:
        raise Http404(_("No such order.")) from None
    line = next((ln for ln in order.lines.all() if ln.pk == line_id), None)
    if line is None:
        raise Http404(_("No such item."))
    form = ReviewForm(request.POST or None, request.FILES or None)
    status = 200
    refusal = ""
    try:
        services.reviewable_line(customer=request.customer, order_line_id=line.pk)
    except DomainError as exc:
        refusal, status = exc.message, exc.status
    if request.method == "POST" and not refusal:
        status = 400
        if form.is_valid():
            try:
                services.submit_review(
                    customer=request.customer,
                    order_line_id=line.pk,
                    stars=form.cleaned_data["stars"],
                    text=form.cleaned_data["text"],
                    photos=form.cleaned_data["photos"],
                )
            except DomainError as exc:
                for error in exc.errors() or [{"field": None, "message": exc.message}]:
                    form.add_error(None, str(error["message"]))
                status = exc.status if exc.status in (404, 409) else 400
            else:
                messages.success(
                    request, _("Thank you for your review: it is shown once our staff has read it.")
                )
                return redirect(
                    reverse("storefront:order_detail", args=[order.number]) + "#reviews"
                )
    context = {"order": order, "line": line, "form": form, "refusal": refusal}
    return render(request, "storefront/reviews/form.html", context, status=status)
