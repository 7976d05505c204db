"""Every Simplified Chinese translation an app's catalog holds is the one Django serves.

Django merges every app's catalog into one: for a message (and its context) found in two
catalogs, the app listed first in INSTALLED_APPS wins, and Django's own apps (admin, auth)
come first. A short English message used in two meanings ("name" of a product and of a
person, "to" of a price range and of a status change, "Log out") then shows the other
app's words on a page. Give such a message a context (pgettext) and it stops colliding.
"""

import gettext
from pathlib import Path

from django.apps import apps
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
