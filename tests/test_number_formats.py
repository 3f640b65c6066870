"""Issue 23 item 9: a number typed in any common form (the guide: '8 067 123 45 67',
'80671234567', '067-123-45-67'...) is understood by every form that takes one."""
import pytest

import models
from tests.helpers import page, sms_to

FRIEND = "+380971112233"
FORMATS = ["8 097 111 22 33", "80971112233", "097-111-22-33", "+38 (097) 111-22-33",
           "097.111.22.33"]


@pytest.fixture
def friend(factory):
    return factory.subscriber(number=FRIEND, name="Друг", balance=5000)


@pytest.mark.parametrize("login", ["8 067 123 45 67", "80671234567", "067-123-45-67",
                                   "8 (067) 123-45-67", "+380 67 123 45 67"])
def test_sign_in_with_any_format(auth, subscriber, login):
    response = auth.login(login=login)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_an_account_typed_in_groups_signs_in(auth, factory, subscriber):
    with factory.app.app_context():
        account = factory.account(subscriber.profile)
    digits = account.number
    response = auth.login(login=f"{digits[:4]} {digits[4:]}")
    assert response.status_code == 303 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", FORMATS)
def test_a_transfer_target_in_any_format(client, signed_in, friend, target):
    response = client.post("/transfer", data={"target": target, "amount": "5"})
    assert response.status_code == 200
    assert "+380 97 111 22 33" in page(response)


@pytest.mark.parametrize("to", FORMATS)
def test_a_free_sms_to_any_format(client, signed_in, friend, app, to):
    response = client.post("/sms/send", data={"to": to, "text": "Привіт!"})
    assert response.status_code == 303
    assert sms_to(app, FRIEND) == [signed_in.number + ": Привіт!"]


@pytest.mark.parametrize("target", FORMATS)
def test_a_topup_target_in_any_format(client, friend, target):
    response = client.post("/topup", data={
        "target": target, "amount": "50", "card_number": "4111111111111111",
        "card_expiry": "12/30", "card_holder": "TEST", "card_cvv": "123",
        "payer_phone": "8 050 123 45 67"})
    assert response.status_code in (200, 303), page(response)
    assert 'aria-invalid="true"' not in page(response)


def test_the_staff_look_up_in_any_format(client, signed_in, agent_client, db):
    html = page(agent_client.get("/staff/lookup?number=8+067+123+45+67"))
    assert "+380 67 123 45 67" in html
    assert models.Subscription.by_number("+380671234567") is not None


def test_a_number_that_is_still_wrong_is_refused_on_its_field(client, signed_in, friend):
    response = client.post("/transfer", data={"target": "8 97 111 22 33", "amount": "5"})
    assert response.status_code == 422
    assert "This is not a phone number" in page(response)
