"""Query strings as urllib.parse.urlencode writes them, each key and value quoted once per
process.

A search page writes a few hundred facet, sort and page links out of the same few hundred
slugs, spec values and queries; quoting them again for every link was about a tenth of an
uncached search's CPU time (docs/performance.md, "Uncached search: a third pass").
"""

from functools import lru_cache
from urllib.parse import quote_plus

# quote_plus is a pure function of its text; the bound keeps a process's memory flat
# whatever queries it is sent.
_quoted = lru_cache(maxsize=16_384)(quote_plus)


def urlencode(pairs) -> str:
    """`urllib.parse.urlencode(pairs)` for a list of (key, value) pairs: the same text
    (values that are not text, such as page numbers, written with str() as it does)."""
    return "&".join(
        f"{_quoted(k if type(k) is str else str(k))}={_quoted(v if type(v) is str else str(v))}"
        for k, v in pairs
    )
