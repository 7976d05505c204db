"""Issue 11, "Defects found": one test (or a few) per defect, on a small catalogue shaped
like the demo's (tests/catalogue.py). Defect 1's test runs real separate processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from mercato.search import selectors, services
from mercato.search.analyzer import Analyzer
from mercato.search.models import SearchDocument

from .catalogue import build_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def found(query, **kwargs) -> list[str]:
    page = selectors.search_products(query=query, **kwargs)
    return [p.name for p in page.results]


# 1. Index and queries segmented with one dictionary -------------------------------------

SEARCH_IN_A_FRESH_PROCESS = """
import json
from mercato.search import selectors
from mercato.search.models import SearchDocument
out = {q: [p.name for p in selectors.search_products(query=q).results]
       for q in ["充电宝", "cdb", "chongdianbao", "快充充电宝"]}
out["tokens"] = SearchDocument.objects.get(product__name="华为 快充充电宝").name_tokens.split()
print("RESULT " + json.dumps(out, ensure_ascii=False))
"""


def _database_for_other_processes(tmp_path: Path) -> dict:
    """Environment variables under which a `mercato` process opens this test's database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_XDIST_WORKER")}
    if connection.vendor == "sqlite":
        # The test database lives in this process's memory: copy it where others read it.
        import sqlite3

        target = sqlite3.connect(tmp_path / "mercato.sqlite3")
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()
        env["MERCATO_VAR_DIR"] = str(tmp_path)
    else:
        s = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        )
        env["MERCATO_VAR_DIR"] = str(tmp_path)
    env["REDIS_URL"] = ""
    return env


def _mercato(env, *args) -> str:
    command = [sys.executable, "-m", "mercato.manage", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_1_a_product_indexed_in_one_process_is_found_in_another(tmp_path):
    """`rebuild_search_index` in a fresh process cuts 快充充电宝 with the dictionary (充电宝
    is a word of a synonym group), exactly as this process and a second fresh process that
    searches do: the index holds 充电宝 and the search by word, pinyin and initials finds it."""
    build_catalogue(synonyms=("移动电源 = 充电宝",))
    SearchDocument.objects.all().delete()  # nothing indexed by this process
    env = _database_for_other_processes(tmp_path)
    _mercato(env, "rebuild_search_index", "--quiet")
    out = _mercato(env, "shell", "-c", SEARCH_IN_A_FRESH_PROCESS)
    result = json.loads(out.split("RESULT ", 1)[1])
    for query in ["充电宝", "cdb", "chongdianbao", "快充充电宝"]:
        assert result[query][0] == "华为 快充充电宝", query
    assert "充电宝" in result["tokens"]
    expected = Analyzer(["移动电源", "充电宝"]).tokens("华为 快充充电宝", for_index=True)
    assert set(expected) <= set(result["tokens"])


def test_1_one_tokenizer_per_process_rebuilt_when_the_dictionary_changes(catalogue):
    """The process keeps one tokenizer; a synonym saved by operations changes the stored
    fingerprint and this process builds its tokenizer anew, from jieba's dictionary."""
    from mercato.search import dictionary

    first = dictionary.current()
    assert dictionary.current() is first
    services.save_synonym_group(actor=None, terms="快充宝 = 充电宝")
    dictionary.refresh()
    again = dictionary.current()
    assert again is not first and "快充宝" in again.analyzer.words
    assert again.analyzer.tokens("快充宝") == ["快充宝"]


# 2. Parent categories do not stand for a product's own words ----------------------------


def test_2_a_parent_category_word_does_not_make_a_charger_a_phone(catalogue):
    """手机 finds the phones (智能手机, 老人手机), not the charger, power bank or watch
    filed under 手机数码; counts and facets are the phones'."""
    page = selectors.search_products(query="手机")
    names = {p.name for p in page.results}
    assert names == {catalogue[k].name for k in ("mate", "nova", "senior", "xiaomi")}
    assert page.total == 4
    categories = next(f for f in page.facets if f.key == "cat")
    assert {v.label for v in categories.values} == {"智能手机", "老人手机"}


def test_2_a_parent_category_still_finds_its_products_as_a_whole(catalogue):
    """数码配件 (a parent category) lists its products; its inner word 电器 of 家用电器
    finds the appliances (no product's own text holds it)."""
    assert set(found("数码配件")) == {catalogue["charger"].name, catalogue["powerbank"].name}
    assert set(found("电器")) == {catalogue["fridge"].name, catalogue["cooker"].name}


def test_2_fields_are_weighed_name_and_brand_first(catalogue):
    """A match in the product's name ranks above one in its category only."""
    assert found("手表")[0] == catalogue["watch"].name
    assert found("老人机")[0] == catalogue["senior"].name


# 3. Initials and prefixes rank brands, categories and popularity first ------------------


def test_3_initials_rank_the_brand_above_incidental_words(catalogue):
    """hw: 华为 (a brand, popular) before 花王 (a brand selling less) and 户外 (a word of
    a product name)."""
    ranked = found("hw")
    assert ranked[0].startswith("华为")
    huawei = [n for n in ranked if n.startswith("华为")]
    assert ranked[: len(huawei)] == huawei
    assert ranked.index(catalogue["wipes"].name) > len(huawei) - 1


def test_3_suggestions_finish_huaw_as_huawei_first(catalogue):
    """Typing huaw suggests the brand 华为 before 花王, and Huawei products first."""
    suggestions = selectors.suggest(prefix="huaw")
    assert suggestions.terms[0] == "华为"
    assert suggestions.products[0].name.startswith("华为")


# 4. Latin brand names normalised ---------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("L'Oréal", "lipstick"), ("loreal", "lipstick"), ("LOREAL", "lipstick"),
        ("L’oreal", "lipstick"), ("Lancôme", "balm"), ("lancome", "balm"),
        ("ＬＡＮＣＯＭＥ", "balm"),
    ],
)  # fmt: skip
def test_4_accents_apostrophes_case_and_width_do_not_split_brand_names(catalogue, query, key):
    assert found(query) == [catalogue[key].name]


