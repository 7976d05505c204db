"""What the import says is wrong: a stable code and its values, translated when shown.

A job's errors are stored on the job and read later, maybe by another person in another
language (and the Celery worker that ran the job has no user's language at all). So an
error is kept as `{"code": ..., "params": {...}}` and turned into words by `render` where it
is shown, in the reader's language: one code path for the page, the command line and the
tests. A code names its message below; the message may be reworded or retranslated later
and jobs stored before still read right.
"""

from django.utils.translation import gettext, gettext_noop, pgettext

# Values are quoted in the message itself (“…”), so a translation may quote its own way.
MESSAGES = {
    # A cell.
    "empty": gettext_noop("This column must not be empty"),
    "too_long": gettext_noop("At most %(limit)s characters (this has %(length)s)"),
    "not_a_number": gettext_noop("Not a number: “%(value)s”"),
    "negative_price": gettext_noop("A price cannot be negative: %(value)s"),
    "price_too_large": gettext_noop("A price must be below 10,000,000,000: %(value)s"),
    "price_decimals": gettext_noop("A price has at most two decimal places: %(value)s"),
    "not_whole": gettext_noop("Not a whole number: “%(value)s”"),
    "out_of_range": gettext_noop("Must be between 0 and %(max)s: %(value)s"),
    "category_ambiguous": gettext_noop(
        "The category path “%(value)s” is ambiguous; use the category's slug"
    ),
    "category_unknown": gettext_noop(
        "Unknown category “%(value)s” (use the path of names or the slug)"
    ),
    "brand_unknown": gettext_noop("Unknown brand “%(value)s”"),
    "brand_too_long": gettext_noop("A brand name has at most 80 characters"),
    "status_unknown": gettext_noop("Unknown status “%(value)s”: use draft, on_sale or off_shelf"),
    # The same words as the product form's (catalog.text.barcode_error).
    "barcode_length": gettext_noop("An EAN-13 barcode has exactly 13 digits"),
    "barcode_check_digit": gettext_noop("The EAN-13 check digit is wrong"),
    "specs_format": gettext_noop(
        "Write specs as name=value pairs separated by ';' (a \\ before ; = or \\ makes it "
        "part of the text), not “%(value)s”"
    ),
    "spec_twice": gettext_noop("The spec “%(name)s” appears twice"),
    "spec_name_too_long": gettext_noop("The spec name “%(name)s” is longer than 30 characters"),
    # Rows against other rows of the file, and against the catalogue.
    "product_has_errors": gettext_noop("Product %(code)s has errors in row %(row)s"),
    "rows_disagree": gettext_noop("Rows of product %(code)s must agree: row %(row)s differs"),
    "sku_twice": gettext_noop("SKU code %(code)s is also in row %(row)s"),
    "barcode_twice": gettext_noop("Barcode %(barcode)s is also in row %(row)s"),
    "specs_twice": gettext_noop("Row %(row)s has the same specs for product %(code)s"),
    "no_specs_twice": gettext_noop("Row %(row)s is also a SKU without specs; add specs"),
    "sku_of_other_product": gettext_noop("SKU %(sku)s belongs to another product (%(product)s)"),
    "barcode_taken": gettext_noop("Barcode %(barcode)s is used by SKU %(sku)s"),
    "specs_taken": gettext_noop("Product %(code)s has SKU %(sku)s with these specs"),
    "on_sale_needs_price": gettext_noop(
        "Product %(code)s cannot go on sale: it needs at least one active SKU "
        "with a list price above 0"
    ),
    # The file as a whole.
    "columns_missing": gettext_noop("Required columns are missing: %(columns)s"),
    "columns_twice": gettext_noop("Columns appear twice: %(columns)s"),
    "cost_price_forbidden": gettext_noop(
        "You may not import cost prices: remove the %(column)s column"
    ),
    "file_type": gettext_noop("Use a .csv or .xlsx file, not “%(name)s”"),
    "file_too_large": gettext_noop("A file may be at most %(megabytes)s MB"),
    "csv_unreadable": gettext_noop(
        "The file cannot be read as CSV text: save it from Excel as CSV (UTF-8)"
    ),
    "xlsx_unreadable": gettext_noop(
        "The file cannot be read as an XLSX workbook: save it from Excel as .xlsx"
    ),
    "format_unknown": gettext_noop("Use one of %(formats)s, not “%(value)s”"),
    "mode_unknown": gettext_noop("Choose one of %(modes)s, not “%(value)s”"),
    "unexpected": gettext_noop(
        "The import stopped on an unexpected error; nothing more was written"
    ),
}


def _list(items) -> str:
    return pgettext("between the items of a list", ", ").join(items)


def column_label(name: str) -> str:
    """A file column as a person reads it (售价 for list_price); an unknown name as is."""
    from .columns import COLUMN_LABELS

    label = COLUMN_LABELS.get(name)
    return str(label) if label is not None else name


def _mode_label(mode: str) -> str:
    from ..models import ImportJob

    return str(ImportJob.Mode(mode).label) if mode in ImportJob.Mode.values else mode


# Values that are names in the file format, shown as the words of the reader's language.
SHOWN_AS = {
    "column": column_label,
    "columns": lambda names: _list(column_label(n) for n in names),
    "modes": lambda modes: _list(_mode_label(m) for m in modes),
    "formats": lambda formats: _list(f.upper() for f in formats),
}


def render(code: str, params: dict) -> str:
    """The message of `code` in the active language, with its values filled in."""
    values = {k: SHOWN_AS[k](v) if k in SHOWN_AS else v for k, v in params.items()}
    return gettext(MESSAGES[code]) % values


class Problem:
    """One thing wrong with a cell, a row or the file: `code` (a key of MESSAGES) and the
    values its message names. str() gives the message in the active language."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, /, **params):
        if code not in MESSAGES:
            raise KeyError(f"No import message {code!r}")  # a programming error
        self.code, self.params = code, params

    def __str__(self) -> str:
        return render(self.code, self.params)

    def __repr__(self) -> str:
        return f"Problem({self.code!r}, {self.params!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Problem) and (self.code, self.params) == (
            other.code,
            other.params,
        )

    __hash__ = None

    def as_dict(self) -> dict:
        return {"code": self.code, "params": self.params}


def describe(entry: dict) -> str:
    """A stored error ({"code", "params"}) in the active language. A job stored before
    errors had codes kept English text under "message": shown as it is."""
    if entry.get("code") in MESSAGES:
        return render(entry["code"], entry.get("params") or {})
    message = entry.get("message")
    return gettext(message) if message else ""
