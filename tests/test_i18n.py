"""Ukrainian by default, English and Russian on request, and no text left untranslated."""
import re
from html import unescape as html_unescape
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from portal.core.web import language_switch

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("portal/**.py", "python"), ("rules/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def source_messages():
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", ["uk", "ru"])
def test_every_text_is_translated(locale):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=locale)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and m.string and (all(m.string) if isinstance(m.string, tuple) else True)
                  and not m.fuzzy}
    missing = sorted(source_messages() - translated)
    assert not missing, f"untranslated in {locale} (run `make translations`, then translate): {missing}"


def test_ukrainian_by_default(client):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="uk">' in html and "Вхід до кабінету" in html


@pytest.mark.parametrize("header,text", [("ru-RU,ru;q=0.9", "Вход в кабинет"),
                                         ("en-GB,en;q=0.8", "Sign in to your cabinet"),
                                         ("de-DE", "Вхід до кабінету")])
def test_accept_language(client, header, text):
    assert text in client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)


def test_footer_switch_is_remembered(client):
    response = client.post("/language", data={"lang": "ru", "next": "/login"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "Вход в кабинет" in client.get("/login").get_data(as_text=True)
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_errors_come_in_the_users_language(client, subscriber):
    response = client.post("/login", data={"login": "0501234567", "password": "x"},
                           headers={"Accept-Language": "uk"})
    assert "належить іншому оператору" in response.get_data(as_text=True)


def test_the_catalog_follows_the_request_and_force_locale(app):
    """The catalogs are kept per locale (portal.i18n.QuickDomain): each request still gets
    its own language, and an SMS written in another language (force_locale) gets that."""
    from flask_babel import force_locale, gettext
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert gettext("Spending") == "Spending"
        with force_locale("ru"):
            assert gettext("Spending") == "Расходы"
        assert gettext("Spending") == "Spending"
    with app.test_request_context("/", headers={"Accept-Language": "uk"}):
        assert gettext("Spending") == "Витрати"
        with force_locale("en"):
            assert gettext("Spending") == "Spending"


def test_the_language_switches_post_back_to_the_page(client, signed_in):
    """Both switches of a page (menu and footer) carry the session's CSRF token, the page's
    address (escaped) and the reader's language marked; one of them, posted as the browser
    sends it, switches the language and comes back to that page."""
    page = client.get("/expenses?month=2026-11&x=<b>", headers={"Accept-Language": "ru"})
    html = page.get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="/language" class="languages">(.*?)</form>',
                       html, re.S)
    assert len(forms) == 2
    for form, label in zip(forms, ("menu-language-label", "language-label"), strict=True):
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
        assert fields["next"] == "/expenses?month=2026-11&amp;x=&lt;b&gt;"
        assert f'<span id="{label}">Язык:</span>' in form
        assert form.count(f'aria-describedby="{label}"') == 3
        assert re.findall(r'value="(\w+)" lang="\w+" aria-describedby="[\w-]+"( aria-current)?',
                          form) == [("uk", ""), ("en", ""), ("ru", " aria-current")]
    response = client.post("/language", csrf=False, data={
        "csrf_token": fields["csrf_token"], "next": html_unescape(fields["next"]), "lang": "uk"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/expenses?month=2026-11&x=%3Cb%3E"
    assert '<html lang="uk">' in client.get("/expenses").get_data(as_text=True)
    refused = client.post("/language", csrf=False, data={"csrf_token": "forged", "lang": "en"})
    assert refused.status_code == 400


@pytest.mark.parametrize("script_root", ["/cabinet", "/p{x}", "/p{}"])
def test_a_language_switch_under_any_script_root(app, script_root):
    """The switch's form is kept per script root and is filled in with str.format: braces
    in the root are part of its address, not places to fill."""
    with app.test_request_context("/expenses?month=2026-11",
                                  base_url=f"http://localhost{script_root}"):
        form = str(language_switch("lab"))
    assert f'action="{script_root}/language"' in form
    assert '<input type="hidden" name="next" value="/expenses?month=2026-11">' in form
