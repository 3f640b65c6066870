"""Each SMS is written in the language of the cabinet that holds the number it goes to:
Ukrainian unless its owner chose another (the footer's switch, signed in or just before
signing in); a number of no cabinet (a payer on another network) gets the language of the
page its owner is on. Amounts and codes are written for that language."""
import re

import models
from tests.helpers import PASSWORD, last_code, page, review_key, sms_to

FRIEND = "+380681234567"


def choose_language(client, language):
    return client.post("/language", data={"lang": language, "next": "/"})


def test_the_language_chosen_in_the_footer_is_kept_on_the_cabinet(app, client, signed_in, db):
    choose_language(client, "ru")
    assert models.Profile.get_by_id(signed_in.profile_id).language == "ru"
    client.post("/logout")
    client.post("/login/sms", data={"login": signed_in.number})
    assert sms_to(app, signed_in.number)[0].startswith("Ваш код для входа: ")


def test_a_language_chosen_before_signing_in_is_kept_at_sign_in(app, client, subscriber, db):
    choose_language(client, "en")
    client.post("/login", data={"login": subscriber.number, "password": PASSWORD})
    assert models.Profile.get_by_id(subscriber.profile_id).language == "en"


def test_money_sms_go_in_each_side_s_language(app, client, signed_in, factory, db):
    """The sender chose English; the recipient kept Ukrainian: each reads their own."""
    factory.subscriber(number=FRIEND, balance=0, name="Друг")
    choose_language(client, "en")
    models.Subscription.update(balance=200000).where(
        models.Subscription.id == signed_in.id).execute()
    review = page(client.post("/transfer", data={"target": FRIEND, "amount": "1000"}))
    client.post("/transfer", data={"number": signed_in.number, "target": FRIEND,
                                   "amount": "1000", "key": review_key(review)})
    assert sms_to(app, signed_in.number)[0].startswith(
        "Transfer of 1,000.00\u00a0₴ to +380 68 123 45 67 is done.")
    assert sms_to(app, FRIEND)[0].startswith(
        "Вам надійшло 1\u00a0000,00\u00a0₴ з номера +380 67 123 45 67.")


def test_a_payer_of_no_cabinet_gets_the_page_s_language(app, client, factory, db):
    factory.subscriber(number=FRIEND)
    card = {"card_number": "4111 1111 1111 1111", "card_expiry": "08/28",
            "card_holder": "OLENA KOVALENKO", "card_cvv": "123"}
    client.post("/topup", data={"target": FRIEND, "amount": "50", "payer_phone": "0501234567",
                                **card}, headers={"Accept-Language": "ru"})
    text = sms_to(app, "+380501234567")[0]
    assert text.startswith("Код ") and "50,00\u00a0₴" in text
    assert re.search(r"\b\d{6}\b", text).group(0) == last_code(app, "+380501234567")
