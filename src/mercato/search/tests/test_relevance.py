import json

import pytest

from mercato.search import services
from mercato.search.relevance import JUDGED_QUERIES, SHOPPER_QUERIES, evaluate
from mercato.testing.fixtures import add_default_dictionary

pytestmark = pytest.mark.django_db

CLASSES = {
    "exact", "brand_cn", "brand_latin", "pinyin", "initials", "prefix", "typo_latin",
    "typo_cn", "colloquial", "compound", "spec", "category", "multiword",
}  # fmt: skip


def test_judged_set_covers_every_kind_of_query():
    """At least 200 shopper queries, every class of issue 11 among them, each graded by
    rules (no hand-picked product lists)."""
    queries = json.loads(JUDGED_QUERIES.read_text(encoding="utf-8"))["queries"]
    assert len(queries) >= 200
    assert {q["class"] for q in queries} == CLASSES
    rule_keys = {key for q in queries for _grade, rule in q["grades"] for key in rule}
    assert rule_keys <= {"code", "brand", "category", "leaf", "name", "spec"}


def test_relevance_on_the_demo_catalogue_meets_the_bar():
    """On the seeded demo (seed 1), nDCG@10 over the judged queries is at least 0.90, no
    class of query is below 0.85, and every judged query finds something; over the shopper
    set at least 0.90, no class below 0.85. A quality bar, not a timer (a few minutes)."""
    from mercato.demo.services import seed_demo

    add_default_dictionary()  # a `make demo` database has it from its migrations
    seed_demo(seed=1, customers=0, quiet=True)
    services.rebuild_index()
    report = evaluate()
    assert report.ndcg >= 0.90, report.by_kind()
    assert all(ndcg >= 0.85 for _n, ndcg, _zero in report.by_kind().values()), report.by_kind()
    assert report.zero_result_rate == 0, [s.query for s in report.scores if not s.found]
    # The shopper set, written apart from the dictionary (issue 11: ≥ 0.85 on queries the
    # project has not seen, no class left behind): a margin above that floor.
    shoppers = evaluate(path=SHOPPER_QUERIES)
    assert shoppers.ndcg >= 0.90, shoppers.by_kind()
    assert all(n >= 0.85 for _q, n, _zero in shoppers.by_kind().values()), shoppers.by_kind()
