"""Moderators and customers at the same moment, on PostgreSQL with real threads."""

import pytest
from django.contrib.auth.models import Permission

from mercato.core.errors import Conflict
from mercato.orders.models import Order, OrderStatus
from mercato.reviews import services
from mercato.reviews.models import ProductRating, ProductReview
from mercato.reviews.status import IllegalModerationMove
from mercato.testing.concurrency import run_concurrently
from mercato.testing.factories import SkuFactory, make_customer, make_order, priced_line

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user("mod", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="moderate_content"))
    return user


def _line(sku):
    customer = make_customer()
    order = make_order(customer=customer, lines=[priced_line(sku=sku)])
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    return customer, order.lines.get()


def test_reviews_published_together_are_all_counted(moderator):
    """Eight reviews of one product published at the same moment (the first creates the
    rating row): the count and the star total hold every one."""
    sku = SkuFactory()
    reviews = []
    for n in range(8):
        customer, line = _line(sku)
        reviews.append(
            services.submit_review(customer=customer, order_line_id=line.pk, stars=1 + n % 5)
        )
    outcomes = run_concurrently(
        [
            lambda r=r: services.moderate(
                actor=moderator, kind="review", item_id=r.pk, publish=True
            )
            for r in reviews
        ]
    )
    assert all(isinstance(o, ProductReview) for o in outcomes), outcomes
    rating = ProductRating.objects.get(product_id=sku.product_id)
    assert (rating.review_count, rating.star_total) == (8, sum(r.stars for r in reviews))


def test_one_review_published_twice_at_once_counts_once(moderator):
    sku = SkuFactory()
    customer, line = _line(sku)
    review = services.submit_review(customer=customer, order_line_id=line.pk, stars=4)
    outcomes = run_concurrently(
        [lambda: services.moderate(actor=moderator, kind="review", item_id=review.pk, publish=True)]
        * 4
    )
    assert sum(isinstance(o, IllegalModerationMove) for o in outcomes) == 3
    assert ProductRating.objects.get(product_id=sku.product_id).review_count == 1
    assert review.events.count() == 2


def test_the_same_item_reviewed_twice_at_once_is_one_review():
    sku = SkuFactory()
    customer, line = _line(sku)
    outcomes = run_concurrently(
        [
            lambda n=n: services.submit_review(
                customer=customer, order_line_id=line.pk, stars=5, text=f"第{n}次"
            )
            for n in range(4)
        ]
    )
    assert sum(isinstance(o, Conflict) for o in outcomes) == 3
    assert ProductReview.objects.count() == 1
