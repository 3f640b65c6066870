"""Where the sign-in, the language switch and the number switch lead back to (`next`):
a path of this site, or the main page; never another site, however `next` is disguised."""
from urllib.parse import quote

import pytest

from portal.core.web import local_target
from tests.helpers import PASSWORD

# As they stand in the URL or the form body, so each is decoded once on arrival; each is
# also sent encoded once more, so the view gets it as written here.
HOSTILE = [
    "/%09/evil.com", "/%0A/evil.com", "/%0D/evil.com", "/\\evil.com", "/%5Cevil.com",
    "//evil.com", "/%2F/evil.com", "/%252F/evil.com", "%2F%2Fevil.com", "///evil.com",
    "https://evil.com", "https:evil.com", "javascript:alert(1)",
    "/%0d%0aSet-Cookie:x", "\t//evil.com", "%09//evil.com", "/%2500/evil.com", "/%C2%85/evil.com",
    "/%7F/evil.com", "/%25%30%39/evil.com", "evil.com", "",
]
SAME_SITE = ["/password", "/expenses?month=2026-11&type=calls", "/services/%D0%B0", "/support#chat"]


def login(client, target):
    return client.post("/login?next=" + target, data={"login": "0671234567", "password": PASSWORD})


def form(client, path, fields):
    return client.post(path, csrf=False, content_type="application/x-www-form-urlencoded",
                       data=f"{fields}&csrf_token={client.csrf_token()}")


def language(client, target):
    return form(client, "/language", f"lang=en&next={target}")


def select_number(client, target):
    login(client, "/")
    return form(client, "/numbers/select", f"number=0671234567&next={target}")


PLACES = [login, language, select_number]


@pytest.mark.parametrize("target", HOSTILE)
def test_next_never_leads_off_the_site(client, subscriber, target):
    for place in PLACES:
        for sent in (target, quote(target, safe="")):
            response = place(client, sent)
            assert (response.status_code, response.headers["Location"]) == (303, "/"), (
                place.__name__, sent)


@pytest.mark.parametrize("target", SAME_SITE)
def test_next_leads_back_to_a_path_of_this_site(client, subscriber, target):
    for place in PLACES:
        response = place(client, quote(target, safe=""))
        assert response.headers["Location"] == target, place.__name__


@pytest.mark.parametrize("target", HOSTILE[:6])
def test_a_refused_target_gives_the_default(target):
    assert local_target(target, default="/profile") == "/profile"
