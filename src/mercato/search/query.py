"""A customer's query as the backends see it, and its text-search expressions.

A query is a list of groups that must all match; each group is a set of alternatives (the
word, its synonyms, the terms its pinyin or initials stand for, a correction), each a run
of tokens that must all be present. An alternative has a weight (how likely the shopper
meant it) and may be allowed into the fallback field. Boosts are groups that add to the
score without being required (the 电 of 电冰箱, whose 冰箱 is what must match).

华为 移动电话 → [华为] AND [手机 | 移动电话]

Scoring, the same on every database: a group scores the weight of its best alternative
times the weight of the narrowest field set holding all its tokens (name and brand 1;
adding the own category 0.75; adding details 0.3; the fallback field 0.1), times the
group's weight (rarer words weigh more). A product's score is the sum over groups.
"""

from dataclasses import dataclass, field, replace

# Field sets, narrowest first, and what a match in them is worth.
CUTS = (("A", 1.0), ("AB", 0.75), ("ABC", 0.3))
FALLBACK_CUT = ("ABCD", 0.1)
BOOST = 0.2  # a boost group weighs this much of a required one


@dataclass(frozen=True)
class Alternative:
    tokens: tuple[str, ...]
    weight: float = 1.0
    anywhere: bool = False  # may match the fallback field (characters, parent categories)

    def cuts(self):
        return (*CUTS, FALLBACK_CUT) if self.anywhere else CUTS


@dataclass
class Group:
    alternatives: list[Alternative]
    weight: float = 1.0  # how much matching this group says (rarer words more)
    text: str = ""  # the query's words it stands for, for notices
    entity: bool = False  # a brand or a category: kept first when loosening
    category: bool = False  # a category: what the shopper wants, kept before a brand


@dataclass
class ParsedQuery:
    text: str
    groups: list[Group] = field(default_factory=list)
    boosts: list[Group] = field(default_factory=list)
    # Corrections applied, for "showing results for …": {"冲峰衣": "冲锋衣"}
    corrections: dict[str, str] = field(default_factory=dict)
    # Loosened: only these groups must match; the others score (None: all must match)
    required: tuple[int, ...] | None = None
    ignored: list[str] = field(default_factory=list)  # words no product holds, left out
    completions: list[str] = field(default_factory=list)  # terms the last word may finish as

    @property
    def is_empty(self) -> bool:
        return not any(alt.tokens for group in self.groups for alt in group.alternatives)

    def key_group(self) -> int | None:
        """The group to keep when not every word can match: the most telling category
        (what the shopper wants: 戴尔 充电器 with no Dell charger lists chargers), else
        the most telling brand, else the most telling word."""
        if not self.groups:
            return None
        order = sorted(
            range(len(self.groups)),
            key=lambda i: (
                not self.groups[i].category,
                not self.groups[i].entity,
                -self.groups[i].weight,
                i,
            ),
        )
        return order[0]

    def loosened(self) -> "ParsedQuery | None":
        """The query with only its key group required, the others adding to the score;
        None when there is nothing to loosen."""
        key = self.key_group()
        if key is None or len(self.groups) < 2:
            return None
        return replace(self, required=(key,))

    @property
    def required_groups(self) -> list[Group]:
        if self.required is None:
            return self.groups
        return [self.groups[i] for i in self.required]

    @property
    def scored_groups(self) -> list[Group]:
        return self.groups + self.boosts


class Dialect:
    """How one text-search engine writes a match on tokens within a field set."""

    def tokens_in(self, tokens: tuple[str, ...], cut: str) -> str:
        raise NotImplementedError

    def any_of(self, parts: list[str]) -> str:
        raise NotImplementedError

    def all_of(self, parts: list[str]) -> str:
        raise NotImplementedError

    def group_match(self, group: Group) -> str:
        return self.any_of(
            [
                self.tokens_in(alt.tokens, "ABCD" if alt.anywhere else "ABC")
                for alt in group.alternatives
                if alt.tokens
            ]
        )

    def match(self, query: ParsedQuery) -> str:
        """The expression products must satisfy: every required group."""
        parts = [self.group_match(g) for g in query.required_groups if g.alternatives]
        return self.all_of([p for p in parts if p]) if parts else ""

    def score_clauses(self, query: ParsedQuery) -> list[list[tuple[str, float]]]:
        """Per scored group, (expression, value) best first: the CASE arms of its score."""
        out = []
        for index, group in enumerate(query.scored_groups):
            scale = group.weight * (BOOST if index >= len(query.groups) else 1.0)
            arms = {}
            for alt in group.alternatives:
                if not alt.tokens:
                    continue
                for cut, worth in alt.cuts():
                    expression = self.tokens_in(alt.tokens, cut)
                    value = round(scale * alt.weight * worth, 4)
                    if value > arms.get(expression, 0):
                        arms[expression] = value
            if arms:
                out.append(sorted(arms.items(), key=lambda kv: -kv[1]))
        return out


class TsQueryDialect(Dialect):
    """PostgreSQL: a tsquery literal; weights A-D are the fields. Tokens hold no quotes."""

    def tokens_in(self, tokens, cut):
        label = "" if cut == "ABCD" else f":{cut}"
        return "(" + " & ".join(f"'{t}'{label}" for t in tokens) + ")"

    def any_of(self, parts):
        return "(" + " | ".join(parts) + ")"

    def all_of(self, parts):
        return " & ".join(parts)


class Fts5Dialect(Dialect):
    """SQLite FTS5: column filters on the columns a, b, c, d."""

    def tokens_in(self, tokens, cut):
        inner = " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens)
        if cut == "ABCD":
            return f"({inner})"
        return "({" + " ".join(cut.lower()) + "} : (" + inner + "))"

    def any_of(self, parts):
        return "(" + " OR ".join(parts) + ")"

    def all_of(self, parts):
        return " AND ".join(parts)
