"""The knowledge base's figures (issue 15): writing an article (its version and search
words), a search box query and the suggestions beside a ticket, over N articles.

    MERCATO_BENCH_DB=mercato_kb_bench .venv/bin/python bench/knowledge_bench.py [--articles 2000]

The PostgreSQL database is dropped and created again. Every article goes through
mercato.service.knowledge (as the back office writes it); their texts are the demo's
sentences (demo/seed_knowledge.py) shuffled, three to six to an article. Prints JSON: the
median and the slowest of 7 runs per query, in milliseconds.
"""

import argparse
import json
import os
import random
import statistics
import time

from benchdb import recreate_database, setup_django
from orders_bench import machine

RUNS = 7
QUERIES = ["退货", "tuihuo", "th", "發票", "积分有效期", "支付宝付款失败", "什么时候到账", "量子"]
TICKET_TEXTS = [
    "您好，我上周买的衣服尺码不合适，想退货，运费谁出？",
    "发票抬头开错了，能重开专票吗？公司税号是 91310000XXXX",
    "快递显示已签收，但我没有收到包裹，门卫也说没有。" * 5,  # a long thread
]


def timed(run) -> tuple[float, float]:
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        run()
        timings.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(timings), 2), round(max(timings), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    name = os.environ.get("MERCATO_BENCH_DB", "mercato_kb_bench")
    recreate_database(name)
    setup_django(name)
    from django.db import connection

    from mercato.demo.seed_knowledge import ARTICLES, CATEGORIES
    from mercato.service import knowledge
    from mercato.staff import services as staff

    lead = staff.create_staff(
        actor=None, username="kb-bench", password="kb-bench-pass-1234",
        department_code="service", employee_no="KB0001", display_name="kb",
        role_codes=["service_lead"],
    ).user  # fmt: skip
    categories = [knowledge.create_category(actor=lead, name=c).pk for c in CATEGORIES]
    sentences = [
        s + "。" for _c, _t, versions, _s in ARTICLES for body, _n in versions
        for s in body.replace("\n", "").split("。") if s
    ]  # fmt: skip
    titles = [t for _c, t, _v, _s in ARTICLES]
    rng = random.Random(1)
    began = time.perf_counter()
    for n in range(args.articles):
        article = knowledge.create_article(
            actor=lead, category_id=rng.choice(categories),
            title=f"{rng.choice(titles)}（{n}）",
            body="".join(rng.sample(sentences, rng.randint(3, 6))),
        )  # fmt: skip
        knowledge.set_article_status(actor=lead, article_id=article.pk, status="published")
    write_ms = (time.perf_counter() - began) * 1000 / args.articles
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    figures = {
        "articles": args.articles,
        "write_and_publish_ms_per_article": round(write_ms, 2),
        "search": {q: timed(lambda q=q: knowledge.search_articles(q)) for q in QUERIES},
        "suggest": {t[:12]: timed(lambda t=t: knowledge.suggest_articles(t)) for t in TICKET_TEXTS},
        "machine": machine(),
    }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
