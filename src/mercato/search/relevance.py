"""Relevance measured on a judged set of queries: nDCG@10 and the zero-result rate.

The judged set (tests/judged_queries.json) grades products by rules over the demo
catalogue (seed_demo --seed 1): {"code": ...}, {"brand": ...}, {"category": ...} or a
combination; a product's grade for a query is the highest grade of the rules it meets.
"""

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from mercato.catalog.models import Category, Product, ProductStatus

from .backends import get_backend
from .services import parse_query

JUDGED_QUERIES = Path(__file__).parent / "tests" / "judged_queries.json"
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
    """Every product on sale as {id, code, brand, categories} for grading."""
    names = dict(Category.objects.values_list("path", "name"))
    step = Category.steplen
    rows = Product.objects.filter(status=ProductStatus.ON_SALE).values_list(
        "pk", "code", "brand__name", "category__path"
    )
    return [
        {
            "id": pk,
            "code": code,
            "brand": brand,
            "categories": {names.get(path[:i]) for i in range(step, len(path) + 1, step)},
        }
        for pk, code, brand, path in rows
    ]


def _meets(product: dict, rule: dict) -> bool:
    return all(
        (product["categories"] if key == "category" else {product.get(key)}).__contains__(value)
        for key, value in rule.items()
    )


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
    backend = get_backend()
    scores = []
    for judged in judged_set:
        grades = grades_for(judged, catalogue)
        parsed = parse_query(judged["q"])
        result = backend.search(query=parsed, filters={}, sort="", page=1, per_page=K)
        if result.total == 0 and len(parsed.groups) > 1:
            result = backend.search(
                query=parsed.loosened(), filters={}, sort="", page=1, per_page=K
            )
        ideal = dcg(sorted(grades.values(), reverse=True))
        got = dcg([grades.get(pk, 0) for pk in result.ids])
        scores.append(
            QueryScore(
                query=judged["q"],
                kind=judged["class"],
                ndcg=got / ideal if ideal else 0.0,
                found=result.total,
                top=result.ids,
            )
        )
    return Report(scores)
