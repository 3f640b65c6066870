"""Services and tariffs of a number: connecting and disconnecting a service and switching
the tariff, each a done request in the archive, its fee a money event in the same
transaction under the number's lock."""

from peewee import IntegrityError

import models
from models import ServiceConnection, ServiceRequest, Subscription, TariffAllowance, UsageRecord
from rules import offers as offers_rules, services as services_rules, tariffs as tariffs_rules
from rules.dates import add_months, day_start, local_day, month_start
from ..core import catalogue, money_events
from ..orders.service import rules_subscriber


def _offer(item, fee):
    return services_rules.Offer(code=item.code, kind=item.kind, fee=fee,
                                payment=getattr(item, "payment", ""))


def service_refusal(subscription, offered, connect, promotion=None, today=None):
    """Why `subscription` may not connect (or disconnect) the service `offered` now (at a
    `promotion`'s price and on its terms, `today`, when given), or None."""
    connected = ServiceConnection.codes(subscription)
    subscriber = rules_subscriber(subscription)
    if connect and promotion is not None and offers_rules.refusal(
            promotion, subscription.kind, subscription.tariff_id, today):
        return services_rules.Refusal("offer")
    if connect:
        fee = offered.connect_fee if promotion is None else promotion.price
        return services_rules.can_connect(subscriber, _offer(offered, fee), connected)
    return services_rules.can_disconnect(subscriber, _offer(offered, 0), connected)


def change_service(offered, subscription_id, connect, now, key=None, promotion=None):
    """Connect or disconnect, in one transaction under the number's lock: the request in
    the archive, the fee a money event. A connection's `key` (from its review) makes a
    replay find the request it made instead of charging again; a `promotion` connects at
    its price once its terms are checked again under the lock. Returns the refusal, or
    None when done."""
    try:
        with models.locking_transaction():
            locked = Subscription.locked(subscription_id)
            if key and ServiceRequest.get_or_none(ServiceRequest.key == key):
                return None  # confirmed already (a replay, or a copy sent at the same moment)
            refusal = service_refusal(locked, offered, connect, promotion, local_day(now))
            if refusal is not None:
                return refusal
            fee = (0 if not connect else offered.connect_fee if promotion is None
                   else promotion.price)
            done = ServiceRequest.create(
                subscription=locked, kind=services_rules.SERVICE_CONNECT if connect
                else services_rules.SERVICE_DISCONNECT, subject=offered.code,
                state=services_rules.DONE, fee=fee, created_at=now, finished_at=now, key=key)
            if connect:
                _charge(locked, "service_fee", fee, done, now, offered.name_uk)
                ServiceConnection.create(subscription=locked, service=offered, connected_at=now)
            else:
                ServiceConnection.delete().where(
                    (ServiceConnection.subscription == locked)
                    & (ServiceConnection.service == offered)).execute()
    except IntegrityError:  # the same key confirmed at the same moment elsewhere
        if not (key and ServiceRequest.get_or_none(ServiceRequest.key == key)):
            raise
    return None


def switch_refusal(subscription, tariff, now):
    """Why `subscription` may not switch to `tariff` now, or None."""
    return services_rules.can_switch_tariff(
        rules_subscriber(subscription), _offer(tariff, tariff.switch_fee),
        ServiceRequest.last_switch_at(subscription), now)


def switch_tariff(subscription_id, tariff, now):
    """Switch the tariff under the number's lock, its fee charged: (the subscription as it
    is, None), or (it, the refusal)."""
    with models.locking_transaction():
        locked = Subscription.locked(subscription_id)
        refusal = switch_refusal(locked, tariff, now)
        if refusal is not None:
            return locked, refusal
        done = ServiceRequest.create(
            subscription=locked, kind=services_rules.TARIFF_SWITCH, subject=tariff.code,
            previous=locked.tariff_id, state=services_rules.DONE, fee=tariff.switch_fee,
            created_at=now, finished_at=now)
        _charge(locked, "tariff_fee", tariff.switch_fee, done, now,
                services_rules.SWITCH_COUNTERPART.format(tariff.name_uk))
        Subscription.update(tariff=tariff, updated_at=now).where(
            Subscription.id == locked.id).execute()
        return locked, None


def _charge(subscription, kind, fee, service_request, now, counterpart):
    """The fee of a request (`kind` 'service_fee' or 'tariff_fee') as a money event; its
    usage record is a 'service', so the charge shows among the number's expenses like the
    billing's own (named in Ukrainian, as the operator's usage feed names them). A free
    request charges nothing."""
    if fee > 0:
        money_events.debited(subscription, fee, money_events.Cause(kind, "service", counterpart),
                             now, service_request.reference)


def tariff_month(subscription, today):
    """The tariff's allowances with what the number used of each this month and what is
    left (rules.tariffs), from the month's usage records."""
    start = month_start(today)
    usages = [tariffs_rules.Usage(usage_type, prefix, minutes, kilobytes, count)
              for usage_type, prefix, minutes, kilobytes, count in UsageRecord.month_usage(
                  subscription, day_start(start),
                  day_start(add_months(start, 1)),
                  tariffs_rules.USAGE_TYPE.values())]
    return tariffs_rules.used_and_left(TariffAllowance.of(subscription.tariff_id), usages)


def promotion(code):
    """The catalogue's promotion `code`, or None."""
    return next((found for found in catalogue.promotions() if found.code == code), None)
