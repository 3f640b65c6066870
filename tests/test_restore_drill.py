"""The restore drill (issue 27 item 4) on the suite's database, SQLite or PostgreSQL: a
portal holding subscribers, sessions, money moves, a card payment and SMS is backed up,
restored into an empty database with deploy/restore.sh, started, and proven the same; a
subscriber signed in before the backup is still signed in on the restored portal."""
import configparser
import re
import shutil
import subprocess

import pytest

import models
from portal import create_app
from portal.database import drill
from tests.helpers import (
    PASSWORD,
    PG_URL,
    BrowserClient,
    confirmed_top_up,
    new_postgresql_database,
    page,
    review_key,
)


@pytest.fixture
def empty_database(app, tmp_path):
    """An empty database of the suite's kind to restore into (PostgreSQL: made with
    CREATE DATABASE, as the guide's createdb does)."""
    if not PG_URL:
        if not shutil.which("sqlite3"):
            pytest.skip("the sqlite3 command is not installed (apt-get install sqlite3)")
        yield f"sqlite:///{tmp_path / 'restored' / 'portal.db'}"
        return
    if not shutil.which("pg_restore"):
        pytest.skip("pg_restore is not installed")
    with new_postgresql_database("portal_restored") as url:
        yield url


def busy_portal(app, client, factory, make_staff):
    """Subscribers, a session, a top-up by card (payment, SMS code, ledger), a transfer."""
    factory.subscriber(balance=100000)
    factory.subscriber(number="+380681234567", name="Друг")
    make_staff()
    assert client.post("/login", data={"login": "0671234567", "password": PASSWORD}
                       ).status_code == 303
    assert confirmed_top_up(app, client, "0671234567", "150.50", "+380671234567"
                            ).status_code == 303
    review = client.post("/transfer", data={"target": "0681234567", "amount": "50"})
    assert client.post("/transfer", data={"target": "0681234567", "amount": "50",
                                          "number": "+380671234567",
                                          "key": review_key(page(review))}).status_code == 303


def test_a_backup_restores_into_an_empty_database_and_serves_the_same(
        app, client, factory, make_staff, empty_database, monkeypatch):
    busy_portal(app, client, factory, make_staff)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        before = drill.figures()
    assert before["rows"]["sms_message"] >= 3 and before["rows"]["payment"] == 1
    assert before["sessions"]["subscribers"] == 1 and before["rows"]["ledger_entry"] == 3
    assert before["balances"]["+380671234567"] == (100000 + 15050 - 5000, 0)

    ran = []
    original = drill._run

    def recorded(command, environment, what):
        ran.append([word.removeprefix(str(drill.ROOT) + "/") for word in command])
        return original(command, environment, what)
    monkeypatch.setattr(drill, "_run", recorded)
    result = app.test_cli_runner().invoke(args=["restore-drill", "--into", empty_database])
    assert result.exit_code == 0, result.output + (result.stderr or "")
    assert [command[0] for command in ran] == ["deploy/backup.sh", "deploy/restore.sh",
                                               ran[2][0], "deploy/wait-ready.sh"]
    assert ran[1][1].endswith(".db.gz" if "sqlite" in empty_database else ".pgdump")
    assert ran[2][0].endswith("/flask") and ran[2][1:] == ["--app", "portal", "init-db"]
    assert "Restore drill passed" in result.output
    assert "subscriptions: 2, balances total 125050 kop." in result.output
    assert "ledger: 3 entries, total 15050 kop. over 2 numbers" in result.output
    assert "sessions: 1 of subscribers, 0 of staff" in result.output

    # The restored database serves the subscriber who signed in before the backup.
    kept = models.db.obj
    restored = create_app({**{key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "DEMO", "CLOCK", "SMS_GATEWAY", "PAYMENT_PROVIDER")},
        "DATABASE_URL": empty_database})
    restored.test_client_class = BrowserClient
    try:
        browser = restored.test_client()
        browser.set_cookie("session", client.get_cookie("session").value)
        dashboard = browser.get("/")
        assert dashboard.status_code == 200
        assert '<data value="1100.50" id="balance">' in page(dashboard)
        with restored.app_context():
            models.db.connect(reuse_if_open=True)
            assert drill.differences(before, drill.figures()) == []
            models.db.close()
    finally:
        if hasattr(models.db.obj, "close_all"):
            models.db.obj.close_all()
        models.db.initialize(kept)


def test_the_drill_never_restores_into_the_database_it_backs_up(app, factory):
    factory.subscriber()
    result = app.test_cli_runner().invoke(
        args=["restore-drill", "--into", app.config["DATABASE_URL"]])
    assert result.exit_code == 2
    assert "another, empty database" in (result.stderr or result.output)


def test_restore_sh_never_overwrites_a_database(app, factory, tmp_path):
    factory.subscriber()
    url = app.config["DATABASE_URL"]
    copy = tmp_path / ("portal-x.pgdump" if url.startswith("postgres") else "portal-x.db.gz")
    copy.write_bytes(b"not really a copy")
    result = subprocess.run([str(drill.DEPLOY / "restore.sh"), str(copy)], capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "PORTAL_DATABASE_URL": url})
    assert result.returncode == 1 and "holds tables already" in result.stderr
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.Subscription.select().count() == 1


def test_the_guide_restores_with_what_the_drill_runs():
    """docs/operations.md's restore steps: deploy/restore.sh, then `systemctl start portal`,
    which runs init-db, gunicorn and wait-ready.sh, as the drill does."""
    guide = (drill.ROOT / "docs" / "operations.md").read_text()
    steps = guide.split("## Restoring a backup", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", steps, re.S).group(1)
    assert re.search(r"^  deploy/restore\.sh /var/backups/portal/portal-\S+\.db\.gz'", block,
                     re.M)
    assert re.search(r"^systemctl start portal +#", block, re.M)
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(drill.DEPLOY / "systemd" / "portal.service")
    service = parser["Service"]
    assert service["ExecStartPre"].endswith("/flask --app portal init-db")
    assert service["ExecStart"].endswith("gunicorn -c deploy/gunicorn.conf.py portal:create_app()")
    assert service["ExecStartPost"] == "/srv/portal/deploy/wait-ready.sh"
    source = (drill.ROOT / "portal" / "database" / "drill.py").read_text()
    assert '"--app", "portal", "init-db"' in source
    assert '"-c", str(DEPLOY / "gunicorn.conf.py"),\n             "portal:create_app()"' in source