def test_4_the_index_holds_the_whole_latin_name(catalogue):
    tokens = SearchDocument.objects.get(product=catalogue["lipstick"]).name_tokens.split()
    assert "loreal" in tokens and "or" not in tokens and "al" not in tokens


# 5. Compounds, sub-words and a dictionary operations extend -----------------------------


def test_5_a_longer_word_finds_the_catalogues_shorter_one(catalogue):
    """Without any synonym: 电冰箱 finds 冰箱, 婴儿车 finds 婴儿推车 (its 婴儿 must match,
    its 车 orders), 老人手机 finds 老人机."""
    assert found("电冰箱") == [catalogue["fridge"].name]
    assert found("婴儿车")[0] == catalogue["stroller"].name
    assert catalogue["senior"].name in found("老人手机")


def test_5_operations_teach_a_colloquial_word(
    catalogue, ops_user, django_capture_on_commit_callbacks
):
    """A colloquial word nobody's product text holds finds nothing until operations add
    it to the dictionary in the back office; then it finds the products at once."""
    assert found("雪柜") == []
    with django_capture_on_commit_callbacks(execute=True):
        services.save_synonym_group(actor=ops_user, terms="雪柜 = 冰箱")
    assert found("雪柜") == [catalogue["fridge"].name]


def test_5_the_shipped_dictionary_knows_shoppers_words(db):
    """The dictionary a shop starts with (search/data/colloquial.txt, loaded by migration)
    reads 老年机, 婴儿车, 电冰箱, 尿不湿 and iphone as the catalogue's words."""
    from mercato.search.dictionary import synonym_map
    from mercato.search.services import parse_terms

    lines = Path(services.__file__).with_name("data").joinpath("colloquial.txt").read_text()
    groups = [
        parse_terms(line.split("#")[0]) for line in lines.splitlines() if line.split("#")[0].strip()
    ]
    synonyms = synonym_map(groups)
    assert "老人手机" in synonyms["老年机"] and "婴儿推车" in synonyms["婴儿车"]
    assert "冰箱" in synonyms["电冰箱"] and "纸尿裤" in synonyms["尿不湿"]
    assert "苹果 手机" in synonyms["iphone"] and "iphone" not in synonyms.get("苹果 手机", ())


# 6. Chinese typos by sound ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "key", "meant"),
    [
        ("冲峰衣", "jacket", "冲锋衣"),  # same sound
        ("显视器", "monitor", "显示器"),
        ("电饭包", "cooker", "电饭煲"),
        ("华为手几", "mate", "手机"),
        ("冰相", "fridge", "冰箱"),
    ],
)
def test_6_a_character_with_the_same_sound_still_finds_the_product(catalogue, query, key, meant):
    page = selectors.search_products(query=query)
    assert page.results[0].name == catalogue[key].name
    assert meant in page.corrections.values()


@pytest.mark.parametrize(("query", "key"), [("聪锋衣", "jacket"), ("宾箱", "fridge")])
def test_6_a_similar_sound_is_read_too(catalogue, query, key):
    """聪锋衣 (cong for chong), 宾箱 (bin for bing): sounds shoppers and input methods mix
    up are read as the word."""
    assert found(query)[0] == catalogue[key].name


def test_6_the_page_says_what_it_searched_for_instead(catalogue, client):
    html = client.get("/search/", {"q": "冲峰衣"}).content.decode()
    assert catalogue["jacket"].name in html
    assert "<strong>冲锋衣</strong>" in html and 'class="search-note"' in html


# 7. Spec values and units ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("256G", {"mate"}), ("256gb 手机", {"mate"}), ("手机 512G", {"mate"}),
        ("1T", {"xiaomi"}), ("27寸显示器", {"monitor"}), ("27英寸", {"monitor"}),
        ("27吋", {"monitor"}), ("1万毫安", {"powerbank"}), ("10000mah", {"powerbank"}),
        ("65w", {"charger"}), ("4升 电饭煲", {"cooker"}),
    ],
)  # fmt: skip
def test_7_units_are_read_the_same_in_queries_and_specs(catalogue, query, keys):
    assert set(found(query)) == {catalogue[k].name for k in keys}


# 8. The "some words matched" fallback ------------------------------------------------------


def test_8_a_lone_common_character_never_stands_for_the_query(catalogue):
    """电饭包: the rice cooker, never the baby wipes whose spec says 80抽×3包."""
    names = found("电饭包")
    assert names[0] == catalogue["cooker"].name
    assert catalogue["wipes"].name not in names


def test_8_the_fallback_keeps_the_telling_word_ranks_by_how_much_matched_and_says_so(
    catalogue, client
):
    """No product has every word: the key word (the brand or category that says most)
    must match, the others order the list (the charger that is also 快充 first), and the
    page says which word it kept."""
    page = selectors.search_products(query="小米 快充 冰箱")
    assert page.loosened and page.kept == ["冰箱"]
    assert [p.name for p in page.results] == [catalogue["fridge"].name]
    page = selectors.search_products(query="戴尔 快充 充电器")
    assert page.loosened and page.kept == ["充电器"]
    assert page.results[0].name == catalogue["charger"].name
    html = client.get("/search/", {"q": "小米 快充 冰箱"}).content.decode()
    assert "冰箱" in html and 'class="search-note"' in html
