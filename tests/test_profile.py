"""The profile: personal data, contact number, adding and removing numbers with an SMS code,
sessions and signing out everywhere, a number's settings, device information and PUK1, shops.
Every route is tried on a number outside the signed-in profile."""
import re
from datetime import date, datetime

import pytest

import models
from portal.demo.cabinets import load_devices
from portal.profile.service import public_id
from tests.helpers import PASSWORD, kyiv, last_code, sms_to

OTHER = "+380971112233"
ICCID = "8938003992020000017"


def connect(app):
    models.db.connect(reuse_if_open=True)


def profile_of(app, subscription):
    with app.app_context():
        connect(app)
        return models.Profile.get_by_id(subscription.profile_id)


def owner_of(app, number):
    with app.app_context():
        connect(app)
        return models.Subscription.get(models.Subscription.number == number).profile_id


def managers_of(app, number):
    with app.app_context():
        connect(app)
        return [row.profile_id for row in models.ManagedNumber.select().join(
            models.Subscription).where(models.Subscription.number == number)]


@pytest.fixture
def other(factory):
    """Someone else's number, in a cabinet of its own."""
    return factory.subscriber(number=OTHER, name="Інна Інша", password="Other-pass9")


@pytest.fixture
def device(app, subscriber):
    with app.app_context():
        connect(app)
        return models.Device.create(subscription=subscriber.id, phone_model="Nokia 105",
                                    iccid="8938003992020000017", puk1="12345678")


# The profile page ------------------------------------------------------------------------

def test_the_profile_page(client, signed_in, factory, app):
    factory.account(profile_of(app, signed_in))
    html = client.get("/profile").get_data(as_text=True)
    assert "Тест Тестенко" in html
    assert "+380 67 123 45 67" in html and "Home Internet" in html
    assert "this session" in html and "Sign out everywhere" in html
    assert 'name="contact_phone"' in html and 'name="number"' in html


def test_the_profile_needs_a_sign_in(client, subscriber):
    response = client.get("/profile")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")


