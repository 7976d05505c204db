"""Bulk actions run in the background (approving many held orders, creating waves over
many parcels, handing many parcels to the carrier): what was asked, how far it got, and
which items failed and why. The page polls the row for its progress bar."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mercato.core import progress


class BulkJob(models.Model):
    """One bulk action over more items than a request should handle (see fulfillment.bulk).

    The runner works through `item_ids` in chunks; each chunk commits its items' changes
    together with `processed`, `succeeded` and `failures`, so after a crash every item is
    either done and counted or untouched, and a redelivered task resumes at `processed`."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approve held orders")
        WAVES = "waves", _("Create picking waves")
        SHIP = "ship", _("Hand parcels to the carrier")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The orders (approve) or parcels (ship) ticked, sorted; empty for waves (the parcels
    # waiting at the cut-off are the items).
    item_ids = models.JSONField(_("items"), default=list, blank=True)
    # Waves: {"warehouse_id", "carrier_id", "cutoff" (ISO), "max_parcels"}
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    total = models.PositiveIntegerField(_("items"), default=0)
    processed = models.PositiveIntegerField(_("items processed"), default=0)
    succeeded = models.PositiveIntegerField(_("items done"), default=0)
    # [{"item": id, "label": "order or parcel number", "message": "why"}], capped.
    failures = models.JSONField(_("failures"), default=list, blank=True)
    failed = models.PositiveIntegerField(_("items failed"), default=0)
    # Waves: {"waves": [wave ids created]}
    result = models.JSONField(_("result"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        constraints = [
            models.CheckConstraint(
                condition=Q(processed__lte=models.F("total")),
                name="bulkjob_processed_le_total",
            ),
            models.CheckConstraint(
                condition=Q(succeeded__lte=models.F("processed")),
                name="bulkjob_succeeded_le_processed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def percent(self) -> int:
        return progress.percent(self.processed, self.total, finished=self.is_finished)
