"""The From/Until dates of the back office's reports and lists: one form to build on."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy


class DateRangeForm(forms.Form):
    """Two optional dates, From and Until; forms that filter more declare their fields
    after them (a form that lists its own first sets `field_order`)."""

    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def dates(self, *, default_days: int, max_days: int) -> tuple[date, date]:
        """(since, until), both included: until today and since `default_days` days up to
        until where not given (or not valid), the two swapped when given the wrong way
        round, and since moved up to `max_days` days before until at the earliest."""
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until") or timezone.localdate()
        since = data.get("since") or until - timedelta(days=default_days - 1)
        if since > until:
            since, until = until, since
        return max(since, until - timedelta(days=max_days)), until
