"""What earlier chunks of the file held, kept in a temporary table instead of in memory.

Duplicates across the whole file (a SKU code, a barcode, a spec combination twice; rows of
one product that disagree) need to know what every earlier row held. Keeping that in
Python grew the importing process by ~0.7 KiB per row; a temporary table keeps it in the
database session, so memory stays one chunk whatever the file's length. It works the same
on a dry run (no catalogue table is touched) and tells "twice in this file" apart from
"existed before the import" (the catalogue tables cannot: earlier chunks are written).

Each chunk costs two or three statements: one SELECT of the keys its rows carry, one
insert of the keys and product states seen for the first time (COPY on PostgreSQL), and
an update of earlier products' states when a chunk changed them. Keys are short strings:
`s<US>code` (SKU code), `b<US>barcode`, `p<US>product<US>spec key`, `P<US>product`.
"""

import json
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection

SEP = "\x1f"  # the ASCII unit separator: never in a code a person types


def sku_key(code: str) -> str:
    return f"s{SEP}{code}"


def barcode_key(barcode: str) -> str:
    return f"b{SEP}{barcode}"


def spec_key_of(product_code: str, spec_key: str) -> str:
    return f"p{SEP}{product_code}{SEP}{spec_key}"


def product_key(code: str) -> str:
    return f"P{SEP}{code}"


@dataclass(slots=True)
class ProductState:
    """A product_code's first row in the file and what later rows must agree with."""

    first_row: int
    values: dict  # the product fields of its first row; later rows must agree
    ok: bool  # the first row's product fields were valid
    handled: bool = False  # created/updated (or counted, on a dry run) already
    sellable: bool = False  # an active SKU with a price > 0 is known (for on_sale)
    dirty: bool = True  # to be saved at the end of the chunk
    stored: bool = False  # in the table already (loaded from it): saving updates it

    def data(self) -> str:
        return json.dumps([self.values, self.ok, self.handled, self.sellable], ensure_ascii=False)

    @classmethod
    def load(cls, first_row: int, data: str) -> "ProductState":
        values, ok, handled, sellable = json.loads(data)
        return cls(first_row, values, ok, handled, sellable, dirty=False, stored=True)


class ChunkSeen:
    """The part of the table one chunk needs, plus what the chunk adds to it."""

    def __init__(self, rows: dict[str, int], products: dict[str, ProductState]):
        self.rows = rows  # key → first row number
        self.products = products  # product_code → state
        self.fresh: list[tuple[str, int]] = []

    def first(self, key: str, number: int) -> int:
        """The first row that carried `key` (this row's number when it is the first)."""
        first = self.rows.setdefault(key, number)
        if first == number:
            self.fresh.append((key, number))
        return first

    def add_product(self, code: str, state: ProductState) -> None:
        self.products[code] = state


# Keys and rows travel as one JSON text parameter: quoting thousands of separate values in
# Python (psycopg binds on the client side) cost more than the queries themselves.
SELECT = {
    "postgresql": "SELECT key, first_row, data FROM mercato_import_seen "
    "WHERE key IN (SELECT json_array_elements_text(%s::json))",
    "sqlite": "SELECT key, first_row, data FROM mercato_import_seen "
    "WHERE key IN (SELECT value FROM json_each(%s))",
}
INSERT = {
    "postgresql": "INSERT INTO mercato_import_seen (key, first_row, data) "
    "SELECT e->>0, (e->>1)::integer, e->>2 FROM json_array_elements(%s::json) AS e "
    "ON CONFLICT (key) DO UPDATE SET data = excluded.data",
    # "WHERE true": SQLite's parser needs it before ON CONFLICT after a SELECT.
    "sqlite": "INSERT INTO mercato_import_seen (key, first_row, data) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]') FROM json_each(%s) WHERE true "
    "ON CONFLICT (key) DO UPDATE SET data = excluded.data",
}


# Byte order for the key (SQLite's default): its index is only ever searched by equality,
# and the database's locale collation made every insert into it compare through strcoll.
CREATE = {
    "postgresql": "CREATE TEMPORARY TABLE mercato_import_seen "
    '(key TEXT COLLATE "C" PRIMARY KEY, first_row INTEGER NOT NULL, data TEXT)',
    "sqlite": "CREATE TEMPORARY TABLE mercato_import_seen "
    "(key TEXT PRIMARY KEY, first_row INTEGER NOT NULL, data TEXT)",
}
COPY = "COPY mercato_import_seen (key, first_row, data) FROM STDIN"


class SeenInFile:
    """The table: temporary, so private to this database session and gone with it."""

    def __init__(self):
        self.vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"

    def create(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(CREATE[self.vendor])

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS mercato_import_seen")

    def load(self, *, keys: set[str], product_codes: set[str]) -> ChunkSeen:
        """One SELECT: the first rows of `keys` and the states of `product_codes`."""
        wanted = list(keys) + [product_key(c) for c in product_codes]
        with connection.cursor() as cursor:
            cursor.execute(SELECT[self.vendor], [json.dumps(wanted, ensure_ascii=False)])
            found = cursor.fetchall()
        rows, products = {}, {}
        for key, first_row, data in found:
            if data is None:
                rows[key] = first_row
            else:
                products[key[2:]] = ProductState.load(first_row, data)
        return ChunkSeen(rows, products)

    def save(self, chunk: ChunkSeen) -> None:
        """The chunk's new keys, and its new or changed product states.

        On PostgreSQL the new entries (none is in the table: `fresh` keys were not found by
        load) go by COPY, which takes the rows as they are; building and parsing one JSON
        text of them took most of this step's time. Changed states of earlier products
        (rare: a product's rows are mostly in one chunk) are upserted."""
        entries = [(key, number, None) for key, number in chunk.fresh]
        changed = []
        for code, state in chunk.products.items():
            if state.dirty:
                entry = (product_key(code), state.first_row, state.data())
                (changed if state.stored else entries).append(entry)
        if self.vendor == "postgresql":
            if entries:
                with connection.cursor() as cursor, cursor.cursor.copy(COPY) as copy:
                    for entry in entries:
                        copy.write_row(entry)
            entries = changed
        else:
            entries += changed
        if not entries:
            return
        with connection.cursor() as cursor:
            cursor.execute(INSERT[self.vendor], [json.dumps(entries, ensure_ascii=False)])


@contextmanager
def seen_in_file():
    """A SeenInFile for one import, dropped afterwards (unless the transaction is broken:
    then it goes with the rollback or, at the latest, with the database session)."""
    seen = SeenInFile()
    seen.create()
    try:
        yield seen
    finally:
        if not connection.needs_rollback:
            seen.drop()
