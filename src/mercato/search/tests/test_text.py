from mercato.search import text


def test_segmentation_keeps_catalogue_words_whole():
    """A brand taught to jieba stays one word; a query is cut into words."""
    text.add_user_words(["倍思"])
    assert text.segment("倍思充电器") == ["倍思", "充电器"]
    assert text.segment("华为手机") == ["华为", "手机"]


def test_index_tokens_carry_pinyin_and_initials():
    """手机 is indexed as 手机, shouji and sj; long words also by their parts."""
    tokens = text.index_tokens("智能手机")
    assert {"手机", "shouji", "sj", "智能", "智能手机", "zhinengshouji", "znsj"} <= set(tokens)


def test_latin_text_is_lower_case_and_half_width():
    """Full-width letters and digits match their ASCII forms."""
    assert text.segment("ＩＰｈｏｎｅ１５") == ["iphone15"]


def test_clean_query_drops_control_characters_and_shortens():
    cleaned, shortened = text.clean_query("手机\x00\x1b[31m\t壳" + "啊" * 300)
    assert "\x00" not in cleaned and "\x1b" not in cleaned
    assert shortened and len(cleaned) <= text.MAX_QUERY_LENGTH


def test_edit_distance_counts_a_transposition_as_one():
    assert text.damerau_distance("iphnoe", "iphone", 2) == 1
    assert text.damerau_distance("huawie", "huawei", 1) == 1
    assert text.damerau_distance("apple", "xiaomi", 2) == 3
