"""Fixed-shape queries compiled once (models.base.PreparedSQL): the rows are peewee's, and
a query whose SQL or parameters differ from its shape's fails loudly."""
import pytest

import models
from models.base import PreparedMismatch


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
