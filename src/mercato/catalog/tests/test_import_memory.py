"""Import memory stays flat: what earlier chunks held lives in a temporary table."""

import tracemalloc

import pytest

from mercato.catalog.importing import import_products
from mercato.testing.catalogue_files import csv_bytes, sku_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

CHUNK = 500


def peak_import_memory(user, *, rows: int, mode: str) -> int:
    """Peak bytes the import allocates beyond what was allocated before it (file included)."""
    lines = [
        # Codes of their own per run: the second import creates too, it updates nothing.
        sku_row(i, product=f"M{rows}-{i // 4:06d}", specs=f"颜色=色{i % 4};版本={i}")
        for i in range(rows)
    ]
    file = csv_bytes(lines)
    del lines
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        result = import_products(actor=user, file=file, fmt="csv", mode=mode, chunk_size=CHUNK)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error_count == 0 and result.processed_rows == rows
    return peak - before


@pytest.mark.parametrize("mode", ["dry_run", "all_or_nothing"])
def test_peak_memory_does_not_grow_with_the_number_of_rows(ops_user, mode):
    """Importing 4× the rows (2,000 → 8,000, chunks of 500) needs no more memory at its
    peak, give or take a quarter: nothing per row is kept past its chunk."""
    small = peak_import_memory(ops_user, rows=2000, mode=mode)
    big = peak_import_memory(ops_user, rows=8000, mode=mode)
    # Before the temporary table, the 6,000 extra rows cost ~0.7 KiB each (+4 MiB).
    assert big < small * 1.25, (small, big)
