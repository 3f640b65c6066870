"""Issue 23 item 6: /terms and /privacy from the operator's Markdown files, per language;
linked from the footer and the sign-in page; the first sign-in accepts the terms and the
day is kept."""

import pytest

import models
from portal.legal import service as legal_service
from tests.helpers import START, field_error, kyiv, page, sms_to

NEWCOMER = "+380391234567"


@pytest.mark.parametrize("path,language,title", [
    ("/terms", "uk", "Умови використання"), ("/terms", "en", "Terms of use"),
    ("/terms", "ru", "Условия использования"),
    ("/privacy", "uk", "Повідомлення про конфіденційність"), ("/privacy", "en", "Privacy notice"),
    ("/privacy", "ru", "Уведомление о конфиденциальности"),
])
def test_each_document_in_the_readers_language(client, path, language, title):
    response = client.get(path, headers={"Accept-Language": language})
    assert response.status_code == 200
    html = page(response)
    assert f"<h1>{title}</h1>" in html and html.count("<h1") == 1
    assert f"catalogue/{path[1:]}.{language}.md" in html  # the file the operator edits
    assert '<article class="card legal">' in html and "<h2>" in html


def test_the_footer_and_the_sign_in_page_link_them(client, signed_in):
    html = page(client.get("/"))
    footer = html.split("<footer>")[1]
    assert '<a href="/terms">' in footer and '<a href="/privacy">' in footer
    client.post("/logout")
    sign_in = page(client.get("/login")).split("<footer>")[0]
    assert '<a href="/terms">terms of use</a>' in sign_in
    assert '<a href="/privacy">privacy notice</a>' in sign_in


def test_the_operators_markdown_is_text_never_markup(tmp_path):
    (tmp_path / "terms.uk.md").write_text(
        "# Умови\n\n<script>alert(1)</script>\n\n[link](javascript:alert(1)) **bold**\n",
        encoding="utf-8")
    document = legal_service.document("terms", "en", tmp_path)  # no English file: Ukrainian
    assert document.title == "Умови"
    assert "<script>" not in document.html and "&lt;script&gt;" in document.html
    assert 'href="javascript' not in document.html and "<strong>bold</strong>" in document.html


def test_an_edited_file_shows_without_a_restart(tmp_path):
    path = tmp_path / "privacy.uk.md"
    path.write_text("# Перша\n\nтекст\n", encoding="utf-8")
    assert legal_service.document("privacy", "uk", tmp_path).title == "Перша"
    path.write_text("# Друга редакція\n\nтекст\n", encoding="utf-8")
    import os
    os.utime(path, ns=(1, 2))  # a different modification time, however fast the edit
    assert legal_service.document("privacy", "uk", tmp_path).title == "Друга редакція"


@pytest.fixture
def newcomer(factory):
    return factory.subscriber(number=NEWCOMER, password=None)


def temporary_password(app, client):
    assert client.post("/register", data={"login": "0391234567"}).status_code == 200
    return sms_to(app, NEWCOMER)[0].split(": ")[1].split(".")[0]


def confirm(client, **extra):
    return client.post("/first-login", data={
        "new_password": "Fresh-word9", "new_password_confirm": "Fresh-word9",
        "secret_question": "pet", "secret_answer": "Barsik", **extra})


def profile_of(number):
    return models.Subscription.by_number(number).profile


def test_the_first_sign_in_asks_for_the_terms_and_keeps_the_day(app, client, auth, newcomer,
                                                                clock, db):
    auth.login("0391234567", temporary_password(app, client))
    html = page(client.get("/first-login"))
    assert 'name="accept_terms"' in html and '<a href="/terms">' in html
    response = confirm(client)
    assert response.status_code == 422
    assert "Accept the terms of use" in field_error(page(response), "accept_terms")
    assert profile_of(NEWCOMER).terms_accepted_at is None
    assert profile_of(NEWCOMER).password_hash is None  # nothing half-written
    clock.advance(minutes=5)
    response = confirm(client, accept_terms="y")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    accepted = profile_of(NEWCOMER).terms_accepted_at
    assert accepted == kyiv(2026, 11, 25, 10, 5) and accepted == START.replace(minute=5)
    assert "You accepted these terms on 25.11.2026." in page(client.get("/terms"))


def test_a_later_temporary_password_never_asks_again(app, client, auth, newcomer, clock, db):
    auth.login("0391234567", temporary_password(app, client))
    assert confirm(client, accept_terms="y").status_code == 303
    first = profile_of(NEWCOMER).terms_accepted_at
    client.post("/logout")
    clock.advance(days=3)
    auth.login("0391234567", temporary_password(app, client))
    assert 'name="accept_terms"' not in page(client.get("/first-login"))
    response = confirm(client, new_password="Other-word7", new_password_confirm="Other-word7")
    assert response.status_code == 303
    assert profile_of(NEWCOMER).terms_accepted_at == first


def test_a_signed_out_reader_sees_no_acceptance(client):
    assert "You accepted" not in page(client.get("/terms"))
