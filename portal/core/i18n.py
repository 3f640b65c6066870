"""Languages: Ukrainian by default, English and Russian; chosen from a cookie the footer
switch sets, else from Accept-Language."""
from contextlib import contextmanager
from pathlib import Path

from babel import Locale
from flask import g, has_app_context, has_request_context, request
from flask_babel import Domain, force_locale, get_locale

CATALOG_DIR = Path(__file__).resolve().parents[2] / "translations"
LOCALES = ("uk", "en", "ru")
LANGUAGE_COOKIE = "lang"


TRANSLATIONS = "translations"  # `g`'s key for the catalog of the language in force
LANGUAGE = "language"  # `g`'s key for the language in force, as text


class QuickDomain(Domain):
    """Flask-Babel's message domain, finding the catalog by the locale itself and keeping
    it in `g` for the request: Flask-Babel turns the locale into text again for every
    string, and even asking for the locale costs more than the lookup (a page has some 50
    strings). The language changes within a request only through `in_language` below,
    which puts the catalog of that language in force and back. Every request takes this
    domain as its own (`as_default`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_locale = {}

    def get_translations(self):
        if not has_app_context():
            return super().get_translations()
        store = g._get_current_object()  # see current_locale
        found = store.get(TRANSLATIONS)
        if found is None:
            locale = get_locale()
            if locale is None:
                return super().get_translations()
            found = self.by_locale.get(locale)
            if found is None:
                found = self.by_locale[locale] = super().get_translations()
            store.setdefault(TRANSLATIONS, found)
        return found


def forget_language():
    """Each request finds its language anew (`g` outlives a request in a CLI command or a
    test that holds an app context)."""
    g.pop(TRANSLATIONS, None)
    g.pop(LANGUAGE, None)


@contextmanager
def in_language(language):
    """Texts made inside are in `language` (Flask-Babel's force_locale, with this domain's
    catalog of the request put aside and back). The one way to change the language within
    a request."""
    outer = g.pop(TRANSLATIONS, None), g.pop(LANGUAGE, None)
    try:
        with force_locale(language):
            yield
    finally:
        for key, value in zip((TRANSLATIONS, LANGUAGE), outer, strict=True):
            g.pop(key, None)
            if value is not None:
                g.setdefault(key, value)


def current_locale():
    """The language in force, as text ('uk'): kept in `g` for the request like its catalog
    (money printing asks it for every amount, and Flask-Babel's get_locale costs more than
    the printing)."""
    if not has_app_context():
        return str(get_locale())
    # `g` itself, not Flask's proxy of it: every attribute asked of a proxy (`request`,
    # `g`, `current_app`) first fails on the proxy, then werkzeug asks the object behind
    # it, 1 µs against 0.03. A signed-in page asked the proxies some 180 times, this
    # function twenty of them; code on every request's path asks each proxy once.
    store = g._get_current_object()
    found = store.get(LANGUAGE)
    if found is None:
        found = str(get_locale())
        store.setdefault(LANGUAGE, found)
    return found


def translations_of(language):
    """The catalog of `language` (inside an app context), as the request would find it."""
    with in_language(language):
        return _domain.get_translations()


_domain = None  # the app's QuickDomain (the catalogs are the process's: one is enough)


def init_app(app, babel):
    global _domain
    babel.init_app(app, locale_selector=select_locale)
    domain = _domain = QuickDomain()  # Flask-Babel's default domain: messages
    # Flask-Babel's public way to choose a request's domain (`Domain.as_default`).
    app.before_request(forget_language)
    app.before_request(domain.as_default)
    # Templates ask the domain straight away (Flask-Babel's callables look it up again
    # through the request context for each string).
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: domain.get_translations().ugettext(string),
        ngettext=lambda singular, plural, n: domain.get_translations().ungettext(
            singular, plural, n),
        pgettext=lambda context, string: domain.get_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: domain.get_translations().unpgettext(
            context, singular, plural, n),
        newstyle=True)


# Parsed once: Flask-Babel would parse the selector's text again for every request.
_LOCALE_OF = {code: Locale.parse(code) for code in LOCALES}


def select_locale():
    if not has_request_context():  # a command: the operator's language
        return _LOCALE_OF["uk"]
    asked = request._get_current_object()  # asked once (see current_locale)
    cookies = asked.cookies
    # `in` first: werkzeug's get() answers a missing cookie by building and catching a
    # BadRequestKeyError, and most requests have no language cookie.
    chosen = cookies[LANGUAGE_COOKIE] if LANGUAGE_COOKIE in cookies else None
    if chosen in LOCALES:
        return _LOCALE_OF[chosen]
    return _LOCALE_OF[asked.accept_languages.best_match(LOCALES, default="uk")]


def check_catalogs(directory=CATALOG_DIR):
    """The compiled catalogs are there and no older than their sources. `make` compiles
    them (a build step: the service needs no write access to its own code)."""
    stale = [str(po.relative_to(directory.parent)) for po in directory.glob("*/LC_MESSAGES/*.po")
             if not po.with_suffix(".mo").exists()
             or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    if stale:
        raise RuntimeError("translations not compiled, run `make catalogs`: " + ", ".join(stale))
