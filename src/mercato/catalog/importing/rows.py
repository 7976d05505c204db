"""Turn one file row into checked values, without touching the database.

Lookups that every row needs (categories, brands) come from a `Lookups` built once per
import; checks against existing products and SKUs happen per chunk in engine.py.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..models import Brand, Category
from ..services.products import spec_key
from ..text import barcode_fault
from .columns import MAX_LENGTHS, PRODUCT_COLUMNS, STATUS_ALIASES, parse_specs
from .problems import Problem

MAX_AMOUNT = Decimal("1e10")
MAX_INT = 2_147_483_647


@dataclass
class RowError:
    row: int
    column: str
    problem: Problem

    @property
    def message(self) -> str:
        """The problem in the active language."""
        return str(self.problem)

    def as_dict(self) -> dict:
        """What a job stores: the code and values, translated where the job is read."""
        return {"row": self.row, "column": self.column, **self.problem.as_dict()}


@dataclass
class Row:
    """A parsed row. `product` and `sku` hold only the columns present in the file."""

    number: int
    product_code: str
    sku_code: str
    product: dict = field(default_factory=dict)
    sku: dict = field(default_factory=dict)
    new_brand: str = ""  # a brand to create (with the create-brands option)
    errors: list[RowError] = field(default_factory=list)

    def fail(self, column: str, problem: Problem | str, /, **params) -> None:
        """Record a problem on `column`: a Problem, or a code of problems.MESSAGES and
        the values its message names."""
        if not isinstance(problem, Problem):
            problem = Problem(problem, **params)
        self.errors.append(RowError(self.number, column, problem))

    @property
    def product_errors(self) -> bool:
        return any(e.column in PRODUCT_COLUMNS or e.column == "product_code" for e in self.errors)


class Lookups:
    """Categories (by path of names or slug) and brands (by name), read once."""

    def __init__(self, *, create_brands: bool):
        self.create_brands = create_brands
        nodes = list(Category.objects.values_list("id", "path", "name", "slug").order_by("path"))
        names_by_path = {path: name for _, path, name, _ in nodes}
        step = Category.steplen
        self.categories: dict[str, int | None] = {}
        self.category_labels: dict[int, str] = {}
        full_names: dict[int, str] = {}
        for pk, path, _, _ in nodes:
            names = [names_by_path[path[:i]] for i in range(step, len(path) + 1, step)]
            full = "/".join(n.strip() for n in names)
            full_names[pk] = full
            # Two siblings with the same name make the path ambiguous: None marks it.
            self.categories[full] = None if full in self.categories else pk
        for pk, _, _, slug in nodes:
            self.categories.setdefault(slug.lower(), pk)
            key = full_names[pk]
            self.category_labels[pk] = key if self.categories.get(key) == pk else slug
        self.brands: dict[str, int] = {}
        for pk, name, name_en in Brand.objects.values_list("id", "name", "name_en"):
            self.brands[name] = pk
            if name_en:
                self.brands.setdefault(name_en.lower(), pk)

    def category(self, text: str) -> tuple[int | None, Problem | None]:
        key = "/".join(part.strip() for part in text.replace(">", "/").split("/"))
        if key in self.categories:
            pk = self.categories[key]
            if pk is None:
                return None, Problem("category_ambiguous", value=text)
            return pk, None
        pk = self.categories.get(text.lower())
        if pk is None:
            return None, Problem("category_unknown", value=text)
        return pk, None


def _money(row: Row, column: str, text: str) -> Decimal | None:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        row.fail(column, "not_a_number", value=text)
        return None
    if not amount.is_finite():
        row.fail(column, "not_a_number", value=text)
    elif amount < 0:
        row.fail(column, "negative_price", value=text)
    elif amount >= MAX_AMOUNT:
        row.fail(column, "price_too_large", value=text)
    elif amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        row.fail(column, "price_decimals", value=text)
    else:
        return amount.quantize(Decimal("0.01"))
    return None


def _whole(row: Row, column: str, text: str) -> int | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        row.fail(column, "not_whole", value=text)
        return None
    if not number.is_finite() or number != number.to_integral_value():
        row.fail(column, "not_whole", value=text)
    elif not 0 <= number <= MAX_INT:
        row.fail(column, "out_of_range", max=MAX_INT, value=text)
    else:
        return int(number)
    return None


def parse_row(number: int, cells: dict[str, str], lookups: Lookups) -> Row:
    """Check every cell of one row; errors name the row, the column and the problem."""
    row = Row(number, cells.get("product_code", ""), cells.get("sku_code", ""))
    for column in ("product_code", "product_name", "category", "sku_code", "list_price"):
        if not cells.get(column):
            row.fail(column, "empty")
    for column, limit in MAX_LENGTHS.items():
        if len(cells.get(column, "")) > limit:
            row.fail(column, "too_long", limit=limit, length=len(cells[column]))
    product, sku = row.product, row.sku
    product["name"] = cells.get("product_name", "")
    if cells.get("category"):
        product["category_id"], problem = lookups.category(cells["category"])
        if problem:
            row.fail("category", problem)
    if "brand" in cells:
        name = cells["brand"]
        product["brand_id"] = lookups.brands.get(name) or lookups.brands.get(name.lower())
        if name and product["brand_id"] is None:
            if not lookups.create_brands:
                row.fail("brand", "brand_unknown", value=name)
            elif len(name) > 80:
                row.fail("brand", "brand_too_long")
            else:
                row.new_brand = name
    if "status" in cells:
        status = STATUS_ALIASES.get(cells["status"].lower() or "draft")
        if status is None:
            row.fail("status", "status_unknown", value=cells["status"])
        product["status"] = status
    for column in ("subtitle", "seo_title", "seo_keywords", "seo_description"):
        if column in cells:
            product[column] = cells[column]

    if "barcode" in cells:
        fault = barcode_fault(cells["barcode"])
        if fault:
            row.fail("barcode", f"barcode_{fault}")
        sku["barcode"] = cells["barcode"]
    if "specs" in cells:
        specs, problem = parse_specs(cells["specs"])
        if problem:
            row.fail("specs", problem)
        sku["specs"], sku["spec_key"] = specs, spec_key(specs)
    if cells.get("list_price"):
        sku["list_price"] = _money(row, "list_price", cells["list_price"])
    # An empty cost, weight or volume cell keeps what the SKU has (0 for a new SKU).
    if cells.get("cost_price"):
        sku["cost_price"] = _money(row, "cost_price", cells["cost_price"])
    for column in ("weight_g", "volume_cm3"):
        if cells.get(column):
            sku[column] = _whole(row, column, cells[column])
    return row
