"""Languages: Ukrainian by default, English and Russian; chosen from a cookie the footer
switch sets, else from Accept-Language."""
from pathlib import Path

from flask import has_request_context, request
from flask_babel import Domain, get_locale

CATALOG_DIR = Path(__file__).resolve().parents[2] / "translations"
LOCALES = ("uk", "en", "ru")
LANGUAGE_COOKIE = "lang"


class QuickDomain(Domain):
    """Flask-Babel's message domain, finding the catalog by the locale itself: Flask-Babel
    turns the locale into text again for every string (11 µs a string, a fifth of a
    report page's time). get_locale() is still asked each time, so force_locale holds.
    Every request takes it as its domain (`as_default`); outside a request Flask-Babel's
    own default domain answers, as fast as it is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_locale = {}

    def get_translations(self):
        locale = get_locale()
        if locale is None:  # outside a request or app context
            return super().get_translations()
        found = self.by_locale.get(locale)
        if found is None:
            found = self.by_locale[locale] = super().get_translations()
        return found


def init_app(app, babel):
    babel.init_app(app, locale_selector=select_locale)
    domain = QuickDomain()  # Flask-Babel's default domain: messages
    # Flask-Babel's public way to choose a request's domain (`Domain.as_default`).
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


def select_locale():
    if not has_request_context():  # a command: the operator's language
        return "uk"
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES, default="uk")


def check_catalogs(directory=CATALOG_DIR):
    """The compiled catalogs are there and no older than their sources. `make` compiles
    them (a build step: the service needs no write access to its own code)."""
    stale = [str(po.relative_to(directory.parent)) for po in directory.glob("*/LC_MESSAGES/*.po")
             if not po.with_suffix(".mo").exists()
             or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    if stale:
        raise RuntimeError("translations not compiled, run `make catalogs`: " + ", ".join(stale))
