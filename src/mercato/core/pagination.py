"""Pages of long lists (orders, tickets): counting a million rows exactly costs more than
the page itself, so the count stops at COUNT_CAP + 1 and the page says "more than 10,000"."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows: past that the page says "more than 10,000"."""

    @cached_property
    def count(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP
