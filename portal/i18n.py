"""Languages: Ukrainian by default, English and Russian; chosen from a cookie the footer
switch sets, else from Accept-Language."""
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request
from flask_babel import Domain, get_locale

CATALOG_DIR = Path(__file__).resolve().parent.parent / "translations"
LOCALES = ("uk", "en", "ru")
LANGUAGE_COOKIE = "lang"


class QuickDomain(Domain):
    """Flask-Babel's message domain, finding the catalog by the locale itself: Flask-Babel
    turns the locale into text again for every string (11 µs a string, a fifth of a
    report page's time). get_locale() is still asked each time, so force_locale holds."""

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
    domain = babel.domain_instance = QuickDomain(domain=app.extensions["babel"].default_domain)
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
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES, default="uk")


def compile_catalogs(directory=CATALOG_DIR):
    """Compile each .po into the .mo gettext reads, when the .po is newer (the .mo files
    are build output, not kept in git)."""
    for po_path in directory.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        locale = po_path.parent.parent.name
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        tmp_path = mo_path.with_suffix(".mo.tmp")
        with tmp_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        tmp_path.replace(mo_path)  # atomic: a worker never reads half a catalog
