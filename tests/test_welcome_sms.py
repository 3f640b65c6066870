"""Welcome SMS: import-subscribers queues the login and a temporary password for each new
mobile number whose cabinet never existed; it goes inside the SMS budget, within the day
(send-sms), never twice, never for closed or business numbers unless the feed says so."""
import re

import pytest

import models
from portal.feeds import welcome
from rules.budget import Limits
from tests.helpers import burst, sms_to

HEADER = ("number,kind,name,tariff,payment,customer,status,balance,bonus_balance,"
          "activated_on,profile,welcome\n")
ROWS = [
    "0971234567,mobile,Олена,smart,prepaid,individual,active,10,0,2020-01-01,p1,",
    "0971234568,mobile,Олена,smart,prepaid,individual,active,10,0,2020-01-01,p1,",  # same cabinet
    "12345678,home_internet,Олена,fast,contract,individual,active,0,0,2021-02-03,p1,",
    "0681234567,mobile,ТОВ Ромашка,smart,contract,business,active,0,0,2019-05-06,,",
    "0681234568,mobile,ТОВ Лілія,smart,contract,business,active,0,0,2019-05-06,,yes",
    "0961234567,mobile,Петро,smart,prepaid,individual,closed,0,0,2019-05-06,,",
    "0961234568,mobile,Ірина,smart,prepaid,individual,active,0,0,2019-05-06,,no",
]


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def feed(tmp_path):
    path = tmp_path / "subscribers.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def password_in(text):
    return re.search(r"(?:пароль|password): (\w+)", text).group(1)


def welcomed(app):
    return sorted(to for to, _text in app.config["SMS_GATEWAY"].sent)


def test_new_numbers_get_one_welcome_sms_a_cabinet(app, feed):
    result = run(app, "import-subscribers", str(feed))
    assert result.exit_code == 0, result.output
    assert "7 created" in result.output and "Welcome SMS: 2 queued, 2 sent." in result.output
    assert welcomed(app) == ["+380681234568", "+380971234567"]
    text = sms_to(app, "+380971234567")[0]
    assert "+380 97 123 45 67" in text
    with app.app_context():  # the password is kept hashed only
        assert password_in(text) not in models.SmsMessage.get().text
        assert {w.state for w in models.WelcomeSms.select()} == {"sent"}


def test_the_welcome_password_signs_in_to_the_first_login(app, client, feed):
    run(app, "import-subscribers", str(feed))
    password = password_in(sms_to(app, "+380971234567")[0])
    response = client.post("/login", data={"login": "0971234567", "password": password})
    assert response.status_code == 303 and response.headers["Location"] == "/first-login"


def test_a_second_import_sends_nothing_again(app, feed):
    run(app, "import-subscribers", str(feed))
    result = run(app, "import-subscribers", str(feed))
    assert "0 created, 7 updated" in result.output and "0 queued, 0 sent" in result.output
    assert run(app, "send-sms").exit_code == 0
    assert len(welcomed(app)) == 2


def test_a_number_whose_cabinet_exists_gets_none(app, factory, tmp_path):
    owner = factory.subscriber(number="+380671234567")
    path = tmp_path / "feed.csv"
    with app.app_context():
        key = models.Profile.get_by_id(owner.profile_id).key or "own"
        models.Profile.update(key=key).where(models.Profile.id == owner.profile_id).execute()
    path.write_text(HEADER + f"0671234568,mobile,Тест,smart,prepaid,individual,active,0,0,"
                             f"2020-01-01,{key},\n", encoding="utf-8")
    assert "Welcome SMS: 0 queued" in run(app, "import-subscribers", str(path)).output


def test_a_refused_budget_leaves_it_to_send_sms_within_the_day(app, feed, clock):
    app.config["SMS_LIMITS"] = Limits(portal_day=0)
    assert "Welcome SMS: 2 queued, 0 sent." in run(app, "import-subscribers", str(feed)).output
    assert welcomed(app) == []
    app.config["SMS_LIMITS"] = Limits()
    clock.advance(minutes=1)
    assert "queued by areas: 2" in run(app, "send-sms").output
    assert welcomed(app) == ["+380681234568", "+380971234567"]
    assert "queued by areas: 0" in run(app, "send-sms").output


def test_a_subscriber_who_got_a_password_meanwhile_is_not_welcomed(app, client, feed):
    app.config["SMS_LIMITS"] = Limits(portal_day=0)
    run(app, "import-subscribers", str(feed))
    app.config["SMS_LIMITS"] = Limits()
    assert client.post("/register", data={"login": "0971234567"}).status_code == 200
    run(app, "send-sms")
    assert len(sms_to(app, "+380971234567")) == 1  # the password asked for, no welcome
    with app.app_context():
        states = {w.to: w.state for w in models.WelcomeSms.select()}
    assert states == {"+380971234567": "not_needed", "+380681234568": "sent"}


def test_send_sms_on_two_nodes_at_once_sends_each_welcome_once(app, second_node, feed):
    app.config["SMS_LIMITS"] = Limits(portal_day=0)
    run(app, "import-subscribers", str(feed))
    app.config["SMS_LIMITS"] = Limits()
    nodes = [app, second_node] * 3

    def job(index):  # the command's welcome step (a CLI runner's output is not per thread)
        with nodes[index].app_context():
            return welcome.send_due()

    assert sum(burst(6, job)) == 2
    assert welcomed(app) == ["+380681234568", "+380971234567"]


def test_a_bad_welcome_value_is_a_bad_row(app, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text(HEADER + "0971234567,mobile,Олена,smart,prepaid,individual,active,10,0,"
                             "2020-01-01,,maybe\n", encoding="utf-8")
    result = run(app, "import-subscribers", str(path))
    assert result.exit_code == 1 and "welcome ('maybe')" in result.output
