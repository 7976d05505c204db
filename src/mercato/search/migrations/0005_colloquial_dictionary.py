"""The colloquial and synonym dictionary a shop starts with (search/data/colloquial.txt),
merged into the synonym groups: a default group of 0003 that a line contains grows into
that line's group; a line whose searched words another group already has is left out.
Operations edit the groups in the back office afterwards."""

import re
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "colloquial.txt"
_ONE_WAY = re.compile(r"=>|→|->")
_SEPARATORS = re.compile(r"[=,，、;；]+")


def _parse(line: str) -> tuple[list[str], bool]:
    one_way = bool(_ONE_WAY.search(line))
    parts = _ONE_WAY.split(line, maxsplit=1) if one_way else [line]
    terms = []
    for part in parts:
        for term in _SEPARATORS.split(part):
            term = " ".join(term.lower().split())
            if term and term not in terms:
                terms.append(term)
    return terms, one_way


def _keys(terms, one_way):
    return terms[:1] if one_way else terms


def load(apps, schema_editor):
    SynonymGroup = apps.get_model("search", "SynonymGroup")
    groups = list(SynonymGroup.objects.all())
    for raw in DATA.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        terms, one_way = _parse(line)
        if len(terms) < 2:
            continue
        keys = set(_keys(terms, one_way))
        holders = [g for g in groups if keys & set(_keys(g.terms, g.one_way))]
        if not holders:
            groups.append(
                SynonymGroup.objects.create(terms=terms, one_way=one_way, note="dictionary")
            )
        elif (
            len(holders) == 1
            and holders[0].note == "default"
            and set(holders[0].terms) <= set(terms)
            and not one_way
        ):
            holders[0].terms = terms
            holders[0].save(update_fields=["terms"])


def unload(apps, schema_editor):
    apps.get_model("search", "SynonymGroup").objects.filter(note="dictionary").delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0004_weighed_fields_and_vocabulary")]

    operations = [migrations.RunPython(load, unload)]