def test_the_contact_number_is_saved_with_the_password(client, signed_in, app):
    response = client.post("/profile/contact", data={"contact_phone": "097 555 44 33",
                                                     "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/profile"
    assert profile_of(app, signed_in).contact_phone == "+380975554433"
    shown = client.get("/profile").get_data(as_text=True)
    assert "+380 97 555 44 33" in shown and "The contact number is saved." in shown
    assert client.post("/profile/contact", data={"contact_phone": "", "password": PASSWORD}
                       ).status_code == 303
    assert profile_of(app, signed_in).contact_phone is None


@pytest.mark.parametrize("phone,password,field,message", [
    ("050 555 44 33", PASSWORD, "contact_phone", "another operator"),
    ("12", PASSWORD, "contact_phone", "not a phone number"),
    ("097 555 44 33", "wrong-Pass1", "password", "This is not your password."),
    ("097 555 44 33", "", "password", "Type your password to confirm."),
])
def test_bad_contact_numbers(client, signed_in, app, phone, password, field, message):
    response = client.post("/profile/contact", data={"contact_phone": phone,
                                                     "password": password},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert re.search(f'aria-describedby="[^"]*{field}-error"', html)
    assert 'aria-invalid="true"' in html
    assert profile_of(app, signed_in).contact_phone is None


# Adding a number -------------------------------------------------------------------------

def test_adding_a_number_with_the_code_sent_to_it(client, signed_in, other, app):
    response = client.post("/profile/numbers/add", data={"number": "097 111 22 33"})
    assert response.status_code == 200 and "We sent a 6-digit code" in response.get_data(
        as_text=True)
    code = last_code(app, OTHER)
    # In its own cabinet's language, saying what adding means.
    assert "керувати номером +380 97 111 22 33" in sms_to(app, OTHER)[0]
    assert "входите як раніше" in sms_to(app, OTHER)[0]
    response = client.post("/profile/numbers/confirm", data={"code": code})
    assert response.status_code == 303 and response.headers["Location"] == "/profile"
    # Managed from here, it stays in the cabinet it signs in to.
    assert owner_of(app, OTHER) == other.profile_id
    assert managers_of(app, OTHER) == [signed_in.profile_id]
    assert "97 111 22 33" in client.get("/profile").get_data(as_text=True)
    # now the pages may show it
    assert client.post("/numbers/select", data={"number": OTHER}).status_code == 303


def test_an_account_code_goes_to_its_contact_phone(client, signed_in, factory, app):
    owner = factory.subscriber(number="+380981112233", password=None).profile_id
    with app.app_context():
        connect(app)
        profile = models.Profile.get_by_id(owner)
        models.Profile.update(contact_phone="+380961112233").where(
            models.Profile.id == owner).execute()
    account = factory.account(profile)
    assert client.post("/profile/numbers/add", data={"number": account.number}).status_code == 200
    code = last_code(app, "+380961112233")
    assert client.post("/profile/numbers/confirm", data={"code": code}).status_code == 303
    assert owner_of(app, account.number) == owner
    assert managers_of(app, account.number) == [signed_in.profile_id]


def test_a_wrong_code_adds_nothing(client, signed_in, other, app):
    client.post("/profile/numbers/add", data={"number": OTHER})
    code = last_code(app, OTHER)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post("/profile/numbers/confirm", data={"code": wrong})
    assert response.status_code == 422 and "Wrong code. Tries left: 4." in response.get_data(
        as_text=True)
    assert owner_of(app, OTHER) == other.profile_id


def test_the_code_works_only_for_the_cabinet_that_asked(client, signed_in, other, app):
    client.post("/profile/numbers/add", data={"number": OTHER})
    code = last_code(app, OTHER)
    stranger = app.test_client()
    stranger.post("/login", data={"login": OTHER, "password": "Other-pass9"})
    response = stranger.post("/profile/numbers/confirm", data={"code": code})
    assert response.status_code == 409  # it never asked
    assert owner_of(app, OTHER) == other.profile_id


def test_confirm_without_asking(client, signed_in):
    assert client.post("/profile/numbers/confirm", data={"code": "123456"}).status_code == 409


@pytest.mark.parametrize("number,message", [
    ("", "Enter a phone number"),
    ("050 111 22 33", "another operator"),
    ("068 000 00 00", "We have no subscriber with this number."),
    ("067 123 45 67", "This number is in your cabinet already."),
    ("0981112299", "This number is closed"),
])
def test_bad_additions(client, signed_in, factory, app, number, message):
    factory.subscriber(number="+380981112299", status="closed", password=None)
    response = client.post("/profile/numbers/add", data={"number": number},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert 'aria-describedby="number-hint number-error"' in html
    assert sms_to(app, "+380981112299") == []


def test_an_account_without_a_phone_cannot_be_added(client, signed_in, factory, app):
    profile = models.Profile
    with app.app_context():
        connect(app)
        lonely = profile.create(name="Без телефону", created_at=kyiv(2026, 1, 1))
    account = factory.account(lonely)
    response = client.post("/profile/numbers/add", data={"number": account.number})
    assert response.status_code == 422 and "no contact phone" in response.get_data(as_text=True)


def test_a_new_code_waits_a_minute(client, signed_in, other, app):
    client.post("/profile/numbers/add", data={"number": OTHER})
    response = client.post("/profile/numbers/add", data={"number": OTHER})
    assert response.status_code == 429
    assert len(sms_to(app, OTHER)) == 1


# Removing a number -----------------------------------------------------------------------

def test_removing_a_number(client, signed_in, factory, app):
    second = factory.subscriber(number="+380981112233", profile=profile_of(app, signed_in))
    asked = client.post("/profile/numbers/remove", data={"number": "098 111 22 33"})
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Remove +380 98 111 22 33 from the cabinet?" in page
    assert 'name="confirm" value="yes"' in page and 'href="/profile">Cancel' in page
    assert owner_of(app, second.number) == signed_in.profile_id  # asking changes nothing
    response = client.post("/profile/numbers/remove",
                           data={"number": "098 111 22 33", "confirm": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == "/profile"
    assert owner_of(app, second.number) != signed_in.profile_id
    assert "98 111 22 33" not in client.get("/profile").get_data(as_text=True)
    assert client.post("/numbers/select", data={"number": second.number}).status_code == 404


def test_the_last_number_stays(client, signed_in, app):
    response = client.post("/profile/numbers/remove", data={"number": signed_in.number})
    assert response.status_code == 409 and "The last number stays" in response.get_data(
        as_text=True)
    assert owner_of(app, signed_in.number) == signed_in.profile_id


@pytest.mark.parametrize("number", [OTHER, "not a number", ""])
def test_nobody_removes_a_number_outside_the_profile(client, signed_in, other, app, factory,
                                                     number):
    factory.subscriber(number="+380981112233", profile=profile_of(app, signed_in))
    assert client.post("/profile/numbers/remove", data={"number": number}).status_code == 404
    assert owner_of(app, OTHER) == other.profile_id


# Sessions --------------------------------------------------------------------------------

def test_sessions_are_listed_and_one_is_ended(client, signed_in, app, auth):
    phone = app.test_client()
    phone.post("/login", data={"login": "0671234567", "password": PASSWORD},
               headers={"User-Agent": "Mozilla/5.0 (Linux; Android 10) Chrome/120.0 Safari/537"})
    html = client.get("/profile").get_data(as_text=True)
    assert "Chrome on Android" in html
    with app.app_context():
        connect(app)
        rows = list(models.AuthSession.open_for(signed_in.profile_id))
    assert len(rows) == 2
    for row in rows:
        assert row.token not in html  # the page names sessions without their secret
    phone_row = next(row for row in rows if "Android" in row.user_agent)
    response = client.post("/profile/sessions/end", data={"session": public_id(phone_row.token)})
    assert response.status_code == 303
    assert phone.get("/profile").status_code == 303  # signed out
    assert client.get("/profile").status_code == 200


def test_sign_out_everywhere(client, signed_in, app):
    phone = app.test_client()
    phone.post("/login", data={"login": "0671234567", "password": PASSWORD})
    response = client.post("/profile/sessions/end-all", data={"confirmed": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/profile").status_code == 303
    assert phone.get("/profile").status_code == 303


def test_nobody_ends_a_session_of_another_profile(client, signed_in, other, app):
    stranger = app.test_client()
    stranger.post("/login", data={"login": OTHER, "password": "Other-pass9"})
    with app.app_context():
        connect(app)
        row = models.AuthSession.open_for(other.profile_id).get()
    assert client.post("/profile/sessions/end",
                       data={"session": public_id(row.token)}).status_code == 404
    assert client.post("/profile/sessions/end", data={"session": row.token}).status_code == 404
    assert stranger.get("/profile").status_code == 200


# Settings of a number --------------------------------------------------------------------

def test_settings_show_validity_and_activation(client, signed_in):
    html = client.get("/settings").get_data(as_text=True)
    assert "01.01.2022" in html  # the SIM's activation
    assert "01.01.2023" in html  # prepaid: 12 months on, with no top-up since


@pytest.mark.parametrize("usage_type", ["topup", "transfer_in"])
def test_every_top_up_moves_the_validity(client, signed_in, app, usage_type):
    """A top-up from the operator's feed (as a card top-up or money received from another
    number writes it) keeps a prepaid number valid 12 months on."""
    with app.app_context():
        connect(app)
        models.UsageRecord.create(subscription=signed_in.id, started_at=datetime(
            2026, 11, 2, 12, 0), type=usage_type, counterpart="", quantity=1, amount=-5000)
    html = client.get("/settings").get_data(as_text=True)
    assert '<data id="valid-until" value="2027-11-02">02.11.2027</data>' in html


def test_a_contract_number_is_valid_while_the_contract_lasts(client, auth, factory):
    factory.subscriber(payment="contract", tariff="unlim")
    auth.login()
    assert "While the contract lasts" in client.get("/settings").get_data(as_text=True)


def test_the_nickname(client, signed_in, app):
    response = client.post("/settings/nickname", data={"nickname": "  Робочий  "})
    assert response.status_code == 303 and response.headers["Location"] == "/settings"
    with app.app_context():
        connect(app)
        assert models.Subscription.get_by_id(signed_in.id).nickname == "Робочий"
    assert "Робочий" in client.get("/profile").get_data(as_text=True)
    client.post("/settings/nickname", data={"nickname": ""})
    with app.app_context():
        connect(app)
        assert models.Subscription.get_by_id(signed_in.id).nickname is None


@pytest.mark.parametrize("nickname,message", [("x" * 31, "At most 30 characters."),
                                              ("a\u200bb", "Use letters, digits")])
def test_bad_nicknames(client, signed_in, app, nickname, message):
    response = client.post("/settings/nickname", data={"nickname": nickname},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert 'aria-describedby="nickname-hint nickname-error"' in html
    with app.app_context():
        connect(app)
        assert models.Subscription.get_by_id(signed_in.id).nickname is None


def test_the_nickname_goes_on_the_current_number_only(client, signed_in, other, app):
    client.post("/numbers/select", data={"number": OTHER})  # refused: not in the profile
    client.post("/settings/nickname", data={"nickname": "Чужий"})
    with app.app_context():
        connect(app)
        assert models.Subscription.get_by_id(other.id).nickname is None
        assert models.Subscription.get_by_id(signed_in.id).nickname == "Чужий"


# Device information ----------------------------------------------------------------------

def test_device_information_hides_the_puk(client, signed_in, device):
    html = client.get("/device").get_data(as_text=True)
    assert "Nokia 105" in html and "8938 0039 9202 0000 017" in html
    assert "12345678" not in html


@pytest.mark.parametrize("path", ["/settings", "/device"])
def test_settings_and_device_lead_back_to_the_cabinet(client, signed_in, factory, path):
    back = ('<p class="back"><a href="/"><span aria-hidden="true">←</span> '
            'Back to my cabinet</a></p>')
    response = client.get(path)
    assert response.status_code == 200 and back in response.get_data(as_text=True)
    # A Home Internet account on show too.
    account = factory.account(signed_in.profile)
    client.post("/numbers/select", data={"number": account.number})
    response = client.get(path)
    assert response.status_code == 200 and back in response.get_data(as_text=True)


def test_every_settings_field_has_its_own_id(client, signed_in):
    html = client.get("/settings").get_data(as_text=True)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for field in ("nickname", "threshold"):
        assert f'<label for="{field}">' in html and ids.count(field) == 1


def test_the_puk_after_the_password(client, signed_in, device, app):
    response = client.post("/device/puk", data={"password": PASSWORD})
    assert response.status_code == 200 and 'id="puk1">12345678<' in response.get_data(
        as_text=True)
    assert "12345678" not in client.get("/device").get_data(as_text=True)
    with app.app_context():
        connect(app)
        assert models.AuditEvent.get(models.AuditEvent.event == "puk_shown").subject == \
            signed_in.number


@pytest.mark.parametrize("password,status,message", [("", 422, "Type your password"),
                                                     ("Wrong-pass1", 422, "not your password")])
def test_no_puk_without_the_password(client, signed_in, device, password, status, message):
    response = client.post("/device/puk", data={"password": password},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == status and message in html and "12345678" not in html
    assert 'aria-invalid="true"' in html


def test_guessing_the_password_for_the_puk_locks(client, signed_in, device):
    for _ in range(10):
        response = client.post("/device/puk", data={"password": "Wrong-pass1"})
    assert response.status_code == 429
    response = client.post("/device/puk", data={"password": PASSWORD})
    assert response.status_code == 429 and "12345678" not in response.get_data(as_text=True)


def test_no_device_of_another_profile(client, signed_in, other, app):
    with app.app_context():
        connect(app)
        models.Device.create(subscription=other.id, phone_model="iPhone", iccid=ICCID,
                             puk1="87654321")
    client.post("/numbers/select", data={"number": OTHER})
    assert "iPhone" not in client.get("/device").get_data(as_text=True)
    assert client.post("/device/puk", data={"password": PASSWORD}).status_code == 404


def test_demo_devices_load_twice(app, demo_app):
    from portal.demo.loading import load_demo_data
    with app.app_context():
        connect(app)
        load_demo_data()
        load_demo_data()
        olena = models.Subscription.get(models.Subscription.number == "+380671234567")
        assert models.Device.get(models.Device.subscription == olena).phone_model
        assert models.Device.select().count() == 9


def test_bad_demo_sim_data_is_refused(app, clock, subscriber, tmp_path):
    """A wrong ICCID or PUK1 in demo/devices.csv stops the loader, naming the number."""
    devices = tmp_path / "devices.csv"
    devices.write_text("number,phone_model,iccid,puk1\n0671234567,Nokia 105,12345,1234\n")
    with app.app_context():
        connect(app)
        with pytest.raises(ValueError, match="bad SIM data for 0671234567"):
            load_devices(clock, devices)
        assert models.Device.select().count() == 0


# Shops -----------------------------------------------------------------------------------

def test_shops_by_city(client):
    html = client.get("/shops").get_data(as_text=True)
    assert "Kyiv" in html and "Lviv" in html and "15 Khreshchatyk St" in html
    assert "Mon–Sun 09:00–21:00" in html
    assert "<iframe" not in html and "maps." not in html


@pytest.mark.parametrize("query,present,absent", [
    ("lviv", "27 Svobody Ave", "Khreshchatyk"),
    ("Київ", "Khreshchatyk", "Svobody"),
    ("Крещатик", "Khreshchatyk", "Obolonskyi"),
    ("nowhere", "No shop matches", "Khreshchatyk"),
])
def test_shop_search(client, query, present, absent):
    html = client.get("/shops", query_string={"q": query}).get_data(as_text=True)
    assert present in html and absent not in html


def test_shop_search_fragment(client):
    response = client.get("/shops?q=lviv", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="shop-results"') and "Svobody" in html


def test_shops_in_ukrainian(client):
    html = client.get("/shops?q=lviv", headers={"Accept-Language": "uk"}).get_data(as_text=True)
    assert "просп. Свободи, 27" in html and "Пн–Нд 09:00–21:00" in html


def test_activation_date_is_shown_as_a_date(client, signed_in):
    assert date(2022, 1, 1).isoformat() in client.get("/settings").get_data(as_text=True)


def test_changes_show_in_the_request_archive(client, signed_in, other, app):
    client.post("/profile/numbers/add", data={"number": OTHER})
    client.post("/profile/numbers/confirm", data={"code": last_code(app, OTHER)})
    client.post("/settings/nickname", data={"nickname": "Робочий"})
    client.post("/profile/numbers/remove", data={"number": OTHER, "confirm": "yes"})
    html = client.get("/requests").get_data(as_text=True)
    assert "Add a number to the cabinet" in html and "Remove a number from the cabinet" in html
    assert "Change the nickname of a number" in html and "+380 97 111 22 33" in html


# A number managed from another cabinet ---------------------------------------------------

def add_with_code(client, app, number, code_to):
    client.post("/profile/numbers/add", data={"number": number})
    return client.post("/profile/numbers/confirm", data={"code": last_code(app, code_to)})


def test_a_managed_number_still_signs_in_to_its_own_cabinet(client, signed_in, other, app,
                                                            auth):
    add_with_code(client, app, OTHER, OTHER)
    auth.logout()
    assert auth.login("097 111 22 33", "Other-pass9").status_code == 303  # its holder signs in
    html = client.get("/profile").get_data(as_text=True)
    assert "Also managed by the cabinet of" in html and 'name="manager"' in html


def test_the_owner_ends_another_cabinets_managing(client, signed_in, other, app, auth):
    add_with_code(client, app, OTHER, OTHER)
    auth.logout()
    auth.login("097 111 22 33", "Other-pass9")
    with app.app_context():
        connect(app)
        (managed,) = models.ManagedNumber.select()
    assert client.post("/profile/managers/remove",
                       data={"manager": str(managed.id)}).status_code == 303
    assert managers_of(app, OTHER) == []
    auth.logout()
    auth.login()
    assert client.post("/numbers/select", data={"number": OTHER}).status_code == 404


def test_only_the_owner_ends_a_managing(client, signed_in, other, app):
    add_with_code(client, app, OTHER, OTHER)
    with app.app_context():
        connect(app)
        (managed,) = models.ManagedNumber.select()
    # The managing cabinet itself (or anyone else) cannot use the owner's form.
    response = client.post("/profile/managers/remove", data={"manager": str(managed.id)})
    assert response.status_code == 404 and managers_of(app, OTHER) == [signed_in.profile_id]
    assert client.post("/profile/managers/remove", data={"manager": "x"}).status_code == 400


def test_removing_a_managed_number_leaves_it_in_its_own_cabinet(client, signed_in, other, app):
    add_with_code(client, app, OTHER, OTHER)
    asked = client.post("/profile/numbers/remove", data={"number": OTHER})
    assert "Stop managing +380 97 111 22 33 from this cabinet?" in asked.get_data(as_text=True)
    response = client.post("/profile/numbers/remove", data={"number": OTHER, "confirm": "yes"})
    assert response.status_code == 303
    assert owner_of(app, OTHER) == other.profile_id and managers_of(app, OTHER) == []
