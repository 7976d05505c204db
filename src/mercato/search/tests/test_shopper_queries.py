"""Queries typed as shoppers type them (issue 11's unseen set): prices in words, pinyin a
syllable at a time, memory and storage as 8+256, sentences with function words, a
misspelt word the dictionary knows, and queries of which almost nothing is known."""

import json
from decimal import Decimal

import pytest

from mercato.search import selectors, text
from mercato.search.prices import PriceWish, read_price
from mercato.search.relevance import SHOPPER_QUERIES

from .catalogue import build_catalogue

CLASSES = {
    "chinese", "pinyin", "initials", "prefix", "typo_cn", "typo_latin", "brand_en",
    "accents", "fullwidth", "mixed", "colloquial", "spec", "price", "natural", "traditional",
}  # fmt: skip


def found(query) -> list[str]:
    return [p.name for p in selectors.search_products(query=query).results]


@pytest.fixture
def catalogue(db):
    return build_catalogue(synonyms=("iphone => 苹果 手机",))


def test_the_shopper_set_covers_every_way_shoppers_type():
    """At least 200 queries, each class of the issue among them, graded by rules."""
    queries = json.loads(SHOPPER_QUERIES.read_text(encoding="utf-8"))["queries"]
    assert len(queries) >= 200
    assert {q["class"] for q in queries} == CLASSES
    keys = {key for q in queries for _grade, rule in q["grades"] for key in rule}
    assert keys <= {"code", "brand", "category", "leaf", "name", "spec", "min_price", "max_price"}


@pytest.mark.parametrize(
    ("query", "rest", "wish"),
    [
        ("1000元以下的手机", "的手机", PriceWish(high=Decimal(1000))),
        ("500以内耳机", "耳机", PriceWish(high=Decimal(500))),
        ("300-500元的耳机", "的耳机", PriceWish(low=Decimal(300), high=Decimal(500))),
        ("2000左右的手机", "的手机", PriceWish(low=Decimal(1500), high=Decimal(2500))),
        ("千元机", "手机", PriceWish(low=Decimal(1000), high=Decimal(2000))),
        ("便宜的充电宝", "的充电宝", PriceWish(cheap=True)),
        ("高端冰箱", "冰箱", PriceWish(dear=True)),
        ("256g", "256g", None),
        ("2万毫安", "2万毫安", None),
        ("65w充电器", "65w充电器", None),
    ],
)
def test_price_words_are_read_and_taken_out_of_the_query(query, rest, wish):
    assert read_price(query) == (rest, wish)


def test_a_price_limit_puts_the_products_within_it_first(catalogue, client):
    """Of the phones (all matching 手机 alike), those up to ¥2500 first; the others
    follow (nothing is hidden: the price facet filters), and the page says so."""
    page = selectors.search_products(query="2500元以下的手机")
    prices = [p.min_price for p in page.results]
    assert all(p <= 2500 for p in prices[:2]) and all(p > 2500 for p in prices[2:])
    assert page.total == 4 and "2500" in page.price_note
    html = client.get("/search/", {"q": "2500元以下的手机"}).content.decode()
    assert 'role="status">价格在 ¥2500 以下的商品排在前面。' in html


def test_cheap_puts_the_cheaper_best_matches_first(catalogue):
    assert found("便宜的手机")[0] == catalogue["senior"].name  # ¥499, the others ≥ ¥2499


def test_pinyin_typed_a_syllable_at_a_time_is_one_word(catalogue):
    assert found("bing xiang") == [catalogue["fridge"].name]
    assert text.is_syllable("zhuang") and not text.is_syllable("dji")


def test_memory_plus_storage_reads_as_the_spec(catalogue):
    """8+256 is a phone's 8GB+256GB, not a model number 8."""
    assert found("8+256") == [catalogue["mate"].name]


def test_a_function_word_never_stands_for_a_sentence(catalogue):
    """送爸爸的剃须刀-like sentences: 的 only orders (some product names hold it), the
    thing asked for must match."""
    assert found("送给妈妈的电饭煲") == [catalogue["cooker"].name]


def test_a_misspelt_dictionary_word_is_read_as_it(catalogue):
    """iphnoe is one edit from the dictionary's iphone (苹果 手机); the index has no
    iphone token, yet the phones are found."""
    page = selectors.search_products(query="iphnoe")
    assert page.corrections == {"iphnoe": "iphone"}


def test_a_query_of_which_little_is_known_finds_nothing_rather_than_anything(catalogue):
    """榨汁机: only 机 is in the index (as a character); one common character never stands
    for the query, and the page names the words no product holds."""
    page = selectors.search_products(query="榨汁机")
    assert page.total == 0 and page.ignored == ["榨", "汁"]


def test_traditional_chinese_finds_what_simplified_does(catalogue, client):
    """A shopper typing Traditional characters (or Taiwan's words) finds the products the
    Simplified query finds."""
    assert text.normalize("藍牙耳機 筆記型電腦 印表機") == "蓝牙耳机 笔记本电脑 打印机"
    assert found("電飯煲") == found("电饭煲") == [catalogue["cooker"].name]
    assert found("衝鋒衣") == [catalogue["jacket"].name]
    assert found("嬰兒濕巾") == [catalogue["wipes"].name]
    html = client.get("/search/", {"q": "顯示器"}).content.decode()
    assert catalogue["monitor"].name in html
