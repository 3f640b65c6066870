"""One handler for every HTTP error (portal/core/web.py `http_error`): a page with the site's
layout in the reader's language, JSON under /api/v1 whatever the status, the headers that
say what to do next (Allow, Retry-After) kept on both."""
import pytest
from flask import abort

from tests.helpers import page

PAGE_STATUSES = (400, 403, 404, 405, 409, 413, 422, 429, 431, 503)
# Each status's title, as the Ukrainian reader sees it.
UKRAINIAN_TITLES = {
    400: "Запит неможливо прочитати",
    403: "Вам це недоступно",
    404: "Сторінку не знайдено",
    405: "Не дозволено",
    409: "Зараз це неможливо",
    413: "Надіслано забагато",
    422: "Перевірте, що ви надіслали",
    429: "Забагато запитів",
    431: "Ваш браузер надіслав забагато",
    503: "Зараз зайнято",
}


@pytest.fixture
def aborting(app):
    """A page and an API address that answer with any error status (abort), as a view or a
    guard does; added before the app answers its first request."""
    def answer(status):
        abort(status)
    app.add_url_rule("/test-abort/<int:status>", "test_abort", answer)
    app.add_url_rule("/api/v1/test-abort/<int:status>", "test_api_abort", answer)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize("status", PAGE_STATUSES)
def test_each_error_is_a_page_in_the_readers_language(aborting, status):
    response = aborting.test_client().get(f"/test-abort/{status}",
                                          headers={"Accept-Language": "uk"})
    html = page(response)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert '<html lang="uk">' in html and 'role="alert"' in html
    assert f"<title>{UKRAINIAN_TITLES[status]} ·" in html
    assert 'class="skip"' in html  # the site's layout: base.html


@pytest.mark.parametrize("status", PAGE_STATUSES)
def test_each_error_is_in_russian_for_a_russian_reader(aborting, status):
    response = aborting.test_client().get(f"/test-abort/{status}",
                                          headers={"Accept-Language": "ru"})
    assert '<html lang="ru">' in page(response)
    assert UKRAINIAN_TITLES[status] not in page(response)


@pytest.mark.parametrize("status", (*PAGE_STATUSES, 401, 410, 418, 500, 501))
def test_each_error_under_the_api_is_json(aborting, status):
    response = aborting.test_client().get(f"/api/v1/test-abort/{status}")
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert set(response.get_json()) == {"error"}


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v1/", "/api/v2/balance",
                                  "/api/v1/balance/x"])
def test_no_such_address_under_the_api_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert "error" in response.get_json()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_a_method_the_api_does_not_take_is_a_json_405_with_allow(client, method):
    response = client.open("/api/v1/balance", method=method)
    assert response.status_code == 405 and response.mimetype == "application/json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_a_method_a_page_does_not_take_is_a_page_with_allow(client):
    response = client.get("/logout")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert "<title>Not allowed ·" in page(response)


def test_a_megabyte_post_is_a_413_page_in_the_readers_language(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post("/login", data={"login": "0671234567", "password": "x" * (1 << 20)},
                           headers={"Accept-Language": "uk"})
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert f"<title>{UKRAINIAN_TITLES[413]} ·" in page(response)


def test_a_form_without_its_token_says_it_expired(client):
    client.get("/login")  # the browser keeps cookies: its session came back without a token
    response = client.post("/login", data={"login": "0671234567"}, csrf=False)
    assert response.status_code == 400 and "The form has expired" in page(response)


def test_a_busy_database_keeps_its_retry_after(aborting):
    response = aborting.test_client().get("/test-abort/503")
    assert response.status_code == 503
    response = aborting.test_client().get("/api/v1/test-abort/503")
    assert response.status_code == 503 and response.mimetype == "application/json"


def test_an_unhandled_failure_is_a_500_page_and_json(app):
    def failing():
        raise RuntimeError("boom")
    app.add_url_rule("/test-fail", "test_fail", failing)
    app.add_url_rule("/api/v1/test-fail", "test_api_fail", failing)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/test-fail")
    assert response.status_code == 500 and "Something went wrong" in page(response)
    response = app.test_client().get("/api/v1/test-fail")
    assert response.status_code == 500 and response.mimetype == "application/json"
    assert "boom" not in page(response)
