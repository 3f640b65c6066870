"""Peewee models of the portal. Each area keeps its models in a module of this package;
import them here so `all_models()` (what `init-db` creates) sees every table."""
from peewee import sort_models

from .autopay import AutopayRule, SavedCard
from .base import (
    BaseModel,
    built,
    db,
    for_update,
    is_sqlite,
    lock_name,
    locking_transaction,
    open_database,
    prepared,
    prepared_rows,
)
from .budget import HeldNotice, RateEvent
from .credit import Credit
from .demo import DemoTimeline
from .ledger import LedgerEntry
from .money import BonusAccrual, BonusLot, ServiceInterruption, Transfer
from .payments import Payment
from .profile import Device, FreeSms, Shop
from .security import AuditEvent, FailedAttempt, OneTimeCode
from .services import Service, ServiceConnection, ServiceRequest, TariffAllowance
from .sms import SmsCount, SmsMessage, SmsPace
from .subscribers import AuthSession, ManagedNumber, Profile, Subscription, Tariff
from .support import Chat, ChatMessage, Fault, StaffSession, StaffUser, Technician, Visit
from .tokens import ApiCallCount, ApiToken
from .usage import UsageDay, UsageRecord
from .welcome import WelcomeSms


def all_models():
    found, stack = [], list(BaseModel.__subclasses__())
    while stack:
        model = stack.pop()
        found.append(model)
        stack.extend(model.__subclasses__())
    return sort_models(found)
