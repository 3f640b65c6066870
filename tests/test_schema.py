"""The schema: init-db notices a database that differs from the models (a column or an
index without its migration), migrates under one lock, and the demo's "now" is shared by
every process."""
import threading
from datetime import timedelta

import pytest

import models
from models.schema import differences
from portal.core import clock as clock_module
from tests.helpers import PG_URL, kyiv


def run_init_db(app):
    return app.test_cli_runner().invoke(args=["init-db"])


def test_a_fresh_database_matches_the_models(app, db):
    assert differences(models.all_models()) == []


# (the change, how to undo it: the PostgreSQL run shares one database, the message)
CHANGES = [
    ("ALTER TABLE profile ADD COLUMN stray INTEGER", "ALTER TABLE profile DROP COLUMN stray",
     "profile.stray: in the database, not in the models"),
    ("ALTER TABLE subscription DROP COLUMN nickname",
     "ALTER TABLE subscription ADD COLUMN nickname VARCHAR(40)",
     "subscription.nickname: in the models, not in the database"),
    ('DROP INDEX "ledger_entry_reference"',
     'CREATE INDEX "ledger_entry_reference" ON "ledger_entry" ("reference")',
     "index on ledger_entry (reference): in the models, not in the database"),
    ('CREATE INDEX "stray_index" ON "profile" ("name")', 'DROP INDEX "stray_index"',
     "index stray_index: in the database, not in the models"),
]


@pytest.mark.parametrize("change, undo, found", CHANGES)
def test_a_change_without_its_migration_stops_init_db(app, db, change, undo, found):
    models.db.execute_sql(change)
    try:
        assert found in differences(models.all_models())
        result = run_init_db(app)
        assert result.exit_code == 1
        assert f"schema: {found}" in result.output and "a migration is missing" in result.output
    finally:
        models.db.connect(reuse_if_open=True)
        models.db.execute_sql(undo)
    assert differences(models.all_models()) == []


def test_a_table_that_is_not_ours_is_no_difference(app, db):
    models.db.execute_sql('CREATE TABLE "stray" ("id" INTEGER)')
    try:
        assert differences(models.all_models()) == []
    finally:
        models.db.execute_sql('DROP TABLE "stray"')


@pytest.mark.skipif(not PG_URL, reason="SQLite cannot change a column's NULL in place")
def test_a_column_whose_null_differs_stops_init_db(app, db):
    """What peewee's diff leaves out, the check adds: NULL allowed in one, not the other."""
    models.db.execute_sql("ALTER TABLE tariff ALTER COLUMN description_uk DROP NOT NULL")
    try:
        assert differences(models.all_models()) == [
            "tariff.description_uk: NULL is allowed in the database, refused in the models"]
    finally:
        models.db.execute_sql("ALTER TABLE tariff ALTER COLUMN description_uk SET NOT NULL")


def test_nodes_started_together_migrate_once(app):
    """Four nodes run init-db at the same moment: each waits for the lock, none fails."""
    results, start = [], threading.Barrier(4)

    def node():
        start.wait()
        results.append(run_init_db(app).exit_code)

    threads = [threading.Thread(target=node) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0, 0, 0, 0]


def test_demo_processes_share_one_now(app, db, monkeypatch):
    """Two workers (or a worker and a command run later) with the same PORTAL_NOW live on
    one timeline: the second reads the offset the first fixed."""
    portal_now = kyiv(2026, 12, 4, 9, 0)
    wall = [kyiv(2030, 1, 1, 12, 0)]
    monkeypatch.setattr(clock_module, "wall_now", lambda: wall[0])
    first = clock_module.DemoClock(portal_now)
    assert first.now() == portal_now
    wall[0] += timedelta(hours=3)  # a command run three hours later, in a new process
    second = clock_module.DemoClock(portal_now)
    assert second.now() == first.now() == portal_now + timedelta(hours=3)
    other = clock_module.DemoClock(kyiv(2026, 12, 25, 9, 0))  # a new PORTAL_NOW
    assert other.now() == kyiv(2026, 12, 25, 9, 0)


def test_the_database_and_its_folder_are_private(tmp_path):
    models_db = models.open_database("sqlite:///instance-x/portal.db", tmp_path)
    models_db.close()
    assert (tmp_path / "instance-x").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "instance-x" / "portal.db").stat().st_mode & 0o777 == 0o600


def test_outside_demo_mode_the_portal_needs_its_secret_key(app, monkeypatch):
    """Each node making its own key would refuse the others' cookies, forms and codes."""
    from portal import create_app
    from portal.core.settings import SettingsError
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    with pytest.raises(SettingsError, match="PORTAL_SECRET_KEY"):
        create_app({"DATABASE_URL": app.config["DATABASE_URL"], "DEMO": False})
    monkeypatch.setenv("PORTAL_SECRET_KEY", "12345")  # taken as the text it is
    assert create_app({"DATABASE_URL": app.config["DATABASE_URL"],
                       "DEMO": False}).config["SECRET_KEY"] == "12345"
