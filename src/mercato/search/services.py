"""Search operations: the synonym and colloquial dictionary operations staff maintain,
hidden hot searches, keeping the index current. Reading (searching, suggesting) is in
search.selectors."""

import re

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from mercato.catalog.models import Category, Product, ProductStatus, Sku
from mercato.catalog.shopcache import bump_shop_version
from mercato.core import outbox
from mercato.core.audit import acting_as
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from . import dictionary, text
from .backends import get_backend
from .models import HiddenHotSearch, SynonymGroup
from .querylog import forget_hot_searches

MAX_TERM_LENGTH = 30
MAX_TERMS = 20
_TERM_SEPARATORS = re.compile(r"[=,，、;；\n]+")
_ONE_WAY = re.compile(r"=>|→|->")


# -- the synonym and colloquial dictionary ------------------------------------------------


def parse_terms(raw: str) -> tuple[list[str], bool]:
    """("手机 = 移动电话, 电话") → (terms, False); ("iphone => 苹果 手机") → (terms, True):
    one-way, the first word means the others."""
    raw = raw or ""
    one_way = bool(_ONE_WAY.search(raw))
    parts = _ONE_WAY.split(raw, maxsplit=1) if one_way else [raw]
    terms = []
    for part in parts:
        for term in _TERM_SEPARATORS.split(part):
            term = " ".join(text.normalize(term).split())
            if term and term not in terms:
                terms.append(term)
    return terms, one_way


def _keys(terms, one_way) -> list[str]:
    """The words a group answers for: all of a two-way group, the first of a one-way one."""
    return list(terms[:1] if one_way else terms)


def _synonyms_changed(words) -> None:
    """After a group changed: every process's dictionary follows, and the products whose
    text holds a changed word are indexed again with it."""
    if dictionary.refresh():
        reindex_products_holding(words=words)


@transaction.atomic
def save_synonym_group(
    *, actor, terms: str, note: str = "", group_id: int | None = None
) -> SynonymGroup:
    """Create or change a group from "手机 = 移动电话, 电话" (two-way) or "iphone => 苹果 手机"
    (one-way: the first word means the others). A word may be the searched word of one
    group only. `actor` None is the system (migrations, tests, the dictionary loader)."""
    if actor is not None:
        require_perm(actor, "search.manage_search")
    cleaned, one_way = parse_terms(terms)
    errors = []
    if len(cleaned) < 2:
        errors.append(_("A synonym group needs at least two different words"))
    if len(cleaned) > MAX_TERMS:
        errors.append(_("A synonym group may have at most %(n)s words") % {"n": MAX_TERMS})
    if any(len(t) > MAX_TERM_LENGTH for t in cleaned):
        errors.append(_("A word may have at most %(n)s characters") % {"n": MAX_TERM_LENGTH})
    if any(not text.runs(t) for t in cleaned):
        errors.append(_("A word needs at least one letter, digit or Chinese character"))
    others = SynonymGroup.objects.exclude(pk=group_id).values_list("terms", "one_way")
    taken = sorted({k for t, o in others for k in _keys(t, o)} & set(_keys(cleaned, one_way)))
    if taken:
        errors.append(_("Already in another group: %(terms)s") % {"terms": "、".join(taken)})
    if errors:
        raise ValidationFailed({"terms": errors})
    if group_id is None:
        group = SynonymGroup()
        before: list[str] = []
    else:
        group = SynonymGroup.objects.select_for_update().filter(pk=group_id).first()
        if group is None:
            raise NotFound(_("Synonym group not found"))
        before = list(group.terms)
    with acting_as(actor):
        group.terms, group.one_way, group.note = cleaned, one_way, (note or "").strip()[:200]
        group.save()
    changed = sorted(set(before) ^ set(cleaned)) or cleaned
    transaction.on_commit(lambda: _synonyms_changed(changed))
    return group


@transaction.atomic
def delete_synonym_group(*, actor, group_id: int) -> None:
    require_perm(actor, "search.manage_search")
    group = SynonymGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise NotFound(_("Synonym group not found"))
    words = list(group.terms)
    with acting_as(actor):
        group.delete()
    transaction.on_commit(lambda: _synonyms_changed(words))


