"""The small things a walk on a phone found (issue 25 item 9): the code field focused, a gap
between the code form's buttons, the card's expiry from a numeric keyboard, amounts put into
fields in the reader's decimals, Settings and the languages in the menu."""
import re

import pytest

from tests.helpers import page

UK = {"Accept-Language": "uk"}  # signed out: the browser's language


def field(html, name):
    """The <input> tag named `name` that is typed in (not a radio button of that name)."""
    return next(tag for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
                if 'type="radio"' not in tag)


def test_the_code_field_takes_the_focus_when_the_code_form_appears(client, subscriber):
    for headers in ({}, {"HX-Request": "true"}):  # the page, and the block htmx swaps in
        html = page(client.post("/login/sms", data={"login": "067 123 45 67"}, headers=headers))
        assert "autofocus" in field(html, "code")
    # JavaScript off: "Send a new code" is a form of its own, spaced from "Sign in".
    assert '<form method="post" action="/login/sms" class="resend">' in html


def test_the_resend_form_keeps_a_12px_gap():
    css = open("static/portal.css", encoding="utf-8").read()
    assert ".resend{margin-top:.75rem}" in css  # 12 px at the browser's 16 px


def test_the_expiry_asks_for_a_numeric_keyboard(client):
    assert 'inputmode="numeric"' in field(page(client.get("/topup")), "card_expiry")


@pytest.mark.parametrize("language, shown", [("uk", "120,50"), ("ru", "120,50"),
                                             ("en", "120.50")])
def test_a_linked_amount_is_shown_in_the_readers_decimals(client, language, shown):
    html = page(client.get("/topup?amount=120.50", headers={"Accept-Language": language}))
    assert f'value="{shown}"' in field(html, "amount")


def test_a_linked_amount_that_is_not_one_is_shown_as_it_came(client):
    html = page(client.get("/topup?amount=12x", headers=UK))
    assert 'value="12x"' in field(html, "amount")


def test_the_alert_threshold_comes_back_with_a_comma_and_is_taken_back(client, signed_in):
    response = client.post("/settings/alert", data={"number": signed_in.number,
                                                    "threshold": "12,50"})
    assert response.status_code == 303
    assert 'value="12.50"' in field(page(client.get("/settings")), "threshold")  # English
    client.post("/language", data={"lang": "uk", "next": "/settings"})
    assert 'value="12,50"' in field(page(client.get("/settings")), "threshold")
    assert client.post("/settings/alert", data={"number": signed_in.number,
                                                "threshold": "12,50"}).status_code == 303


def test_settings_and_the_languages_are_in_the_menu(client, signed_in):
    html = page(client.get("/"))
    menu = html.split('<details class="menu">')[1].split("</details>")[0]
    assert '<a href="/settings">Settings</a>' in menu
    assert 'action="/language"' in menu and 'name="lang" value="ru"' in menu
    assert 'id="menu-language-label"' in menu  # its own label: the footer keeps its switch
