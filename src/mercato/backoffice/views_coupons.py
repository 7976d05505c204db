"""Coupons in the website operations workspace (促销组): templates (list, create, edit),
issuing to a segment of customers in the background with a progress bar, and one coupon's
history (issued, used by which order, given back)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.core.progress import percent
from mercato.customers.models import Channel
from mercato.promotions import coupon_templates
from mercato.promotions import coupons as services
from mercato.promotions.models import Coupon, CouponTemplate, IssueJob

from .access import staff_view
from .messages_i18n import add_errors_to_form, refused

VIEW = "promotions.view_coupontemplate"
CHANGE = "promotions.change_coupontemplate"
COUPONS_SHOWN = 50


class TemplateForm(forms.ModelForm):
    scope_ids = forms.CharField(
        label=gettext_lazy("Product, category or brand ids"),
        required=False,
        help_text=gettext_lazy("Separated by commas; empty for all products."),
    )

    class Meta:
        model = CouponTemplate
        fields = [
            "name", "kind", "amount", "percent", "cap", "threshold", "scope", "scope_ids",
            "valid_from", "valid_until", "valid_days", "issue_limit", "per_customer_limit",
            "claimable", "claim_code", "shared_code", "shared_limit", "stackable", "active",
            "points_price",
        ]  # fmt: skip
        widgets = {
            "valid_from": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "valid_until": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["scope_ids"] = ", ".join(map(str, self.instance.scope_ids or ()))

    def _post_clean(self):
        pass  # the service validates (and names the field); the model is not saved here

    def clean_scope_ids(self):
        raw = self.cleaned_data.get("scope_ids") or ""
        parts = [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError(_("Enter ids as whole numbers separated by commas."))
        return [int(p) for p in parts]


class SegmentForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Sign-up channel"),
        choices=[("", gettext_lazy("Any"))] + list(Channel.choices),
        required=False,
    )
    registered_from = forms.DateField(
        label=gettext_lazy("Registered from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    registered_to = forms.DateField(
        label=gettext_lazy("Registered until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _list_page(request, *, not_found: str = "", status: int = 200):
    templates = CouponTemplate.objects.order_by("-id")
    context = {"templates": templates, "not_found": not_found}
    return render(request, "backoffice/coupons/templates.html", context, status=status)


@staff_view(VIEW)
def template_list(request):
    return _list_page(request)


@staff_view(CHANGE)
def template_edit(request, template_id: int | None = None):
    template = get_object_or_404(CouponTemplate, pk=template_id) if template_id else None
    form = TemplateForm(instance=template)
    if request.method == "POST":
        form = TemplateForm(request.POST, instance=template)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            try:
                if template is None:
                    template = coupon_templates.create_template(**fields)
                else:
                    coupon_templates.update_template(template_id=template.pk, **fields)
            except DomainError as exc:
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("The coupon was saved."))
                return redirect("backoffice:coupon_template", template_id=template.pk)
    return render(
        request, "backoffice/coupons/template_form.html", {"form": form, "template": template}
    )


@staff_view(VIEW)
def template_detail(request, template_id: int):
    template = get_object_or_404(CouponTemplate, pk=template_id)
    coupons = list(
        Coupon.objects.filter(template=template)
        .select_related("customer")
        .order_by("-id")[:COUPONS_SHOWN]
    )
    context = {
        "template": template,
        "coupons": coupons,
        "jobs": list(template.jobs.order_by("-id")[:10]),
        "segment_form": SegmentForm(),
    }
    return render(request, "backoffice/coupons/template_detail.html", context)


@staff_view(CHANGE)
@require_POST
def bulk_issue(request, template_id: int):
    form = SegmentForm(request.POST)
    back = redirect("backoffice:coupon_template", template_id=template_id)
    if not form.is_valid():
        messages.error(request, _("Check the customers to issue to."))
        return back
    try:
        job = services.start_bulk_issue(
            actor=request.user, template_id=template_id, segment=form.cleaned_data
        )
    except DomainError as exc:
        return refused(request, exc, back)
    return redirect("backoffice:coupon_job", job_id=job.pk)


def _job_context(job: IssueJob) -> dict:
    finished = job.status in (IssueJob.Status.DONE, IssueJob.Status.FAILED)
    return {
        "job": job,
        "finished": finished,
        "percent": percent(job.done, job.total, finished=finished),
    }


@staff_view(VIEW)
def job_detail(request, job_id: int):
    job = get_object_or_404(IssueJob.objects.select_related("template", "created_by"), pk=job_id)
    return render(request, "backoffice/coupons/job.html", _job_context(job))


@staff_view(VIEW)
def job_progress(request, job_id: int):
    """The fragment htmx polls every second while the job runs."""
    job = get_object_or_404(IssueJob, pk=job_id)
    return render(request, "backoffice/coupons/_job_progress.html", _job_context(job))


@staff_view(VIEW)
def coupon_detail(request, code: str):
    """One coupon's history: issued (when, how, to whom), its uses and returns."""
    coupon = get_object_or_404(
        Coupon.objects.select_related("template", "customer"), code=services.normalize_code(code)
    )
    context = {"coupon": coupon, "uses": list(coupon.uses.select_related("customer"))}
    return render(request, "backoffice/coupons/coupon.html", context)


@staff_view(VIEW)
def coupon_find(request):
    """A coupon by its code: its page, or the list saying there is none."""
    code = services.normalize_code(request.GET.get("code"))
    if code and Coupon.objects.filter(code=code).exists():
        return redirect("backoffice:coupon_detail", code=code)
    if not code:
        return _list_page(request)
    return _list_page(
        request, not_found=_("There is no coupon with this code; check it and try again.")
    )


@staff_view(CHANGE)
@require_POST
def coupon_void(request, code: str):
    coupon = get_object_or_404(Coupon, code=code)
    services.void_coupon(coupon_id=coupon.pk)
    messages.success(request, _("The coupon was cancelled."))
    return redirect("backoffice:coupon_detail", code=code)
