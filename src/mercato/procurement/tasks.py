"""Procurement's background work: the purchase suggestions of a new purchase list."""

from celery import shared_task

from .purchase_lists import generate_suggestions


@shared_task
def generate_purchase_list_task(purchase_list_id: int) -> None:
    generate_suggestions(purchase_list_id=purchase_list_id)
