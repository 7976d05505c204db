"""A customer's query as the backends see it: groups that must all match, each a set of
alternatives (the word, its synonyms, its spelling corrections), each alternative a run of
tokens that must all be present.

华为 移动电话 → [[华为]] AND [[移动电话] OR [手机]]
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Alternative:
    tokens: tuple[str, ...]
    prefix: bool = False  # the last token also matches longer words (search as you type)


@dataclass
class ParsedQuery:
    text: str
    groups: list[list[Alternative]] = field(default_factory=list)
    # Spelling corrections applied, for "showing results for …": {"iphnoe": "iphone"}
    corrections: dict[str, str] = field(default_factory=dict)
    match_any: bool = False  # groups joined by OR: the fallback when AND finds nothing

    @property
    def is_empty(self) -> bool:
        return not any(alt.tokens for group in self.groups for alt in group)

    def loosened(self) -> "ParsedQuery":
        return ParsedQuery(self.text, self.groups, self.corrections, match_any=True)


def _quote_fts(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def to_fts5(query: ParsedQuery) -> str:
    """华为 (手机 | 移动电话) → ("华为") AND (("手机") OR ("移动电话"))."""
    groups = []
    for group in query.groups:
        alts = []
        for alt in group:
            parts = [_quote_fts(t) for t in alt.tokens]
            if alt.prefix and parts:
                parts[-1] += "*"
            alts.append("(" + " AND ".join(parts) + ")")
        if alts:
            groups.append("(" + " OR ".join(alts) + ")")
    return (" OR " if query.match_any else " AND ").join(groups)


def _quote_ts(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "") + "'"


def to_tsquery(query: ParsedQuery) -> str:
    """The same as to_fts5, in PostgreSQL's to_tsquery syntax: 'a' & ('b' | 'c':*)."""
    groups = []
    for group in query.groups:
        alts = []
        for alt in group:
            parts = [_quote_ts(t) for t in alt.tokens]
            if alt.prefix and parts:
                parts[-1] += ":*"
            alts.append("(" + " & ".join(parts) + ")")
        if alts:
            groups.append("(" + " | ".join(alts) + ")")
    return (" | " if query.match_any else " & ").join(groups)
