"""Stream the rows of a CSV or XLSX file without loading it whole."""

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mercato.core.errors import ValidationFailed

from .problems import Problem

FORMATS = ("csv", "xlsx")


def detect_format(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in FORMATS:
        raise ValidationFailed({"file": [Problem("file_type", name=filename)]})
    return ext


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Spreadsheets store 6901234567892 or 100 as floats; keep them as written.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


@dataclass
class Sheet:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (row number in the file, header = 1; cells)
    total: int | None  # data rows, when known up front (for progress bars)


def _csv_encoding(binary) -> str:
    """UTF-8 (with or without BOM), else GB18030: what Chinese Excel saves CSV as."""
    head = binary.read(65536)
    binary.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _csv_rows(reader) -> Iterator[tuple[int, list[str]]]:
    for number, cells in enumerate(reader, start=2):
        cells = [c.strip() for c in cells]
        if any(cells):
            yield number, cells


def _count_rows(reader) -> int:
    """Rows that are not blank (what _csv_rows yields), without keeping their cells."""
    return sum(1 for cells in reader if any(map(str.strip, cells)))


@contextmanager
def open_sheet(binary, *, fmt: str, count: bool = True):
    """Yield a Sheet over `binary` (a file opened in binary mode, seekable)."""
    if fmt == "csv":
        encoding = _csv_encoding(binary)
        text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        try:
            total = None
            if count:
                total = _count_rows(csv.reader(text)) - 1
                text.seek(0)
            reader = csv.reader(text)
            header = [c.strip() for c in next(reader, [])]
            yield Sheet(
                header=header, rows=_csv_rows(reader), total=max(total, 0) if count else None
            )
        except (UnicodeDecodeError, csv.Error) as exc:
            # What the decoder or parser said helps no one who has the file open in Excel.
            raise ValidationFailed({"file": [Problem("csv_unreadable")]}) from exc
        finally:
            text.detach()
    elif fmt == "xlsx":
        yield from _open_xlsx(binary)
    else:
        raise ValidationFailed({"format": [Problem("format_unknown", formats=FORMATS, value=fmt)]})


def _open_xlsx(binary):
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(binary, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed({"file": [Problem("xlsx_unreadable")]}) from exc
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = [_cell_text(c) for c in next(values, ())]
        total = sheet.max_row - 1 if sheet.max_row else None

        def rows():
            for number, cells in enumerate(values, start=2):
                texts = [_cell_text(c) for c in cells]
                if any(texts):
                    yield number, texts

        yield Sheet(header=header, rows=rows(), total=total)
    finally:
        book.close()
