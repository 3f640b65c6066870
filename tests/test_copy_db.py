"""`flask --app portal copy-db --to URL`: the move from SQLite to PostgreSQL."""

import pytest

import models
from tests.helpers import PG_URL, new_postgresql_database


@pytest.fixture
def filled(app, factory, client):
    """A cabinet with a number and an account, a session and an audit trail."""
    subscriber = factory.subscriber()
    factory.account(subscriber.profile, bonus_balance=25000)
    factory.subscriber(number="+380681234567", name="Інший", balance=-1250)
    client.post("/login", data={"login": "0671234567", "password": "Test-pass7"})
    client.post("/login", data={"login": "0681234567", "password": "wrong-pass1"})
    return app


def rows(database):
    """Every table's rows, in primary-key order, as the models read them."""
    return {model._meta.table_name: list(
        model.select().order_by(*model._meta.get_primary_keys()).tuples().execute(database))
        for model in models.all_models()}


def copy(app, url):
    return app.test_cli_runner().invoke(args=["copy-db", "--to", url])


def test_copies_every_row(filled, tmp_path):
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    result = copy(filled, url)
    assert result.exit_code == 0, result.output
    source = models.db.obj
    target = models.open_database(url, tmp_path)
    with source.connection_context(), target.connection_context():
        expected, copied = rows(source), rows(target)
    assert copied == expected
    assert copied["subscription"] and copied["audit_event"] and copied["auth_session"]
    assert f"Copied {sum(map(len, expected.values()))} rows" in result.output


def test_refuses_a_target_that_holds_subscribers(filled, tmp_path):
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    assert copy(filled, url).exit_code == 0
    again = copy(filled, url)
    assert again.exit_code != 0 and "holds subscribers already" in again.output


@pytest.mark.parametrize("url", ["mysql://nobody@localhost/portal", "nonsense"])
def test_refuses_a_target_it_cannot_open(filled, url):
    result = copy(filled, url)
    assert result.exit_code == 2 and "Cannot open" in result.output


def test_refuses_to_copy_onto_itself(filled):
    result = copy(filled, filled.config["DATABASE_URL"])
    assert result.exit_code == 2


@pytest.fixture
def empty_postgresql():
    if not PG_URL:
        pytest.skip("PORTAL_TEST_DATABASE_URL is not set: the copy into PostgreSQL is "
                    "tested in the PostgreSQL run")
    with new_postgresql_database("portal_copy") as url:
        yield url


def test_sqlite_to_postgresql(filled, tmp_path, empty_postgresql):
    """The real move: from a SQLite copy of the data into an empty PostgreSQL database,
    whose id counters then go on after the copied rows."""
    from portal import create_app
    sqlite_url = f"sqlite:///{tmp_path / 'portal.db'}"
    assert copy(filled, sqlite_url).exit_code == 0
    on_sqlite = create_app({**filled.config, "DATABASE_URL": sqlite_url})
    result = copy(on_sqlite, empty_postgresql)
    assert result.exit_code == 0, result.output
    source = models.open_database(sqlite_url, tmp_path)
    target = models.open_database(empty_postgresql, tmp_path)
    with source.connection_context(), target.connection_context():
        assert rows(target) == rows(source)
        with target.bind_ctx([models.Profile]):
            newest = models.Profile.select().order_by(models.Profile.id.desc()).first()
            added = models.Profile.create(name="Новий", created_at=newest.created_at)
        assert added.id > newest.id
    target.close()