def load_synonym_file(*, path, actor=None) -> tuple[int, list[str]]:
    """Add the groups of a dictionary file (one group a line, as typed in the back office;
    # starts a comment). A group none of whose searched words is taken is added; the others
    are skipped and reported. Returns (groups added, lines skipped)."""
    added, skipped = 0, []
    taken = {
        k for t, o in SynonymGroup.objects.values_list("terms", "one_way") for k in _keys(t, o)
    }
    for line in open(path, encoding="utf-8"):  # noqa: SIM115 - read line by line
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        terms, one_way = parse_terms(line)
        if set(_keys(terms, one_way)) & taken or len(terms) < 2:
            skipped.append(line)
            continue
        save_synonym_group(actor=actor, terms=line, note="dictionary")
        taken.update(_keys(terms, one_way))
        added += 1
    return added, skipped


def set_hot_search_hidden(*, actor, query: str, hidden: bool) -> None:
    """Keep a query out of the hot searches shown to customers, or show it again."""
    require_perm(actor, "search.manage_search")
    cleaned, _shortened = text.clean_query(query)
    cleaned = text.normalize(cleaned)
    if not cleaned:
        raise ValidationFailed({"query": [_("Enter a search query")]})
    if hidden:
        HiddenHotSearch.objects.get_or_create(query=cleaned)
    else:
        HiddenHotSearch.objects.filter(query=cleaned).delete()
    forget_hot_searches()


# -- keeping the index current ---------------------------------------------------------------


def reindex_products(*, product_ids) -> int:
    """Index these products as they are now; those not on sale (or gone) leave the index."""
    written = get_backend().index_products(sorted(set(product_ids)))
    # The product's own change bumped the version before this task ran: a search between
    # the two cached what the old index found.
    bump_shop_version()
    return written


def products_changed_since(since) -> list[int]:
    """Products whose row or one of whose SKUs changed at or after `since` (bulk imports
    write updated_at without sending signals)."""
    sku_products = Sku.objects.filter(updated_at__gte=since).values("product_id")
    return list(
        Product.objects.filter(Q(updated_at__gte=since) | Q(pk__in=sku_products))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def products_holding(*, words) -> list[int]:
    """Products whose name, subtitle, brand or category names hold one of these words."""
    q = Q()
    for word in words:
        for part in word.split():
            q |= (
                Q(name__icontains=part)
                | Q(subtitle__icontains=part)
                | Q(brand__name__icontains=part)
                | Q(category__name__icontains=part)
            )
    if not q:
        return []
    return list(Product.objects.filter(q).order_by("pk").values_list("pk", flat=True))


def reindex_products_holding(*, words) -> int:
    """After the dictionary changed: index again the products whose text holds a changed
    word, now cut with it (as a fresh process would cut them)."""
    from .tasks import reindex_products_task

    ids = products_holding(words=words)
    if ids:
        outbox.enqueue(reindex_products_task, args=[ids])  # sent once committed
    return len(ids)


def catalogue_changed(*, brand_ids=(), category_ids=()) -> int:
    """A brand or category was created, renamed or removed: the dictionary follows, and
    its products (with subcategories') are indexed again."""
    dictionary.refresh()
    q = Q(brand_id__in=list(brand_ids))
    paths = Category.objects.filter(pk__in=list(category_ids)).values_list("path", flat=True)
    for path in paths:
        q |= Q(category__path__startswith=path)
    ids = list(Product.objects.filter(q).order_by("pk").values_list("pk", flat=True))
    if ids:
        from .tasks import reindex_products_task

        outbox.enqueue(reindex_products_task, args=[ids])  # sent once committed
    return len(ids)


def rebuild_index(*, batch: int = 500, progress=None) -> int:
    """Empty the index and index every product on sale; `progress(n)` after each batch.
    The dictionary is read again first (brands and categories may have been loaded in
    bulk, which sends no signal)."""
    dictionary.refresh()
    backend = get_backend()
    ids = list(
        Product.objects.filter(status=ProductStatus.ON_SALE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    backend.clear()
    written = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        written += backend.index_products(chunk, full=True)
        if progress:
            progress(len(chunk))
    backend.rebuilt()
    bump_shop_version()
    return written
