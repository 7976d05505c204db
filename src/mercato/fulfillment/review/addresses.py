"""The delivery address: placed by cpca down to the district, with a street or house detail.

A whole address (the check command, a pasted address) is parsed by cpca; an order's
stored address (region chosen from cpca's own tree) is checked for its street detail and
for a detail that names another region than the one chosen. Regions come from cpca's
data (core.regions), never from a hand-written table.

Placed down to the district means: cpca finds the province, the city and the district;
a city that has no districts (东莞市, 中山市, 儋州市, 嘉峪关市) is placed at the city. A
district named without its city or province is placed only when its name is unique
(朝阳区 alone could be in 北京 or 长春).

The street or house detail is what is left after the region. It passes when it names a
house (a number with a unit: 15号, 3栋, 2单元, 501室, 3组, Room 5) or a place a courier
finds by name (a compound, building, village or institution: …小区, …大厦, …村, …大学);
a road without a number, an area (…科技园, …开发区), a town alone, words like 附近 or
门口, or nothing at all does not.
"""

import re
import unicodedata
from collections import defaultdict
from functools import lru_cache

from django.utils.translation import gettext_noop

from mercato.core.regions import NON_MAINLAND_PREFIXES, mainland_districts, normalize_area

from .findings import Finding
from .names import ABUSIVE_ADDRESS, contains_abuse

MISSING = gettext_noop("The address is missing.")
UNPLACED = gettext_noop("The address cannot be placed: no province or city found.")
NO_DISTRICT = gettext_noop("The address cannot be placed down to the district.")
AMBIGUOUS = gettext_noop("The district is named without its city, and several cities have it.")
ABROAD = gettext_noop("The address is outside mainland China, where we do not deliver.")
NO_DETAIL = gettext_noop("The address has no street or house detail.")
VAGUE = gettext_noop("The street address is too vague: no house number or named building.")
CONFLICT = gettext_noop("The street address names another region than the one chosen.")

NUMERAL = r"[0-9一二三四五六七八九十百千零〇两壹贰叁肆伍陆柒捌玖拾]+"
# A number with a unit of a house, building, room, lane or village group.
HOUSE = re.compile(
    NUMERAL + r"\s*(?:号楼|号院|号|栋|幢|座|单元|室|楼|层|户|组|弄|排|巷|门|期|区|队|社|屯|铺|格)"
    r"|(?:路|街|道|巷|弄|胡同|里|坊|村)\s*" + NUMERAL + r"(?!\s*(?:段|期|环|公里|km))"
    r"|[A-Za-z]\s*座|[A-Za-z]?\d+\s*[-－]\s*\d+"
    r"|(?:room|rm|unit|building|bldg|block|blk|flat|apt|floor|no)\.?\s*#?\s*\d+|#\s*\d+",
    re.IGNORECASE,
)
# A place found by its name: compounds, buildings, villages, institutions, shops. Words of
# two characters or more count anywhere; one-character endings (万科城, 阿土列尔村, 派出所)
# only at the end, after a Chinese character (城南路 is a road, not a place).
PLACE = re.compile(
    r"(?:小区|花园|家园|公寓|大厦|大楼|广场|中心|写字楼|商厦|新村|社区|山庄|别墅|宿舍|"
    r"农场|林场|牧场|连队|大学|学院|学校|中学|小学|幼儿园|医院|卫生院|诊所|"
    r"公司|集团|工厂|车间|仓库|酒店|宾馆|饭店|超市|商场|市场|商店|机场|车站|码头|银行|"
    r"政府|办事处|大队|中队|体育馆|图书馆|博物馆|派出所|营业厅|服务区|菜鸟驿站|快递柜|丰巢)"
    r"|(?<=[\u4e00-\u9fff])(?:苑|庭|府|邸|居|阁|城|湾|郡|坊|里|汇|座|院|馆|村|屯|寨|庄|堡|"
    r"营|厂|店|局|所|部|处|站|园)$"
)
# Areas too large to find a door in, and words that name no place at all.
AREA_ONLY = re.compile(
    r"^(?:.*(?:科技园|工业园|产业园|园区|开发区|高新区|新区|工业区|商圈|片区|一带|附近|周边|旁边|"
    r"对面|门口|那边|这边|楼下|家里|老地方))$"
)
VAGUE_WORDS = re.compile(
    r"^(?:随便|不知道|家|家里|老地方|附近|门口|楼下|到了打电话|打电话|电话联系|自取|自提|"
    r"无|空|没有|详见备注|见备注|同上|xx+|test|测试)$",
    re.IGNORECASE,
)
TOWN_ONLY = re.compile(r"^.{0,8}(?:镇|乡|街道|街道办|开发区|管委会)$")
PLACEHOLDER_CITY = {"市辖区"}


