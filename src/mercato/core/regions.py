"""China's administrative areas (province → city → district), from cpca's own data.

Every app that stores or checks a region uses these names, so an address typed by a
customer, parsed by cpca, and a warehouse's served provinces all agree on one spelling.
"""

from functools import lru_cache

# cpca puts these placeholders where a municipality or a province-administered county has
# no prefecture-level city. We show the municipality (北京市 北京市 朝阳区) or the county
# itself (河南省 济源市 济源市) instead, as Chinese shops do.
MUNICIPALITY_CITY_LABELS = {"市辖区", "县"}
DIRECT_COUNTY_CITY_LABELS = {"省直辖县级行政区划", "自治区直辖县级行政区划"}
# 台湾, 香港 and 澳门 are in cpca's data but outside mainland delivery.
NON_MAINLAND_PREFIXES = {"71", "81", "82"}


def _cpca_areas() -> dict:
    import cpca  # imports pandas: load it only when a region is needed

    return cpca.ad_2_addr_dict


def normalize_area(province: str, city: str, district: str) -> tuple[str, str, str]:
    """cpca's (province, city, district) with its placeholder city names replaced."""
    if city in MUNICIPALITY_CITY_LABELS:
        city = province
    elif city in DIRECT_COUNTY_CITY_LABELS:
        city = district
    return province, city, district


@lru_cache(maxsize=1)
def mainland_provinces() -> tuple[str, ...]:
    """The 31 province-level names of mainland China, in cpca's spelling, by area code."""
    return tuple(
        info.name
        for code, info in sorted(_cpca_areas().items())
        if code.endswith("0" * 10) and code[:2] not in NON_MAINLAND_PREFIXES
    )


@lru_cache(maxsize=1)
def mainland_districts() -> tuple[tuple[str, str, str, str], ...]:
    """Every mainland district as (adcode, province, city, district), normalised, by code."""
    areas = _cpca_areas()
    result = []
    for code, info in sorted(areas.items()):
        if info.rank != 2 or code[:2] in NON_MAINLAND_PREFIXES:
            continue
        province = areas.get(code[:2] + "0" * 10)
        city = areas.get(code[:4] + "0" * 8)
        if province is None or city is None:
            continue
        result.append((info.adcode, *normalize_area(province.name, city.name, info.name)))
    return tuple(result)


def area_text(province: str, city: str, district: str) -> str:
    """The region as written on a parcel: 北京市朝阳区, 广东省深圳市南山区, 河南省济源市."""
    if city in (province, district):
        return province + district
    return province + city + district
