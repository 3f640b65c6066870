"""Sign-in by password and by SMS code, registration, the first sign-in, passwords,
sessions and throttling, over HTTP."""
import re

import pytest
from flask.testing import FlaskClient

import models
from tests.helpers import PASSWORD, field_error, last_code, sms_to


def page(response):
    return response.get_data(as_text=True)


# Password sign-in -------------------------------------------------------------------------

def test_dashboard_needs_sign_in(client):
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("login", ["0671234567", "+380 67 123 45 67", "380671234567"])
def test_sign_in_with_any_form_of_the_number(client, auth, subscriber, login):
    response = auth.login(login)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    html = page(client.get("/"))
    assert '<data value="100.00" id="balance">' in html
    assert 'id="bonus-balance"' in html


@pytest.mark.parametrize("login,password,message", [
    ("", PASSWORD, "Enter a phone number"),
    ("12ab", PASSWORD, "This is not a phone number"),
    ("0501234567", PASSWORD, "another operator"),
    ("0971234567", PASSWORD, "no subscriber with this number"),
    ("0671234567", "", "Type your password"),
    ("0671234567", "Wrong-pass1", "Wrong number or password"),
])
def test_bad_sign_in(client, auth, subscriber, login, password, message):
    response = auth.login(login, password)
    assert response.status_code == 422
    html = page(response)
    assert message in html
    assert 'aria-invalid="true"' in html and "aria-describedby=" in html
    assert client.get("/").status_code == 303  # not signed in


def test_cyrillic_password_hint(auth, subscriber):
    response = auth.login(password="Ntcn-gfhjkm1ф")
    assert "check your keyboard layout" in page(response)


def test_csrf_is_required(client, subscriber):
    client.get("/login")  # the session cookie is there: only the token is missing
    response = client.post("/login", data={"login": "0671234567", "password": PASSWORD},
                           csrf=False)
    assert response.status_code == 400
    assert "expired" in page(response)


def test_a_browser_that_refuses_cookies_is_told_so(app, subscriber):
    """Dillo's default: no cookie ever comes back, so the form's check fails for want of a
    session, and "the form has expired" would loop for ever."""
    cookieless = FlaskClient(app, use_cookies=False)
    form = cookieless.get("/login", headers={"Accept-Language": "en"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page(form)).group(1)
    response = cookieless.post("/login", data={"login": "0671234567", "password": PASSWORD,
                                               "csrf_token": token},
                               headers={"Accept-Language": "en"})
    assert response.status_code == 400
    html = page(response)
    assert "refuses cookies" in html and "expired" not in html
    assert "localhost ACCEPT" in html  # Dillo's cookiesrc line for this site


def test_new_session_at_sign_in(client, auth, subscriber):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login()
    with client.session_transaction() as session:
        assert "planted" not in session


def test_lockout_after_ten_failures_and_its_end(client, auth, subscriber, clock):
    for _ in range(9):
        assert auth.login(password="Wrong-pass1").status_code == 422
    response = auth.login(password="Wrong-pass1")
    assert response.status_code == 429
    assert "try again at 10:15" in page(response)
    assert auth.login().status_code == 429  # even the right password waits
    clock.advance(minutes=15, seconds=1)
    assert auth.login().status_code == 303


def test_lockout_is_per_account_not_per_address(auth, factory, subscriber):
    factory.subscriber(number="+380971234567")
    for _ in range(10):
        auth.login(password="Wrong-pass1")
    assert auth.login("0971234567").status_code == 303


def test_idle_session_ends_after_thirty_minutes(client, signed_in, clock):
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200  # the visit above kept it alive
    clock.advance(minutes=31)
    assert client.get("/").status_code == 303


def test_remember_me_lasts_thirty_days(client, auth, subscriber, clock):
    response = auth.login(remember=True)
    assert any(cookie.startswith("remember_token=")
               for cookie in response.headers.getlist("Set-Cookie"))
    clock.advance(days=10)
    assert client.get("/").status_code == 200
    clock.advance(days=21)
    assert client.get("/").status_code == 303


def test_cookies_are_httponly_and_lax(auth, subscriber):
    cookies = auth.login().headers.getlist("Set-Cookie")
    assert cookies and all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)


