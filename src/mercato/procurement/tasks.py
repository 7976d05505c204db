"""Procurement's background work (each task calls a service): the purchase suggestions of
a new purchase list, and closing tenders past their deadline."""

from celery import shared_task

from . import tenders
from .purchase_lists import generate_suggestions


@shared_task
def generate_purchase_list_task(purchase_list_id: int) -> None:
    generate_suggestions(purchase_list_id=purchase_list_id)


@shared_task
def close_due_tenders_task() -> int:
    """Open tenders whose deadline has passed become closed (an event each); how many."""
    return tenders.close_due_tenders()
