"""Issue 23 item 10: an installable web app (manifest, icons, a service worker of a few KB
that keeps no signed-in page but the widget) and /widget: balance and bonuses in large
type, with the moment they were taken, readable with JavaScript off."""
import json
import re
from pathlib import Path

import pytest

from tests.helpers import page

STATIC = Path(__file__).resolve().parent.parent / "static"


def test_the_widget_shows_the_figures_and_their_moment(client, app, factory, auth, clock):
    factory.subscriber(balance=12345, bonus_balance=0)
    auth.login()
    clock.advance(minutes=7)
    response = client.get("/widget")
    assert response.status_code == 200
    html = page(response)
    assert '<p class="huge"><data value="123.45" id="balance">' in html
    assert '<data value="0.00" id="bonus-balance">' in html
    assert '<time datetime="2026-11-25T10:07+02:00">25.11.2026 10:07</time>' in html
    assert "<script>" not in html  # nothing inline: the figures read without scripts
    assert response.headers["Cache-Control"] == "no-store"  # never in a shared cache


def test_the_widget_shows_a_home_internet_accounts_bonuses(client, factory, signed_in):
    account = factory.account(signed_in.profile, bonus_balance=25000, balance=100)
    client.post("/numbers/select", data={"number": account.number})
    html = page(client.get("/widget"))
    assert '<data value="250.00" id="bonus-balance">' in html and account.number in html


def test_the_widget_needs_a_sign_in(client):
    response = client.get("/widget")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")


def test_the_manifest_makes_the_portal_installable(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "uk"})
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["start_url"] == "/widget" and manifest["display"] == "standalone"
    assert manifest["name"] == "Мій кабінет"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert sizes == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/static/icons/")
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        width, height = int.from_bytes(image.data[16:20], "big"), int.from_bytes(
            image.data[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]


def test_every_page_links_the_manifest_and_the_worker_script(client):
    html = page(client.get("/login"))
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert re.search(r'<script src="/static/app.js\?v=[0-9a-f]{12}" defer></script>', html)


def test_the_service_worker_is_small_and_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert len(response.data) < 4096  # a few KB



def test_the_service_worker_keeps_no_signed_in_page_but_the_widget():
    """Read as a rule: every cache.put is of a static file or of the widget, and the only
    page fetched ahead is the public offline one."""
    source = (STATIC / "sw.js").read_text(encoding="utf-8")
    puts = re.findall(r"cache\.put\(([^,]+),", source)
    assert puts == ["WIDGET", "request"]
    assert 'const WIDGET = "/widget";' in source and 'const OFFLINE = "/offline";' in source
    assert re.search(r'url\.pathname\.startsWith\("/static/"\) && url\.searchParams\.has\("v"\)',
                     source)  # the only `request` put: fingerprinted static files
    assert "cache.add(OFFLINE)" in source and source.count("cache.add") == 1


def test_the_offline_page_is_public(client):
    response = client.get("/offline")
    assert response.status_code == 200
    assert 'href="/widget"' in page(response)


def test_signing_out_clears_what_the_worker_kept(client, signed_in):
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["Clear-Site-Data"] == '"cache"'


@pytest.mark.parametrize("path", ["/widget", "/offline", "/manifest.webmanifest", "/sw.js"])
def test_no_query_string_breaks_them(client, signed_in, path):
    response = client.get(path + "?x=%00%ff&balance=9999999999999999999999")
    assert response.status_code in (200, 400)
