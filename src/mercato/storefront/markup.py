"""What the shop's HTML written in Python (product_html, cards, search_listing) shares with
the template language it stands in for: a value as `{{ value }}` writes it, a fixed word as
`{% translate %}` does, and `{% url %}` / `{% static %}`, each worked out once per
language or URL prefix and process where it can be.
"""

import html

from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.translation import get_language, gettext, pgettext

# Values that are not strings (prices, sizes), localized and escaped once per language and
# process: Django's localize() of a Decimal is 10-20 µs (its formats and number_format), and
# an uncached product page writes about ten (its price and its related cards'). Keyed by the
# value's text, so that 1.0 and 1.00 stay apart.
_LOCALIZED_MAX = 20_000
_localized: dict[tuple, str] = {}


def e(value) -> str:
    """A value as `{{ value }}` writes it: localized, then escaped (what conditional_escape
    gives, without its lazy-string wrapper: about a hundred values a product page)."""
    if type(value) is str:  # most values: plain text (SafeString is a subclass)
        return html.escape(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    key = (type(value), str(value), get_language())
    text = _localized.get(key)
    if text is None:
        if len(_localized) >= _LOCALIZED_MAX:
            _localized.clear()
        text = _localized[key] = html.escape(str(localize(value)))
    return text


# The pages' fixed words, translated and escaped once per language and process: gettext
# looks the language up in a context-local each time (25 of them a product page).
_words: dict[str, dict[tuple[str, str], str]] = {}


def _words_of(language: str) -> dict[tuple[str, str], str]:
    found = _words.get(language)
    if found is None:
        found = _words[language] = {}
    return found


def _word_in(found: dict, message: str, context: str) -> str:
    text = found.get((message, context))
    if text is None:
        translated = pgettext(context, message) if context else gettext(message)
        text = found[(message, context)] = conditional_escape(translated)
    return text


def word(message: str, context: str = "") -> str:
    """`{% translate message %}` (`context`: `{% translate message context context %}`)."""
    return _word_in(_words_of(get_language()), message, context)


def words():
    """word() for the current language, the language looked up once: a function message,
    context="" → the translated, escaped text (a product page's body writes some 27)."""
    found = _words_of(get_language())
    return lambda message, context="": _word_in(found, message, context)


# Per script prefix: the URL of a route without arguments (or a static file's), escaped,
# and a route taking a slug as the text before and after it.
_urls: dict[str, dict[str, str]] = {}
_patterns: dict[tuple[str, str], tuple[str, str]] = {}
_SLUG = "--slug--"


def url(name: str) -> str:
    """`{% url name %}` of a route without arguments (or `{% static name %}` for a name with
    a dot), escaped, found once per script prefix and process."""
    found = _urls.setdefault(get_script_prefix(), {})
    made = found.get(name)
    if made is None:
        made = found[name] = conditional_escape(static(name) if "." in name else reverse(name))
    return made


def slug_url_maker(name: str):
    """A function slug → the URL of route `name` (one taking a slug) for the current prefix.
    A slug never needs quoting (the routes' converter is <slug:slug>), so the URL is the
    reversed pattern with the slug put in: reverse() once per route, script prefix and
    process instead of once per card or crumb."""
    key = (name, get_script_prefix())
    found = _patterns.get(key)
    if found is None:
        before, after = reverse(name, args=[_SLUG]).split(_SLUG)
        found = _patterns[key] = (before, after)
    before, after = found
    return lambda slug: f"{before}{slug}{after}"


def product_url_maker():
    """A function slug → the product page's URL."""
    return slug_url_maker("storefront:product")


# Other modules' memos of HTML written with these (storefront.cards' kept cards): cleared
# with this module's.
_also_forget: list = []


def forget_with(clear) -> None:
    """Call `clear()` whenever this module's memos are forgotten."""
    _also_forget.append(clear)


def _forget(**kwargs) -> None:
    _words.clear()  # a test changed the languages, the formats or the URLs
    _localized.clear()
    _urls.clear()
    _patterns.clear()
    for clear in _also_forget:
        clear()


setting_changed.connect(_forget, dispatch_uid="storefront-markup")
