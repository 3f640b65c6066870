"""The tariff page (/tariff): what the tariff includes, what this month used and what is
left (rules/tariffs.py), the fee and its next date. Both databases."""

import pytest
from hypothesis import given, strategies as st

import models
from rules.tariffs import MEGABYTES, MINUTES, OFF_NET, ON_NET, SMS, Allowance, Usage, used_and_left
from tests.helpers import kyiv, page


def add_usage(app, subscription, rows):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.UsageRecord.insert_rows([(subscription.id, *row) for row in rows])


def lefts(html):
    """(unit, value) of every <data class="left"> of the page, in order."""
    import re
    return re.findall(r'<data class="left" data-unit="([a-z]+)" value="([^"]+)">', html)


def test_the_tariff_page_shows_what_is_left_this_month(app, client, signed_in):
    add_usage(app, signed_in, [
        (kyiv(2026, 11, 3, 9, 0), "call_out", "+380501112233", 61, 300),  # 2 min off-net
        (kyiv(2026, 11, 4, 9, 0), "call_out", "+380501112233", 600, 1500),  # 10 min
        (kyiv(2026, 11, 4, 10, 0), "call_out", "+380671112233", 900, 0),  # on-net
        (kyiv(2026, 11, 5, 0, 0), "internet", "internet", 3 * 1024 * 1024, 0),  # 3 GB
        (kyiv(2026, 10, 30, 9, 0), "call_out", "+380501112233", 6000, 0),  # last month
        (kyiv(2026, 11, 6, 9, 0), "call_in", "+380501112233", 6000, 0),  # incoming
    ])
    html = page(client.get("/tariff"))
    assert "Tariff “Smart”" in html
    assert lefts(html) == [("mb", str(15360 - 3072)), ("unlimited", "unlimited"),
                           ("min", str(300 - 12))]
    assert '<meter min="0" max="300" value="12"' in html
    assert "Next charged on" in html and "01.12.2026" in html and "165.00" in html
    assert 'href="/tariffs"' in html


def test_the_dashboard_links_the_tariff_page(client, signed_in):
    assert '<a href="/tariff">Smart</a>' in page(client.get("/"))


def test_a_tariff_without_allowances_says_so(client, factory, signed_in):
    models.Subscription.update(tariff="free").where(
        models.Subscription.id == signed_in.id).execute()
    html = page(client.get("/tariff"))
    assert "includes no minutes" in html and lefts(html) == []


def test_the_tariff_page_is_for_the_signed_in(client):
    response = client.get("/tariff")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("allowance, used, left", [
    (Allowance(MINUTES, 300, OFF_NET), 12, 288),
    (Allowance(MINUTES, None, ON_NET), 15, None),
    (Allowance(SMS, 50, OFF_NET), 1, 49),
    (Allowance(MEGABYTES, 1024), 2048, 0),
])
def test_each_allowance_counts_its_own_usage(allowance, used, left):
    usages = [Usage("call_out", "+38050", minutes=12), Usage("call_out", "+38067", minutes=15),
              Usage("sms_out", "+38093", count=1), Usage("sms_out", "+38097", count=3),
              Usage("internet", "intern", kilobytes=2048 * 1024 + 1023)]
    (shown,) = used_and_left([allowance], usages)
    assert (shown.used, shown.left) == (used, left)


@given(st.integers(0, 10**6), st.lists(st.integers(0, 10**5), max_size=10))
def test_used_and_left_add_up_to_what_is_included(amount, minutes):
    (shown,) = used_and_left([Allowance(MINUTES, amount)],
                             [Usage("call_out", "+38050", minutes=m) for m in minutes])
    assert shown.used == sum(minutes)
    assert shown.left == max(0, amount - shown.used) and 0 <= shown.left <= amount
