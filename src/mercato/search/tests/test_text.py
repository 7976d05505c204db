from mercato.search import text
from mercato.search.analyzer import Analyzer


def test_segmentation_keeps_catalogue_words_whole():
    """A brand taught to the tokenizer stays one word; a query is cut into words."""
    analyzer = Analyzer(["倍思"])
    assert analyzer.tokens("倍思充电器") == ["倍思", "充电器"]
    assert analyzer.tokens("华为手机") == ["华为", "手机"]


def test_documents_hold_the_words_that_begin_or_end_long_ones():
    """智能手机 is indexed as 智能手机, 智能 and 手机; 充电器 gives 充电 but not 电器, so a
    search for 电器 (appliances) does not find chargers."""
    analyzer = Analyzer()
    assert {"智能手机", "智能", "手机"} <= set(analyzer.tokens("智能手机", for_index=True))
    charger = analyzer.tokens("充电器", for_index=True)
    assert "充电" in charger and "电器" not in charger


def test_latin_names_are_normalised_alike_at_index_and_query_time():
    """Full width, case, accents and apostrophes: issue 11, defect 4."""
    assert text.normalize("ＮＩＫＥ") == "nike"
    assert text.normalize("L'Oréal") == "loreal"
    assert text.normalize("Lancôme") == "lancome"
    assert text.normalize("Estée Lauder") == "estee lauder"
    assert text.normalize("Arc’teryx") == "arcteryx"
    analyzer = Analyzer()
    assert analyzer.tokens("Oral-B") == ["oralb"]
    assert set(analyzer.tokens("Oral-B", for_index=True)) >= {"oralb", "oral", "b"}


def test_units_are_written_one_way():
    """256G = 256GB, 65寸 = 65英寸 = 65吋, 2万毫安 = 20000mAh, 4升 = 4L, 10公斤 = 10kg:
    issue 11, defect 7."""
    analyzer = Analyzer()

    def tokens(value):
        return analyzer.tokens(value)

    assert tokens("8GB+256GB") == ["8g", "256g"]
    assert tokens("256G") == tokens("256gb") == ["256g"]
    assert tokens("65寸") == tokens("65英寸") == tokens("65吋") == tokens('65"') == ["65in"]
    assert tokens("2万毫安") == tokens("20000mAh") == ["20000mah"]
    assert tokens("4升") == tokens("4L") == ["4l"]
    assert tokens("10公斤") == tokens("10KG") == ["10kg"]
    assert tokens("100毫升") == tokens("100ml") == ["100ml"]
    assert tokens("1.5匹") == ["1.5匹"]
    assert tokens("42码") == ["42"]
    assert tokens("80抽×3包") == ["80抽", "3包"]  # never a lone 包


def test_clean_query_drops_control_characters_and_shortens():
    cleaned, shortened = text.clean_query("手机\x00\x1b[31m\t壳" + "啊" * 300)
    assert "\x00" not in cleaned and "\x1b" not in cleaned
    assert shortened and len(cleaned) <= text.MAX_QUERY_LENGTH


def test_pinyin_readings_include_other_sounds_of_a_character():
    """美的 is typed meide or meidi; fuzzy keys merge sounds often confused (chen/cheng)."""
    assert ["mei", "di"] in text.readings("美的")
    assert text.fuzzy_key(text.syllables("吸成器")) == text.fuzzy_key(text.syllables("吸尘器"))


def test_edit_distance_counts_a_transposition_as_one():
    assert text.damerau_distance("iphnoe", "iphone", 2) == 1
    assert text.damerau_distance("huawie", "huawei", 1) == 1
    assert text.damerau_distance("apple", "xiaomi", 2) == 3