@lru_cache(maxsize=1)
def _district_homes() -> dict[str, set[tuple[str, str]]]:
    """district name → {(province, city)} over mainland China (cpca's data)."""
    homes = defaultdict(set)
    for _code, province, city, district in mainland_districts():
        homes[district].add((province, city))
    return homes


@lru_cache(maxsize=1)
def _cities_without_districts() -> frozenset[str]:
    """Adcode prefixes (4 digits) of cities with no district of their own in cpca's data
    (东莞, 中山, 儋州) or only the 市辖区 placeholder (嘉峪关)."""
    import cpca

    cities, real = set(), set()
    for code, info in cpca.ad_2_addr_dict.items():
        if code[:2] in NON_MAINLAND_PREFIXES:
            continue
        if info.rank == 1:
            cities.add(code[:4])
        elif info.rank == 2 and info.name not in PLACEHOLDER_CITY:
            real.add(code[:4])
    return frozenset(cities - real)


def normalise(text: str) -> str:
    """Full-width letters and digits folded (１５号 → 15号), spaces squeezed."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", " ", text).strip()


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _parse(texts: list[str]) -> list[dict]:
    import cpca

    frame = cpca.transform(texts, pos_sensitive=True)
    rows = []
    for row in frame.itertuples(index=False):
        province, city, district, rest, adcode, p_pos, c_pos, d_pos = row
        rows.append(
            {
                "province": _text(province),
                "city": _text(city),
                "district": _text(district),
                "rest": _text(rest),
                "adcode": _text(adcode),
                "named": (p_pos >= 0, c_pos >= 0, d_pos >= 0),
                "pos": (int(p_pos), int(c_pos), int(d_pos)),
            }
        )
    return rows


@lru_cache(maxsize=5_000)
def split_whole(text: str) -> tuple[str, str, str, str]:
    """(province, city, district, detail) of a whole address as an order would store them
    (cpca's placeholder cities replaced, core.regions.normalize_area); "" where not found."""
    text = normalise(text)
    if not text:
        return ("", "", "", "")
    parsed = _parse([text])[0]
    province, city, district = parsed["province"], parsed["city"], parsed["district"]
    if province and city and district:
        province, city, district = normalize_area(province, city, district)
    return (province, city, district, parsed["rest"].strip())


def check_detail(detail: str) -> tuple[Finding, ...]:
    """The street or house detail alone (what is left after the region)."""
    detail = normalise(detail).strip(" ,，.。;；:：-")
    if not detail:
        return (Finding("address_detail", "address", NO_DETAIL),)
    if VAGUE_WORDS.match(detail) or AREA_ONLY.match(detail) or TOWN_ONLY.match(detail):
        return (Finding("address_detail", "address", VAGUE, detail),)
    if HOUSE.search(detail) or PLACE.search(detail):
        return ()
    return (Finding("address_detail", "address", VAGUE, detail),)


def _placed(parsed: dict) -> tuple[Finding, ...]:
    """Findings about where the parsed address lies (nothing: placed to the district)."""
    if not parsed["province"]:
        return (Finding("address_unplaced", "address", UNPLACED),)
    if parsed["adcode"][:2] in NON_MAINLAND_PREFIXES:
        return (Finding("address_unplaced", "address", ABROAD, parsed["province"]),)
    if not parsed["district"]:
        if parsed["adcode"][:4] in _cities_without_districts() and parsed["city"]:
            return ()
        return (Finding("address_unplaced", "address", NO_DISTRICT),)
    province_named, city_named, _district_named = parsed["named"]
    if not (province_named or city_named) and len(_district_homes()[parsed["district"]]) > 1:
        return (Finding("address_unplaced", "address", AMBIGUOUS, parsed["district"]),)
    return ()


def check_full_addresses(texts: list[str]) -> list[tuple[Finding, ...]]:
    """Each whole address ("广东省深圳市南山区科苑路15号") checked: placed to the district,
    with a street or house detail, no abusive words. One cpca call for the batch."""
    texts = [normalise(t) for t in texts]
    results: list[tuple[Finding, ...]] = [()] * len(texts)
    todo = [i for i, t in enumerate(texts) if t]
    for i, t in enumerate(texts):
        if not t:
            results[i] = (
                Finding("address_unplaced", "address", MISSING),
                Finding("info_missing", "incomplete", MISSING),
            )
    if not todo:
        return results
    for i, parsed in zip(todo, _parse([texts[i] for i in todo]), strict=True):
        findings = list(_placed(parsed))
        if parsed["province"]:
            findings += check_detail(parsed["rest"])
        if contains_abuse(texts[i], english=False):
            findings.append(Finding("abusive_words", "malicious", ABUSIVE_ADDRESS))
        results[i] = tuple(findings)
    return results


def check_stored_addresses(rows: list[tuple[str, str, str, str]]) -> list[tuple[Finding, ...]]:
    """Orders' addresses as stored (province, city, district, detail), the region chosen
    from cpca's tree at checkout: the detail must describe a house, name no other region,
    and hold no abusive words."""
    results = []
    details = [normalise(detail) for *_region, detail in rows]
    parsed = _parse(details) if details else []
    for (province, city, district, _detail), detail, found in zip(
        rows, details, parsed, strict=True
    ):
        findings = []
        if not province or not city:
            findings.append(Finding("address_unplaced", "address", UNPLACED))
        elif not district and city not in _city_names_without_districts():
            findings.append(Finding("address_unplaced", "address", NO_DISTRICT))
        rest = detail
        named_province, named_city, named_district = found["named"]
        if found["province"] and _mentions_region(detail, found):
            same = (
                found["province"] == province
                and (not named_city or found["city"] in (city, "市辖区", "省直辖县级行政区划"))
                and (not named_district or found["district"] in (district, ""))
            )
            if not same:
                findings.append(Finding("address_unplaced", "address", CONFLICT, found["province"]))
            rest = found["rest"]
        findings += check_detail(rest)
        if contains_abuse(detail, english=False):
            findings.append(Finding("abusive_words", "malicious", ABUSIVE_ADDRESS))
        results.append(tuple(findings))
    return results


def _mentions_region(detail: str, found: dict) -> bool:
    """Whether a street detail begins with a region (a customer who typed the province
    or city again, or another one), not a road or place named after one: 中山路,
    南京东路, 北京路, 广州大道 and 杭州湾新区 are streets and areas found in every
    province, so a name counts only at the start of the detail, written in full (深圳市,
    武侯区) or followed by a second region name (广东深圳, 成都武侯区)."""
    names = (found["province"], found["city"], found["district"])
    mentions = [
        (pos, name) for pos, name in zip(found["pos"], names, strict=True) if pos >= 0 and name
    ]
    if not mentions or min(pos for pos, _name in mentions) != 0:
        return False
    if any(detail.startswith(name, pos) for pos, name in mentions):
        return True
    return len(mentions) >= 2


@lru_cache(maxsize=1)
def _city_names_without_districts() -> frozenset[str]:
    import cpca

    return frozenset(
        info.name
        for code, info in cpca.ad_2_addr_dict.items()
        if code[:4] in _cities_without_districts() and info.rank == 1
    )
