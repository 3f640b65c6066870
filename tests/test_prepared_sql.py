"""Fixed-shape queries compiled once (models.base.PreparedSQL): the rows are peewee's, and
a query whose SQL or parameters differ from its shape's fails loudly."""
from datetime import date, datetime, timedelta

import pytest
from peewee import JOIN

import models
from models.base import PreparedMismatch
from tests.helpers import START


def test_a_prepared_query_gives_the_rows_peewee_gives(app, subscriber):
    with app.app_context():
        query = models.Subscription.select(models.Subscription, models.Tariff).join(
            models.Tariff).where(models.Subscription.id == subscriber.id)
        plain = list(query)
        first = list(models.prepared(query, "test.by_id", subscriber.id))
        again = list(models.prepared(query, "test.by_id", subscriber.id))
        assert [(s.id, s.number, s.tariff.code) for s in first] == \
            [(s.id, s.number, s.tariff.code) for s in plain] == \
            [(s.id, s.number, s.tariff.code) for s in again]
        assert "test.by_id" in models.db.obj.prepared_sql


def test_the_cached_text_is_reused(app, subscriber, monkeypatch):
    monkeypatch.setattr(models.base.PreparedSQL, "verify", False)
    with app.app_context():
        query = models.Subscription.select().where(models.Subscription.id == subscriber.id)
        list(models.prepared(query, "test.reused", subscriber.id))
        models.db.obj.prepared_sql["test.reused"] += " AND 1 = 0"  # what runs is the cache
        assert list(models.prepared(query, "test.reused", subscriber.id)) == []


@pytest.mark.parametrize("params", [(), (1, 2), ("other",)])
def test_wrong_parameters_fail(app, subscriber, params):
    with app.app_context():
        query = models.Subscription.select().where(models.Subscription.id == subscriber.id)
        with pytest.raises(PreparedMismatch):
            list(models.prepared(query, "test.wrong", *params))


def test_another_shape_under_one_name_fails_when_verified(app, subscriber):
    with app.app_context():
        Subscription = models.Subscription
        list(models.prepared(Subscription.select().where(Subscription.id == subscriber.id),
                             "test.shape", subscriber.id))
        with pytest.raises(PreparedMismatch):
            list(models.prepared(Subscription.select().where(Subscription.number == "x"),
                                 "test.shape", "x"))


def test_a_copy_made_after_the_mark_runs_as_built(app, subscriber):
    with app.app_context():
        Subscription = models.Subscription
        marked = models.prepared(Subscription.select().where(Subscription.id == subscriber.id),
                                 "test.copied", subscriber.id)
        list(marked)
        narrowed = marked.where(Subscription.number == "nobody")  # a copy: its own SQL
        assert list(narrowed) == []
        assert marked.first().id == subscriber.id  # first() adds a LIMIT to a copy


def _data(instance):
    return None if instance is None else (type(instance), instance.__data__, instance._dirty)


def test_rows_built_from_the_driver_are_the_models_peewee_builds(app, client, signed_in,
                                                                  factory):
    """The session and the cabinet's numbers, read raw (models.prepared_rows, built): the
    same fields, values and types as peewee's own rows, with nothing marked dirty."""
    from portal.core import auth
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        profile = models.Profile.get_by_id(signed_in.profile_id)
        factory.account(profile)  # a number without a SIM card's device
        models.Device.create(subscription=signed_in.id, phone_model="Nokia 105",
                             iccid="8938003992020000017", puk1="12345678")
        token = models.AuthSession.get(models.AuthSession.profile == profile).token
    with app.test_request_context("/"):
        models.db.connect(reuse_if_open=True)
        session = models.AuthSession.signed_in(token, lambda row: auth.IDLE, START)
        expected = models.AuthSession.select(models.AuthSession, models.Profile).join(
            models.Profile).where(models.AuthSession.token == token).get()
        assert _data(session) == _data(expected)
        assert _data(session.profile) == _data(expected.profile)
        assert isinstance(session.created_at, datetime) and session.remember is False

        auth.login_manager._update_request_context_with_user(auth.load_session(token))
        numbers = auth.own_subscriptions()
        Subscription, Device = models.Subscription, models.Device
        peewees = list(Subscription.select(Subscription, models.Tariff, Device.phone_model)
                       .join(models.Tariff).switch(Subscription)
                       .join(Device, JOIN.LEFT_OUTER, on=(Device.subscription == Subscription.id),
                             attr="device")
                       .where(Subscription.in_cabinet(profile.id))
                       .order_by(Subscription.kind.desc(), Subscription.number))
        assert [_data(n) for n in numbers] == [_data(n) for n in peewees]
        assert [_data(n.tariff) for n in numbers] == [_data(n.tariff) for n in peewees]
        assert [_data(n.device) for n in numbers] == \
            [_data(getattr(n, "device", None)) for n in peewees]
        assert [n.device and n.device.phone_model for n in numbers] == ["Nokia 105", None]
        assert isinstance(numbers[0].activated_on, date)


@pytest.mark.parametrize("verify", [True, False], ids=["compiled", "cached"])
def test_raw_rows_take_an_instant_as_peewee_writes_it(app, subscriber, monkeypatch, verify):
    """An instant parameter is written as UTC once, whether the SQL is compiled now or
    taken from the cache (converted twice, a wall time would move by Kyiv's offset)."""
    monkeypatch.setattr(models.base.PreparedSQL, "verify", verify)
    with app.app_context():
        Subscription = models.Subscription
        Subscription.update(updated_at=START).where(Subscription.id == subscriber.id).execute()

        def ids_since(moment):
            return [row[0] for row in models.prepared_rows(
                "test.updated_since", lambda: Subscription.select(Subscription.id).where(
                    Subscription.updated_at >= moment), moment)]
        ids_since(START)  # the SQL compiled and kept
        assert ids_since(START) == [subscriber.id]
        assert ids_since(START + timedelta(microseconds=1)) == []
