"""The dashboard, the number switcher, and what every page sends."""
import gc
import re
import warnings

import pytest

import models


def page(response):
    return response.get_data(as_text=True)


@pytest.fixture
def family(factory, subscriber):
    """The signed-in profile's second number and account, and a stranger's number."""
    second = factory.subscriber(number="+380971112233", profile=subscriber.profile,
                                payment="contract", tariff="unlim", balance=-5050)
    account = factory.account(subscriber.profile, bonus_balance=25000)
    stranger = factory.subscriber(number="+380681234567", name="Чужий")
    return second, account, stranger


def test_dashboard_shows_the_current_number(client, signed_in):
    html = page(client.get("/"))
    assert "+380 67 123 45 67" in html and "Smart" in html
    assert '<data value="100.00" id="balance">100.00\u00a0₴</data>' in html


def test_switcher_shows_another_number_of_the_profile(client, signed_in, family):
    second, account, _ = family
    html = page(client.get("/"))
    assert 'name="number"' in html and account.number in html
    response = client.post("/numbers/select", data={"number": "0971112233"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert '<data value="-50.50" id="balance">' in page(client.get("/"))
    client.post("/numbers/select", data={"number": account.number})
    assert '<data value="250.00" id="bonus-balance">' in page(client.get("/"))


@pytest.mark.parametrize("number", ["0681234567", "0991234567", "garbage", "99999999"])
def test_switcher_refuses_numbers_outside_the_profile(client, signed_in, family, number):
    assert client.post("/numbers/select", data={"number": number}).status_code == 404
    assert "+380 67 123 45 67" in page(client.get("/"))


def test_selection_is_per_session(app, client, signed_in, family):
    other = app.test_client()
    other.post("/login", data={"login": "0671234567", "password": "Test-pass7"})
    client.post("/numbers/select", data={"number": "0971112233"})
    assert '<data value="100.00" id="balance">' in page(other.get("/"))


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "HX-Request" in response.headers["Vary"]
    assert "<script>" not in page(response) and " on" + "click=" not in page(response)


@pytest.mark.parametrize("path", ["/login", "/", "/topup", "/no-such-page", "/api/v1/balance",
                                  "/static/portal.css", "/manifest.webmanifest"])
def test_each_security_header_once_on_every_kind_of_answer(client, signed_in, path):
    response = client.get(path)
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                 "Referrer-Policy", "Permissions-Policy", "Cache-Control", "Vary"):
        assert len(response.headers.getlist(name)) == 1, (name, response.headers.getlist(name))
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_a_static_file_revalidated_with_its_etag_is_not_sent_again(client, encoding):
    html = page(client.get("/login"))
    url = re.search(r'"(/static/portal\.css\?v=[0-9a-f]+)"', html).group(1)
    first = client.get(url, headers={"Accept-Encoding": encoding})
    assert (first.headers.get("Content-Encoding") == "gzip") == (encoding == "gzip")
    first.close()  # as a server closes every answer (its file with it)
    again = client.get(url, headers={"Accept-Encoding": encoding,
                                     "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    again.close()
    changed = client.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": '"old"'})
    assert changed.status_code == 200 and changed.get_data()
    changed.close()


def test_a_gzipped_static_file_is_closed_with_its_answer(client):
    url = re.search(r'"(/static/portal\.css\?v=[0-9a-f]+)"', page(client.get("/login"))).group(1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip" and response.get_data()
        response.close()
        gc.collect()
    assert not [warning for warning in caught if warning.category is ResourceWarning]


def test_a_gzipped_page_carries_no_date_of_its_own(client):
    # gunicorn writes the answer's one Date header. Flask-Compress's weighing of conditional
    # requests after gzip added a second, for pages that have no ETag to weigh.
    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Date" not in response.headers and "ETag" not in response.headers


def test_static_files_are_fingerprinted_and_cached(client):
    html = page(client.get("/login"))
    assert "/static/htmx-2.0.11.min.js?v=" in html and "/static/portal.css?v=" in html
    url = re.search(r'"(/static/portal\.css\?v=[0-9a-f]+)"', html).group(1)
    assert "max-age=31536000" in client.get(url).headers["Cache-Control"]


@pytest.mark.parametrize("url", ["/static/portal.css", "/static/portal.css?v=0123456789ab"])
def test_a_static_file_under_another_hash_is_not_kept(client, url):
    """During a rolling upgrade an old node may be asked for a new file's URL: what it
    answers must not be cached for a year under that name."""
    assert client.get(url).headers["Cache-Control"] == "no-cache"


def test_pages_are_compressed(client):
    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"


def test_unknown_page_is_404_in_the_users_language(client):
    response = client.get("/nope", headers={"Accept-Language": "uk"})
    assert response.status_code == 404 and "Сторінку не знайдено" in page(response)


def test_demo_sms_feed_only_in_demo_mode(app, client, subscriber):
    assert client.get("/demo/sms.json").status_code == 404
    app.config["DEMO"] = True
    client.post("/login/sms", data={"login": "0671234567"})
    messages = client.get("/demo/sms.json?to=067 123 45 67").get_json()
    assert messages[0]["to"] == "+380671234567" and "код" in messages[0]["text"]
    assert set(messages[0]) == {"to", "text", "sent_at"}
    assert client.get("/demo/sms.json?to=0971234567").get_json() == []
    assert "+380 67 123 45 67" in page(client.get("/demo/sms"))
    with app.app_context():
        assert models.SmsMessage.select().count() == 1


def test_each_request_loads_its_own_number_even_inside_an_app_context(client, db, signed_in,
                                                                      family):
    # The `db` fixture holds an app context open, as a CLI command or a worker hook might.
    assert "+380 67 123 45 67" in page(client.get("/"))
    client.post("/numbers/select", data={"number": "0971112233"})
    assert '<data value="-50.50" id="balance">' in page(client.get("/"))


# The phone-first layout: what every page's header and the dashboard's first screen hold.

def header(html):
    return html[html.index('<header class="top">'):html.index("</header>")]


@pytest.mark.parametrize("path", ["/login", "/topup", "/shops"])
def test_every_page_offers_top_up_in_its_header_signed_out(client, path):
    top = header(page(client.get(path)))
    assert '<a class="button topup" href="/topup"' in top
    assert "<details" not in top  # no menu to open before signing in


def test_the_menu_opens_without_script_and_holds_sign_out(client, signed_in):
    top = header(page(client.get("/services")))
    menu = top[top.index('<details class="menu">'):top.index("</details>")]
    assert "<summary>Menu</summary>" in menu
    assert 'href="/expenses"' in menu and 'href="/support"' in menu
    assert 'action="/logout"' in menu
    assert '<a class="button topup" href="/topup">Top up</a>' in top


def test_the_top_up_page_marks_its_own_header_link(client):
    assert 'href="/topup" aria-current="page"' in header(page(client.get("/topup")))


@pytest.mark.parametrize("language, words", [
    ("en", "The cabinet of your mobile number"), ("uk", "Кабінет вашого мобільного номера"),
    ("ru", "Кабинет вашего мобильного номера")])
def test_every_page_has_a_meta_description_in_its_language(client, language, words):
    html = page(client.get("/login", headers={"Accept-Language": language}))
    assert re.search(r'<meta name="description" content="' + words + r'[^"]+">', html)


def test_the_balance_comes_first_with_top_up_beside_it(client, signed_in, family):
    html = page(client.get("/"))
    main = html[html.index('<main id="main">'):]
    assert main.index('id="balance"') < main.index('id="spending-title"')
    assert '<a class="button" href="/topup?target=%2B380671234567">Top up</a>' in main
    assert main.index('id="balance"') < main.index("/topup?target=") < main.index('id="state"')
    assert '<label for="number-switch" class="visually-hidden">' in main
    assert '<a href="/tariff">Smart</a>' in main


def test_the_dashboard_links_services_and_the_device_with_its_model(app, client, signed_in):
    with app.app_context():
        models.Device.create(subscription=signed_in.id, phone_model="Nokia 105",
                             iccid="89380062300000000001", puk1="12345678")
    html = page(client.get("/"))
    assert '<a href="/offers">Services and promotions for you</a>' in html
    assert '<a href="/device">Device: Nokia 105</a>' in html


def test_the_dashboard_links_the_device_of_a_number_the_network_has_not_seen(client,
                                                                              signed_in):
    assert '<a href="/device">Device</a>' in page(client.get("/"))


def test_an_account_has_no_device_block(client, signed_in, family):
    _, account, _ = family
    client.post("/numbers/select", data={"number": account.number})
    html = page(client.get("/"))
    assert 'href="/services"' in html and 'href="/device"' not in html


def test_every_panel_has_its_branch_in_the_dashboard():
    """dashboard.html writes each of PANELS out by name: a name without its branch would
    show nothing, silently."""
    from pathlib import Path

    from portal.dashboard.views import PANELS
    html = (Path(__file__).resolve().parent.parent / "templates" / "dashboard.html").read_text()
    for name, _build in PANELS:
        assert f'name == "{name}" %}}' in html, name
