"""Issue 23 item 7: the guide's call centre, 460 and 0-800-300-460, each a tel: link, where
the guide puts it (sign-in help, no SMS, a lost SIM, Home Internet); mobile questions keep
the catalogue's own line."""
import pytest

from portal.core import catalogue
from tests.helpers import page

CALL_CENTRE = ('<a href="tel:460">460</a>, '
               '<a href="tel:+380800300460">0-800-300-460</a>')
MOBILE_LINE = '<a href="tel:466">466</a>, <a href="tel:+380800300466">0 800 300 466</a>'


def test_the_catalogue_gives_each_line_its_tel_address():
    phones = catalogue.support_phones(catalogue.load())
    assert phones["call_centre"] == {"short": "460", "landline": "0-800-300-460",
                                     "landline_tel": "+380800300460"}
    assert phones["home_internet"]["landline_tel"] == "+380800300460"
    assert phones["mobile"]["landline_tel"] == "+380800300466"


def test_the_sign_in_page_gives_the_call_centre(client):
    html = page(client.get("/login"))
    assert html.count(CALL_CENTRE) == 2  # the sign-in help and the footer
    assert "No SMS comes, the SIM card is lost or damaged" in html
    assert "466" not in html


def test_the_code_page_says_whom_to_call_when_no_sms_comes(client, subscriber):
    html = page(client.post("/login/sms", data={"login": "0671234567"}))
    assert "No SMS comes? Call the call centre" in html and CALL_CENTRE in html


def test_a_lost_sim_points_to_the_call_centre(client, signed_in):
    html = page(client.get("/requests"))
    assert "A lost or damaged SIM card, to be replaced" in html and CALL_CENTRE in html


def test_a_mobile_number_keeps_the_catalogues_mobile_line(client, signed_in):
    html = page(client.get("/support"))
    assert MOBILE_LINE in page(client.get("/"))
    assert 'href="tel:466"' in html and CALL_CENTRE in html


@pytest.fixture
def home_internet(factory, signed_in):
    return factory.account(signed_in.profile)


def test_a_home_internet_account_gets_460(client, home_internet):
    client.post("/numbers/select", data={"number": home_internet.number})
    html = page(client.get("/support"))
    assert "466" not in html
    assert '<dd><a href="tel:460">460</a></dd>' in html
    assert '<a href="tel:+380800300460">0-800-300-460</a></dd>' in html
