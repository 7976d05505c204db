"""Every Simplified Chinese translation an app's catalog holds is the one Django serves,
and every message Mercato shows has one.

Django merges every app's catalog into one: for a message (and its context) found in two
catalogs, the app listed first in INSTALLED_APPS wins, and Django's own apps (admin, auth)
come first. A short English message used in two meanings ("name" of a product and of a
person, "to" of a price range and of a status change, "Log out") then shows the other
app's words on a page. Give such a message a context (pgettext) and it stops colliding.

A message without a translation shows in English on a Chinese page, and so does a "fuzzy"
one (msgmerge's guess, which gettext never serves). The catalogs are checked as committed,
as the source would extract them now (a string added without `make messages`), and as
compiled (a .po translated but not compiled to its .mo).
"""

import contextlib
import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import translation

import mercato

PROJECT = Path(mercato.__file__).resolve().parent


def project_catalogs() -> dict[str, dict]:
    """{app label: {msgid or "context\\x04msgid": msgstr}} from each app's compiled catalog."""
    catalogs = {}
    for config in apps.get_app_configs():
        mo = Path(config.path) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
        if mo.exists() and PROJECT in mo.parents:
            with mo.open("rb") as f:
                catalogs[config.label] = gettext.GNUTranslations(f)._catalog
    return catalogs


def served(key: str) -> str:
    if "\x04" in key:
        context, message = key.split("\x04", 1)
        return translation.pgettext(context, message)
    return translation.gettext(key)


def test_every_translation_in_an_apps_catalog_is_the_one_served():
    """No app's translation is shadowed by another app's (or Django's) for the same
    English message: the pages show the words each app's translator chose."""
    shadowed = []
    with translation.override("zh-hans"):
        for app, catalog in project_catalogs().items():
            for key, msgstr in catalog.items():
                if not isinstance(key, str) or not key:  # plural forms, the header
                    continue
                if served(key) != msgstr:
                    shadowed.append(f"{app}: {key!r} is {served(key)!r}, not {msgstr!r}")
    assert not shadowed, "\n".join(sorted(shadowed))


# Every message translated ------------------------------------------------------------
needs_gettext = pytest.mark.skipif(
    not shutil.which("msgattrib") or not shutil.which("xgettext"),
    reason="needs GNU gettext (apt-get install gettext; CI has it)",
)


def source_catalogs(root: Path = PROJECT) -> list[Path]:
    """Every zh_Hans .po under root: each app's own and the project's (LOCALE_PATHS)."""
    return sorted(root.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def unfinished(po: Path) -> list[str]:
    """The messages of a catalog that show in English: untranslated or fuzzy ones."""
    found = []
    for option, what in (("--untranslated", "untranslated"), ("--only-fuzzy", "fuzzy")):
        out = subprocess.run(
            ["msgattrib", option, "--no-wrap", "--no-location", "--no-obsolete", str(po)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        for block in out.split("\n\n"):
            if msgid := _msgid(block):  # the header's is empty
                found.append(f"{what}: {msgid!r}")
    return found


def _msgid(block: str) -> str:
    """The English of one catalog entry as msgattrib prints it (one quoted piece per line,
    the first after `msgid `)."""
    pieces, inside = [], False
    for line in block.splitlines():
        if line.startswith("msgid "):
            inside, line = True, line.removeprefix("msgid ")
        elif not line.startswith('"'):
            inside = False
        if inside:
            pieces.append(line[1:-1])
    return "".join(pieces)


def test_the_project_has_catalogs():
    """The check below is not vacuous: the apps with pages have their catalogs."""
    apps_with_catalogs = {p.parents[3].name for p in source_catalogs()}
    assert {"backoffice", "storefront", "orders", "fulfillment", "aftersales"} <= (
        apps_with_catalogs
    )


@needs_gettext
def test_every_message_in_the_catalogs_is_translated():
    """No zh_Hans catalog of Mercato holds an untranslated or fuzzy message: each
    would show in English to Chinese staff and shoppers."""
    problems = [
        f"{po.relative_to(PROJECT)}: {entry}"
        for po in source_catalogs()
        for entry in unfinished(po)
    ]
    assert not problems, "Translate these (and drop the fuzzy flags):\n" + "\n".join(problems)


@needs_gettext
def test_every_message_in_the_source_is_in_a_catalog(tmp_path, settings):
    """The source as it is now, extracted with `make messages`, adds no message without a
    translation: a string added to a template or model reaches a catalog translated.
    (Extracted from a copy of the source, so the committed catalogs stay untouched.)"""
    copy = tmp_path / "mercato"
    shutil.copytree(
        PROJECT, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static", "media")
    )
    settings.LOCALE_PATHS = [copy / "locale"]
    with contextlib.chdir(copy):
        call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    problems = [
        f"{po.relative_to(copy)}: {entry}"
        for po in source_catalogs(copy)
        for entry in unfinished(po)
    ]
    assert not problems, (
        "Run `make messages`, then translate these (msgmerge's fuzzy guesses are usually "
        "wrong: replace them and drop the flag):\n" + "\n".join(problems)
    )


def _catalog(mo: Path) -> dict:
    if not mo.exists():
        return {}
    with mo.open("rb") as f:
        return gettext.GNUTranslations(f)._catalog


@needs_gettext
def test_every_catalog_is_compiled(tmp_path):
    """Each .mo serves what its .po says: a translation made but not compiled (run
    `mercato compilemessages`) would not reach the pages."""
    stale = []
    for n, po in enumerate(source_catalogs()):
        fresh = tmp_path / f"{n}.mo"
        subprocess.run(["msgfmt", "-o", str(fresh), str(po)], check=True)
        mo = po.with_suffix(".mo")
        if _catalog(mo) != _catalog(fresh):
            stale.append(str(mo.relative_to(PROJECT)))
    assert not stale, "Run `mercato compilemessages`; stale: " + ", ".join(stale)
