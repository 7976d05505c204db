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

    def page(self, number):
        """The page's query always asks for a whole page (Django's asks for the rows left,
        LIMIT 1 when one ticket matches): PostgreSQL then plans a rare word's search as
        the index look-up it is, not as a walk through the table newest first."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


class ListedPaginator(CappedPaginator):
    """Pages of a list whose rows' ids a search has read already, in the list's order and
    at most COUNT_CAP + 1 of them: the count is the number of ids, and a page reads only
    its own rows, by id. A word found in a hundred thousand subjects is then not searched
    again to count the matches and again to find the page."""

    def __init__(self, ids: list[int], queryset, per_page: int):
        super().__init__(ids, per_page)
        self.queryset = queryset  # in the same order as the ids

    @cached_property
    def count(self) -> int:
        return len(self.object_list)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = self.object_list[bottom : bottom + self.per_page]
        return self._get_page(self.queryset.filter(pk__in=ids), number, self)
