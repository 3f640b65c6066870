"""Operators' commands: init-db, demo-data, import-subscribers."""
import pytest

import models
from portal.demo.data import DEMO_PASSWORD
from tests.helpers import run_import

HEADER = "number,kind,name,tariff,payment,customer,status,balance,bonus_balance,activated_on,profile\n"


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_init_db_is_safe_to_run_again(app):
    first = run(app, "init-db")
    second = run(app, "init-db")
    assert first.exit_code == second.exit_code == 0
    assert "tariffs: 10" in second.output


def test_demo_data_loads_once_and_signs_in(app, client):
    assert run(app, "demo-data").exit_code == 0
    assert run(app, "demo-data").exit_code == 0
    with app.app_context():
        assert models.Subscription.select().count() == 12
        assert models.Profile.select().count() == 8
    response = client.post("/login", data={"login": "0671234567", "password": DEMO_PASSWORD})
    assert response.status_code == 303
    reset = run(app, "demo-data", "--reset")
    assert reset.exit_code == 0
    with app.app_context():
        assert models.Subscription.select().count() == 12


def test_demo_data_if_empty_leaves_real_data(app, tmp_path):
    run_import(app, tmp_path, "import-subscribers",
               HEADER + "0971234567,mobile,A,smart,prepaid,individual,active,1,0,2020-01-01,\n")
    result = run(app, "demo-data", "--if-empty")
    assert "not loaded" in result.output
    with app.app_context():
        assert models.Subscription.select().count() == 1


def test_import_creates_then_updates(app, tmp_path):
    result = run_import(app, tmp_path, "import-subscribers", HEADER
                        + "+380 97 123 45 67,mobile,Олена,smart,prepaid,individual,active,10.50,0,2020-01-01,p1\n"
                        + "12345678,home_internet,Олена,fast,contract,individual,active,0,100,2021-02-03,p1\n"
                        + "0681234567,mobile,Петро,unlim,contract,business,debt_blocked,-20,0,2019-05-06,\n")
    assert result.exit_code == 0 and "3 created, 0 updated" in result.output
    result = run_import(app, tmp_path, "import-subscribers", HEADER
                        + "0971234567,mobile,Олена,unlim,contract,individual,suspended,-1,0,2020-01-01,p1\n")
    assert "0 created, 1 updated" in result.output
    with app.app_context():
        olena = models.Subscription.by_number("+380971234567")
        assert (olena.tariff_id, olena.balance, olena.status) == ("unlim", -100, "suspended")
        assert models.Subscription.by_number("12345678").profile_id == olena.profile_id
        assert models.Subscription.by_number("+380681234567").profile_id != olena.profile_id


@pytest.mark.parametrize("row,message", [
    ("0501234567,mobile,A,smart,prepaid,individual,active,1,0,2020-01-01,", "number ('0501234567'): not a number of ours"),
    ("0971234567,mobile,A,nope,prepaid,individual,active,1,0,2020-01-01,", "tariff ('nope'): no such tariff"),
    ("0971234567,mobile,A,smart,prepaid,individual,active,1.001,0,2020-01-01,", "balance ('1.001')"),
    ("0971234567,mobile,A,smart,prepaid,individual,frozen,1,0,2020-01-01,", "status ('frozen')"),
    ("0971234567,mobile,A,smart,prepaid,individual,active,1,0,01.01.2020,", "activated_on ('01.01.2020'): not a date"),
    ("1234,home_internet,A,fast,contract,individual,active,1,0,2020-01-01,", "number ('1234'): not an 8-digit"),
])
def test_a_bad_row_imports_nothing(app, tmp_path, row, message):
    result = run_import(app, tmp_path, "import-subscribers", HEADER
                        + "0671111111,mobile,Good,smart,prepaid,individual,active,1,0,2020-01-01,\n"
                        + row + "\n")
    assert result.exit_code == 1
    assert f"feed.csv:3: {message}" in result.output
    assert "Nothing imported" in result.output
    with app.app_context():
        assert models.Subscription.select().count() == 0


def test_import_reports_duplicates_and_missing_columns(app, tmp_path):
    row = "0971234567,mobile,A,smart,prepaid,individual,active,1,0,2020-01-01,\n"
    result = run_import(app, tmp_path, "import-subscribers", HEADER + row + row)
    assert result.exit_code == 1 and ":3: number: the same number is on an earlier line (2)" in result.output
    result = run_import(app, tmp_path, "import-subscribers", "number,kind\n0971234567,mobile\n")
    assert result.exit_code == 1 and "missing columns: name, tariff" in result.output


def test_import_of_a_missing_or_binary_file(app, tmp_path):
    assert run(app, "import-subscribers", str(tmp_path / "none.csv")).exit_code == 2
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = run(app, "import-subscribers", str(binary))
    assert result.exit_code == 1 and "not UTF-8" in result.output
