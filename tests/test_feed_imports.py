"""Both feed imports (`import-subscribers`, `import-usage`) given CSV that is malformed or
holds what no field may: each problem is `file:line: field: reason` on stderr (the line a
record starts on), the command exits 1 and nothing of the file is written."""
import pytest

import models
from tests.helpers import run_import

SUBSCRIBERS = "number,kind,name,tariff,payment,customer,status,balance,bonus_balance,activated_on,profile\n"
SUBSCRIBER = "0671111111,mobile,{name},smart,prepaid,individual,active,1,0,2020-01-01,{profile}\n"
USAGE = "number,started_at,type,counterpart,quantity,amount\n"
RECORD = "{number},2026-11-24T09:15:02,sms_in,{counterpart},1,0.50\n"
HUGE = "x" * 140_000  # over the CSV reader's 131,072 characters


def subscriber(name="Олена", profile=""):
    return SUBSCRIBER.format(name=name, profile=profile)


def record(number="+380671234567", counterpart="Kyivstar"):
    return RECORD.format(number=number, counterpart=counterpart)


def assert_refused(app, result, message, model):
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"feed.csv:{message}\n" in result.output, result.output
    assert "Nothing imported" in result.output
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert model.select().count() == 0


@pytest.mark.parametrize("rows,message", [
    (subscriber(name=HUGE), "3: name: longer than 131072 characters; the rest of the file "
                            "was not read"),
    (subscriber(name='"Олена') + subscriber() + subscriber(),
     "3: name: a quote opens here and is never closed; the rest of the file was not read"),
    (subscriber(name='"Олена"Петрівна'), "3: a closing quote is followed by more text in the "
                                         "same field; the rest of the file was not read"),
    (subscriber(profile="p1,extra"), "3: the row has 12 columns, the header has 11"),
    (subscriber(name="Оле\x00на"), "3: name ('Оле\\x00на'): holds a control character"),
    (subscriber(profile="p\t1"), "3: profile ('p\\t1'): holds a control character"),
    (subscriber(name='"Оле\nна"'), "3: name ('Оле\\nна'): holds a control character"),
    (subscriber(name='"Оле\nна"') + subscriber().replace("smart", "nope"),
     "5: tariff ('nope'): no such tariff in the catalogue"),
], ids=["field over 128 KB", "quote never closed", "text after a closing quote",
        "extra columns", "NUL", "tab", "line break", "the line after a record of two lines"])
def test_a_malformed_subscriber_feed_imports_nothing(app, tmp_path, rows, message):
    text = SUBSCRIBERS + subscriber().replace("0671111111", "0672222222") + rows
    result = run_import(app, tmp_path, "import-subscribers", text)
    assert_refused(app, result, message, models.Subscription)


@pytest.mark.parametrize("rows,message", [
    (record(counterpart=HUGE), "3: counterpart: longer than 131072 characters; the rest of "
                               "the file was not read"),
    (record(counterpart='"Kyivstar') + record() + record(),
     "3: counterpart: a quote opens here and is never closed; the rest of the file was not "
     "read"),
    (record(counterpart="Kyivstar,1,0.50,extra"),
     "3: the row has 9 columns, the header has 6"),
    (record(counterpart="Kyiv\x00star"), "3: counterpart ('Kyiv\\x00star'): holds a control "
                                         "character"),
    (record(number="+38067\x1b1234567"), "3: number ('+38067\\x1b1234567'): holds a control "
                                         "character"),
    (record(counterpart='"Kyiv\r\nstar"') + record(number="+380509999999"),
     "5: number ('+380509999999'): not a number of ours (039, 067, 068, 077, 096, 097, 098)"),
], ids=["field over 128 KB", "quote never closed", "extra columns", "NUL", "ESC",
        "the line after a record of two lines"])
def test_a_malformed_usage_feed_imports_nothing(app, tmp_path, subscriber, rows, message):
    result = run_import(app, tmp_path, "import-usage", USAGE + record() + rows)
    assert_refused(app, result, message, models.UsageRecord)


def test_problems_before_an_unreadable_record_are_reported_too(app, tmp_path):
    text = (SUBSCRIBERS + subscriber().replace("smart", "nope") + subscriber(name='"Олена'))
    result = run_import(app, tmp_path, "import-subscribers", text)
    assert "feed.csv:2: tariff ('nope')" in result.output
    assert_refused(app, result, "3: name: a quote opens here and is never closed; the rest of "
                                "the file was not read", models.Subscription)