def test_the_sign_in_cookie_holds_the_whole_session(app, auth, subscriber):
    """The session cookie set by signing in already holds the CSRF secret: the pages after
    it, forms and all, set no cookie of their own (a client that keeps the sign-in's
    cookie is not sent a new one by every page)."""
    auth.login()
    for path in ("/", "/password", "/profile"):
        response = app.test_client(use_cookies=False).get(path, headers={
            "Cookie": f"session={auth.client.get_cookie('session').value}"})
        assert response.status_code == 200 and 'name="csrf_token"' in page(response)
        assert "Set-Cookie" not in response.headers, path


def test_logout(client, signed_in):
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 303


def test_sign_in_goes_back_where_it_was_asked(client, auth, subscriber):
    assert client.get("/password").headers["Location"] == "/login?next=/password"
    response = client.post("/login?next=/password", data={"login": "0671234567",
                                                          "password": PASSWORD})
    assert response.headers["Location"] == "/password"
    response = client.post("/login?next=//evil.example", data={"login": "0671234567",
                                                               "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_one_number_field_for_every_way_in(client):
    """The sign-in page asks for the number once: its buttons post the same form to the
    password's, the SMS code's and the temporary password's addresses."""
    response = client.get("/login")
    assert response.status_code == 200
    html = page(response)
    assert len(re.findall(r'<input[^>]*name="login"', html)) == 1
    assert re.search(r'<button type="submit" class="secondary" formaction="/login/sms" '
                     r'formnovalidate', html)
    assert re.search(r'<button type="submit" class="secondary" formaction="/register" '
                     r'formnovalidate', html)
    # Topping up without signing in and the languages come first, not after the form.
    assert html.index('href="/topup"') < html.index('id="password-signin"')
    assert html.index('action="/language"') < html.index('id="password-signin"')


def test_the_number_comes_along_to_the_sign_in_page(client):
    html = page(client.get("/login?login=%2B380671234567"))
    assert re.search(r'<input[^>]*id="password-login"[^>]*value="\+380671234567"', html)


def test_a_refused_code_request_keeps_the_number_on_the_one_form(client, subscriber):
    response = client.post("/login/sms", data={"login": "0501234567", "password": ""})
    assert response.status_code == 422
    html = page(response)
    assert "another operator" in field_error(html, "password-login")
    assert re.search(r'<input[^>]*id="password-login"[^>]*value="0501234567"', html)


# SMS code sign-in ------------------------------------------------------------------------

def test_sms_code_sign_in(app, client, subscriber):
    response = client.post("/login/sms", data={"login": "067 123 45 67"})
    assert response.status_code == 200
    assert 'name="code"' in page(response)
    code = last_code(app, "+380671234567")
    response = client.post("/login/sms/verify", data={"login": "0671234567", "code": code})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_code_page_has_a_heading_and_ways_back(client, subscriber):
    response = client.post("/login/sms", data={"login": "067 123 45 67"})
    assert response.status_code == 200
    html = page(response)
    assert "<h1>Sign in to your cabinet</h1>" in html
    assert "Signing in as +380 67 123 45 67." in html
    assert '<a href="/login">Change the number</a>' in html
    assert '<a href="/login?login=%2B380671234567">Sign in with a password instead</a>' in html
    assert "We sent a 6-digit code to +380 67 123 45 67." in html


def test_an_accounts_code_goes_to_a_phone_shown_half_hidden(app, client, factory, subscriber):
    account = factory.account(subscriber.profile)
    html = page(client.post("/login/sms", data={"login": account.number}))
    assert "We sent a 6-digit code to +380 67 *** ** 67." in html


def test_sms_code_is_single_use_and_bound_to_the_browser(app, client, subscriber):
    client.post("/login/sms", data={"login": "0671234567"})
    code = last_code(app, "+380671234567")
    other = app.test_client()
    response = other.post("/login/sms/verify", data={"login": "0671234567", "code": code})
    assert response.status_code == 422 and "browser that asked" in page(response)
    assert client.post("/login/sms/verify",
                       data={"login": "0671234567", "code": code}).status_code == 303
    client.post("/logout")
    response = client.post("/login/sms/verify", data={"login": "0671234567", "code": code})
    assert response.status_code == 422


def test_sms_code_expires_after_ten_minutes(app, client, subscriber, clock):
    client.post("/login/sms", data={"login": "0671234567"})
    clock.advance(minutes=10)
    response = client.post("/login/sms/verify",
                           data={"login": "0671234567", "code": last_code(app, "+380671234567")})
    assert response.status_code == 422 and "expired" in page(response)


def test_five_wrong_codes_burn_the_code(app, client, subscriber):
    client.post("/login/sms", data={"login": "0671234567"})
    code = last_code(app, "+380671234567")
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = client.post("/login/sms/verify", data={"login": "0671234567", "code": wrong})
        assert f"Tries left: {left}" in page(response)
    client.post("/login/sms/verify", data={"login": "0671234567", "code": wrong})
    response = client.post("/login/sms/verify", data={"login": "0671234567", "code": code})
    assert response.status_code == 422 and "Too many wrong codes" in page(response)


def test_one_new_code_a_minute(app, client, subscriber, clock):
    client.post("/login/sms", data={"login": "0671234567"})
    response = client.post("/login/sms", data={"login": "0671234567"})
    assert response.status_code == 429 and "10:01:00" in page(response)
    assert len(sms_to(app, "+380671234567")) == 1
    clock.advance(seconds=61)
    assert client.post("/login/sms", data={"login": "0671234567"}).status_code == 200
    assert len(sms_to(app, "+380671234567")) == 2


@pytest.mark.parametrize("login,status,message", [
    ("", 422, "Enter a phone number"), ("0501234567", 422, "another operator"),
    ("0971234567", 422, "no subscriber"),
])
def test_sms_code_for_bad_numbers_sends_nothing(app, client, subscriber, login, status, message):
    response = client.post("/login/sms", data={"login": login})
    assert response.status_code == status and message in page(response)
    with app.app_context():
        assert models.SmsMessage.select().count() == 0


def test_account_code_goes_to_the_profiles_phone(app, client, factory, subscriber):
    account = factory.account(subscriber.profile)
    response = client.post("/login/sms", data={"login": account.number})
    assert response.status_code == 200
    code = last_code(app, "+380671234567")
    assert client.post("/login/sms/verify",
                       data={"login": account.number, "code": code}).status_code == 303
    assert account.number in page(client.get("/"))


def test_htmx_gets_the_code_form_alone(client, subscriber):
    response = client.post("/login/sms", data={"login": "0671234567"},
                           headers={"HX-Request": "true"})
    html = page(response)
    assert response.status_code == 200 and "<html" not in html and 'name="code"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_a_code_the_gateway_refuses_is_reported_and_never_sent_later(app, client,
                                                                     subscriber, gateway_down):
    response = client.post("/login/sms", data={"login": "0671234567"})
    assert response.status_code == 503 and "could not send the SMS" in page(response)
    with app.app_context():
        (message,) = models.SmsMessage.select()
        # The code was only in memory: the outbox keeps it masked and never retries it.
        assert (message.state, message.retriable) == ("failed", False)
        assert re.search(r"\d{6}", message.text) is None


# Registration and the first sign-in ------------------------------------------------------

@pytest.fixture
def newcomer(factory):
    return factory.subscriber(number="+380391234567", password=None)


def register_and_get_password(app, client, number="0391234567"):
    response = client.post("/register", data={"login": number})
    assert response.status_code == 200, page(response)
    text = sms_to(app, "+380" + number[1:])[0]
    return text.split(": ")[1].split(".")[0]


def confirm_data(new="Fresh-word9", **extra):
    return {"new_password": new, "new_password_confirm": new, "secret_question": "pet",
            "secret_answer": "Barsik", "accept_terms": "y", **extra}


def test_registration_and_first_login(app, client, auth, newcomer):
    temporary = register_and_get_password(app, client)
    response = auth.login("0391234567", temporary)
    assert response.headers["Location"] == "/first-login"
    # Nothing but the confirmation is open.
    assert client.get("/").headers["Location"] == "/first-login"
    html = page(client.get("/first-login"))
    assert "Тест Тестенко" in html and "+380 39 123 45 67" in html
    # The temporary password signed this browser in: it is not asked again.
    assert 'name="temporary_password"' not in html
    response = client.post("/first-login", data=confirm_data(contact_phone="0971112233"))
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert auth.login("0391234567", "Fresh-word9").status_code == 303
    assert auth.login("0391234567", temporary).status_code == 422  # used up
    with app.app_context():
        profile = models.Subscription.by_number("+380391234567").profile
        assert profile.contact_phone == "+380971112233" and profile.confirmed_at


@pytest.mark.parametrize("change,field,message", [
    ({"new_password": "abc", "new_password_confirm": "abc"}, "new_password", "does not meet"),
    ({"new_password_confirm": "Other-pass9"}, "new_password_confirm", "differ"),
    ({"secret_answer": ""}, "secret_answer", "Type the answer"),
    ({"secret_question": "nope"}, "secret_question", "Choose one of the questions"),
    ({"contact_phone": "0501234567"}, "contact_phone", "another operator"),
])
def test_first_login_rejects(app, client, auth, newcomer, change, field, message):
    temporary = register_and_get_password(app, client)
    auth.login("0391234567", temporary)
    response = client.post("/first-login", data={**confirm_data(), **change})
    assert response.status_code == 422
    assert message in field_error(page(response), field)
    assert client.get("/").headers["Location"] == "/first-login"


def test_first_login_refuses_the_temporary_password_as_the_new_one(app, client, auth,
                                                                   newcomer):
    temporary = register_and_get_password(app, client)
    auth.login("0391234567", temporary)
    response = client.post("/first-login", data=confirm_data(temporary))
    assert response.status_code == 422
    assert "other than the temporary one" in field_error(page(response), "new_password")
    assert client.get("/").headers["Location"] == "/first-login"


def test_first_login_ends_with_the_temporary_password(app, client, auth, newcomer, clock):
    """The session a temporary password opened confirms the cabinet only while that
    password is valid (72 hours)."""
    temporary = register_and_get_password(app, client)
    auth.login("0391234567", temporary, remember=True)
    clock.advance(hours=73)
    html = page(client.get("/first-login"))
    assert "The temporary password has expired" in html
    response = client.post("/first-login", data=confirm_data())
    assert response.status_code == 409
    assert "The temporary password has expired" in page(response)
    assert client.get("/").headers["Location"] == "/first-login"
    with app.app_context():
        profile = models.Subscription.by_number("+380391234567").profile
        assert profile.confirmed_at is None and profile.password_hash is None


@pytest.mark.parametrize("path", ["/first-login", "/password"])
def test_the_password_rules_never_promise_checking_as_you_type(app, client, auth, newcomer,
                                                              path):
    """Without JavaScript nothing checks as one types: the hint says what always holds."""
    temporary = register_and_get_password(app, client)
    auth.login("0391234567", temporary)
    if path == "/password":
        client.post("/first-login", data=confirm_data())
    response = client.get(path)
    assert response.status_code == 200
    html = page(response)
    assert "checked when you send the form" in html
    assert "as you type" not in html


def test_a_temporary_password_leaves_the_number_in_the_form(app, client, newcomer, clock):
    response = client.post("/register", data={"login": "039 123 45 67"})
    assert response.status_code == 200
    html = page(response)
    assert ("We sent a temporary password by SMS to +380 39 123 45 67. Type it in the "
            "password field and sign in") in html
    assert re.search(r'<input[^>]*id="password-login"[^>]*value="039 123 45 67"', html)
    # With htmx the sign-in form's section alone comes back, the number in it.
    clock.advance(seconds=61)  # a minute between two passwords
    response = client.post("/register", data={"login": "0391234567"},
                           headers={"HX-Request": "true"})
    html = page(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="password-signin"') and "<html" not in html
    assert "We sent a temporary password" in html
    assert re.search(r'<input[^>]*id="password-login"[^>]*value="0391234567"', html)


def test_temporary_password_expires_after_72_hours(app, client, auth, newcomer, clock):
    temporary = register_and_get_password(app, client)
    clock.advance(hours=72)
    assert auth.login("0391234567", temporary).status_code == 422


@pytest.mark.parametrize("login,message", [
    ("0971234567", "no subscriber"), ("0501234567", "another operator"), ("", "Enter a phone"),
])
def test_registration_of_unknown_numbers_sends_nothing(app, client, login, message):
    response = client.post("/register", data={"login": login})
    assert response.status_code == 422 and message in page(response)
    with app.app_context():
        assert models.SmsMessage.select().count() == 0


def test_registration_attempts_for_unknown_numbers_are_throttled(client):
    for _ in range(10):
        client.post("/register", data={"login": "0971234567"})
    assert client.post("/register", data={"login": "0971234567"}).status_code == 429


# Password change and the live rules -------------------------------------------------------

def test_password_change_ends_other_sessions(app, client, auth, signed_in):
    other = app.test_client()
    other.post("/login", data={"login": "0671234567", "password": PASSWORD})
    assert other.get("/").status_code == 200
    response = client.post("/password", data={"current_password": PASSWORD,
                                               "new_password": "Next-pass8",
                                               "new_password_confirm": "Next-pass8"})
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 303
    with app.app_context():
        events = [e.event for e in models.AuditEvent.select().order_by(models.AuditEvent.id)]
    assert events[-1] == "password_changed"


@pytest.mark.parametrize("data,message", [
    ({"current_password": "Wrong-pass1"}, "not your current password"),
    ({"new_password": "qwerty123", "new_password_confirm": "qwerty123"}, "does not meet"),
    ({"new_password_confirm": "Else-pass8"}, "differ"),
])
def test_password_change_rejects(client, signed_in, data, message):
    base = {"current_password": PASSWORD, "new_password": "Next-pass8",
            "new_password_confirm": "Next-pass8"}
    response = client.post("/password", data={**base, **data})
    assert response.status_code == 422 and message in page(response)


def test_password_rules_are_shown_met_or_unmet(client):
    response = client.post("/password/check", data={"new_password": "aaa"},
                           headers={"HX-Request": "true"})
    html = page(response)
    assert "<html" not in html and 'id="password-rules"' in html
    assert html.count('class="met"') == 2 and html.count('class="unmet"') == 3
    html = page(client.post("/password/check", data={"new_password": "Kyiv-2026"}))
    assert "<html" in html and 'class="unmet"' not in html
    assert "keyboard layout" in page(client.post("/password/check",
                                                 data={"new_password": "Пароль"}))


def test_audit_log_records_sign_ins_and_failures(app, auth, subscriber):
    auth.login(password="Wrong-pass1")
    auth.login()
    with app.app_context():
        events = [e.event for e in models.AuditEvent.select().order_by(models.AuditEvent.id)]
    assert events == ["login_failed", "login"]


def test_the_session_cookie_survives_a_key_rotation_and_not_a_foreign_key(app, client,
                                                                          signed_in):
    # The cookie's serializer is made once for each set of keys (portal.core.auth).
    serializer = app.session_interface.get_signing_serializer(app)
    assert app.session_interface.get_signing_serializer(app) is serializer
    assert client.get("/").status_code == 200
    old_key = app.config["SECRET_KEY"]
    # Rotated: the old key kept as a fallback still opens the cookie signed with it.
    app.config.update(SECRET_KEY="a-new-key-" + "x" * 32, SECRET_KEY_FALLBACKS=[old_key])
    assert app.session_interface.get_signing_serializer(app) is not serializer
    assert client.get("/").status_code == 200
    # Without it the cookie is no one's: the dashboard asks to sign in.
    app.config["SECRET_KEY_FALLBACKS"] = []
    response = client.get("/")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")


def test_the_profile_of_a_request_is_that_requests_alone(app, client, signed_in):
    """current_profile() reads the profile Flask-Login keeps in `g`, and only inside a
    request: an app context that outlives one (a command, a test) holds no signed-in
    profile afterwards."""
    from flask import g

    from portal.core.auth import current_profile

    with app.app_context():
        assert client.get("/").status_code == 200  # in this app context: its `g`
        assert g._login_user.is_authenticated
        assert current_profile() is None
