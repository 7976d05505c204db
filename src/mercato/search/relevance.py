"""Relevance measured on a judged set of queries: nDCG@10 and the zero-result rate.

Each query is ranked as the search page ranks it (search.selectors.rank): the products
matching it, then, below a list shorter than ten, the related ones the page shows.

The judged set (tests/judged_queries.json) grades products by rules over the demo
catalogue (seed_demo --seed 1): {"code": ...}, {"brand": ...}, {"category": ...} or a
combination; a product's grade for a query is the highest grade of the rules it meets.
"""

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from mercato.catalog.models import Category, Product, ProductStatus, Sku

from . import text
from .selectors import rank

JUDGED_QUERIES = Path(__file__).parent / "tests" / "judged_queries.json"
# Written as shoppers type, apart from the dictionary and the set above (issue 11).
SHOPPER_QUERIES = Path(__file__).parent / "tests" / "shopper_queries.json"
K = 10


@dataclass
class QueryScore:
    query: str
    kind: str
    ndcg: float
    found: int
    top: list[int] = field(default_factory=list)


@dataclass
class Report:
    scores: list[QueryScore]

    @property
    def ndcg(self) -> float:
        return sum(s.ndcg for s in self.scores) / len(self.scores) if self.scores else 0.0

    @property
    def zero_result_rate(self) -> float:
        if not self.scores:
            return 0.0
        return sum(1 for s in self.scores if s.found == 0) / len(self.scores)

    def by_kind(self) -> dict[str, tuple[int, float, float]]:
        """{kind: (queries, nDCG@10, zero-result rate)}"""
        kinds: dict[str, list[QueryScore]] = defaultdict(list)
        for s in self.scores:
            kinds[s.kind].append(s)
        return {
            kind: (
                len(rows),
                sum(s.ndcg for s in rows) / len(rows),
                sum(1 for s in rows if s.found == 0) / len(rows),
            )
            for kind, rows in sorted(kinds.items())
        }


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:K]))


def _catalogue() -> list[dict]:
    """Every product on sale as {id, code, brand, leaf, categories, name, specs, price} for
    grading."""
    names = dict(Category.objects.values_list("path", "name"))
    step = Category.steplen
    rows = Product.objects.filter(status=ProductStatus.ON_SALE).values_list(
        "pk", "code", "brand__name", "category__path", "name", "min_price"
    )
    specs: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for product_id, values in Sku.objects.filter(
        is_active=True, product__status=ProductStatus.ON_SALE
    ).values_list("product_id", "specs"):
        specs[product_id].update((str(k), str(v)) for k, v in (values or {}).items())
    return [
        {
            "id": pk,
            "code": code,
            "brand": brand,
            "leaf": names.get(path),
            "categories": {names.get(path[:i]) for i in range(step, len(path) + 1, step)},
            "name": name,
            "specs": specs[pk],
            "price": price,
        }
        for pk, code, brand, path, name, price in rows
    ]


def _holds(product: dict, key: str, value: str) -> bool:
    if key == "category":
        return value in product["categories"]
    if key == "name":
        return value.lower() in product["name"].lower()
    if key == "min_price":
        return product["price"] >= Decimal(str(value))
    if key == "max_price":
        return product["price"] <= Decimal(str(value))
    if key == "spec":
        spec, _sep, wanted = value.partition(":")
        return any(k == spec and wanted.lower() in v.lower() for k, v in product["specs"])
    return product.get(key) == value


def _meets(product: dict, rule: dict) -> bool:
    return all(_holds(product, key, value) for key, value in rule.items())


def grades_for(judged: dict, catalogue: list[dict]) -> dict[int, int]:
    grades: dict[int, int] = {}
    for product in catalogue:
        grade = max((g for g, rule in judged["grades"] if _meets(product, rule)), default=0)
        if grade:
            grades[product["id"]] = grade
    return grades


def evaluate(*, path: Path = JUDGED_QUERIES) -> Report:
    """Run every judged query through the search backend (relevance order, no filters)."""
    judged_set = json.loads(Path(path).read_text(encoding="utf-8"))["queries"]
    catalogue = _catalogue()
    scores = []
    for judged in judged_set:
        grades = grades_for(judged, catalogue)
        cleaned = text.clean_query(judged["q"])[0]
        ranking = rank(cleaned, fill=K)
        top = (ranking.ids + ranking.related)[:K]
        ideal = dcg(sorted(grades.values(), reverse=True))
        got = dcg([grades.get(pk, 0) for pk in top])
        scores.append(
            QueryScore(
                query=judged["q"],
                kind=judged["class"],
                ndcg=got / ideal if ideal else 0.0,
                found=len(ranking.ids),
                top=top,
            )
        )
    return Report(scores)
