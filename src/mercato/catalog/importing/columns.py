"""The columns of a product file, shared by import and export: one row per SKU."""

from django.utils.translation import gettext_lazy as _

from .problems import Problem

# In file order. Export writes exactly these (cost_price only for those who may see it).
COLUMNS = [
    "product_code",
    "product_name",
    "category",
    "brand",
    "status",
    "sku_code",
    "barcode",
    "specs",
    "list_price",
    "cost_price",
    "weight_g",
    "volume_cm3",
    "subtitle",
    "seo_title",
    "seo_keywords",
    "seo_description",
]
# Where export reads each column, from a Sku row.
SOURCES = {
    "product_code": "product__code",
    "product_name": "product__name",
    "category": "product__category_id",
    "brand": "product__brand__name",
    "status": "product__status",
    "sku_code": "code",
    "barcode": "barcode",
    "specs": "specs",
    "list_price": "list_price",
    "cost_price": "cost_price",
    "weight_g": "weight_g",
    "volume_cm3": "volume_cm3",
    "subtitle": "product__subtitle",
    "seo_title": "product__seo_title",
    "seo_keywords": "product__seo_keywords",
    "seo_description": "product__seo_description",
}
REQUIRED = ["product_code", "product_name", "category", "sku_code", "list_price"]
# Fields of the product (SPU): every row of one product_code must agree on them.
PRODUCT_COLUMNS = [
    "product_name",
    "category",
    "brand",
    "status",
    "subtitle",
    "seo_title",
    "seo_keywords",
    "seo_description",
]

# Header aliases: the Chinese headers operations staff use in their own spreadsheets.
ALIASES = {
    "product_code": ["商品编码", "商品编号", "SPU编码"],
    "product_name": ["商品名称", "名称"],
    "category": ["分类", "类目", "商品分类"],
    "brand": ["品牌"],
    "status": ["状态", "商品状态"],
    "sku_code": ["SKU编码", "SKU编号", "规格编码"],
    "barcode": ["条形码", "条码", "EAN"],
    "specs": ["规格"],
    "list_price": ["售价", "价格", "销售价"],
    "cost_price": ["成本价", "成本"],
    "weight_g": ["重量", "重量(克)", "重量（克）", "重量g"],
    "volume_cm3": ["体积", "体积(立方厘米)", "体积（立方厘米）", "体积cm3"],
    "subtitle": ["副标题"],
    "seo_title": ["SEO标题"],
    "seo_keywords": ["SEO关键词"],
    "seo_description": ["SEO描述"],
}
_HEADER_MAP = {name: name for name in COLUMNS} | {
    alias.lower(): name for name, aliases in ALIASES.items() for alias in aliases
}

# Status cells may use the code or the Chinese label.
STATUS_ALIASES = {
    "draft": "draft",
    "草稿": "draft",
    "on_sale": "on_sale",
    "在售": "on_sale",
    "上架": "on_sale",
    "off_shelf": "off_shelf",
    "已下架": "off_shelf",
    "下架": "off_shelf",
}

MAX_LENGTHS = {
    "product_code": 40,
    "product_name": 120,
    "sku_code": 40,
    "subtitle": 200,
    "seo_title": 120,
    "seo_keywords": 255,
    "seo_description": 300,
}

COLUMN_LABELS = {
    "product_code": _("Product code"),
    "product_name": _("Product name"),
    "category": _("Category"),
    "brand": _("Brand"),
    "status": _("Status"),
    "sku_code": _("SKU code"),
    "barcode": _("Barcode"),
    "specs": _("Specs"),
    "list_price": _("List price"),
    "cost_price": _("Cost price"),
    "weight_g": _("Weight (g)"),
    "volume_cm3": _("Volume (cm³)"),
    "subtitle": _("Subtitle"),
    "seo_title": _("SEO title"),
    "seo_keywords": _("SEO keywords"),
    "seo_description": _("SEO description"),
}


def canonical_column(header) -> str | None:
    """ "商品编码" or " Product_Code " → "product_code"; None for a column we do not know."""
    # Spaces inside do not count: "SKU 编码" (the column's label) is "SKU编码".
    key = "".join(str(header or "").lstrip("\ufeff").split()).lower()
    return _HEADER_MAP.get(key)


# In a specs cell ';' (or '；') separates pairs and '=' a name from its value; a backslash
# makes any of them (and itself) part of a name or value: 尺寸=1\=2\;3 is {"尺寸": "1=2;3"}.
SEPARATORS = (";", "；")
_ESCAPE = str.maketrans({c: "\\" + c for c in ("\\", "=", *SEPARATORS)})


def format_specs(specs: dict) -> str:
    """{"颜色": "黑色", "尺寸": "1=2"} → "颜色=黑色;尺寸=1\\=2" (what parse_specs reads back)."""
    return ";".join(
        f"{str(name).translate(_ESCAPE)}={str(value).translate(_ESCAPE)}"
        for name, value in specs.items()
    )


def _split_specs(text: str) -> list[tuple[str, list[str]]]:
    """Split a specs cell at unescaped ';' and '=': [(part as written, [name, value, ...])].

    A backslash before '\\', '=', ';' or '；' makes that character plain; before anything
    else it stays as written (files from before escaping had no reason to double it).
    """
    if "\\" not in text:
        return [(part, part.split("=")) for part in text.replace("；", ";").split(";")]
    parts, pieces, current, start, i = [], [], [], 0, 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in ("\\", "=", *SEPARATORS):
            current.append(text[i + 1])
            i += 2
            continue
        if char in SEPARATORS:
            parts.append((text[start:i], [*pieces, "".join(current)]))
            pieces, current, start = [], [], i + 1
        elif char == "=":
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append((text[start:], [*pieces, "".join(current)]))
    return parts


def parse_specs(text: str) -> tuple[dict[str, str], Problem | None]:
    """ "颜色=黑色;存储容量=128GB" → ({"颜色": "黑色", "存储容量": "128GB"}, None) or an error."""
    specs: dict[str, str] = {}
    if not text:
        return specs, None
    for part, pieces in _split_specs(text):
        if not part.strip():
            continue
        if len(pieces) != 2 or not pieces[0].strip() or not pieces[1].strip():
            return {}, Problem("specs_format", value=part.strip())
        name, value = pieces[0].strip(), pieces[1].strip()
        if name in specs:
            return {}, Problem("spec_twice", name=name)
        if len(name) > 30:
            return {}, Problem("spec_name_too_long", name=name)
        specs[name] = value
    return specs, None
