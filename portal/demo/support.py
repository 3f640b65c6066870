"""The demo's support: three technicians, an agent and an admin of the staff console (the
demo password, and the demo's TOTP secret for their second factor), Олена's chat with an answer and her Home Internet fault with a visit
offered, Тарас's closed chat waiting for his score."""
from datetime import timedelta

from models import Chat, ChatMessage, Fault, StaffUser, Subscription, Technician, Visit
from rules import support as support_rules
from rules.dates import day_start, local_day
from ..core import security, totp
from .data import DEMO_PASSWORD

DEMO_TECHNICIANS = ("Петро Савчук", "Іван Мороз", "Оксана Руденко")


DEMO_STAFF = (("agent", support_rules.AGENT), ("admin", support_rules.ADMIN))


def load_support(demo_clock):
    """Technicians, an agent and an admin (the demo password), Олена's chat with an answer
    and her Home Internet fault with a visit offered, Тарас's closed chat waiting for his
    score. Safe to run again: each piece is made only when missing."""
    now = demo_clock.now()
    for name in DEMO_TECHNICIANS:
        if not Technician.select().where(Technician.name == name).exists():
            Technician.create(name=name)
    for login, role in DEMO_STAFF:
        if StaffUser.get_or_none(StaffUser.login == login) is None:
            StaffUser.create(login=login, role=role, created_at=now, password_changed_at=now,
                             password_hash=security.hash_password(DEMO_PASSWORD),
                             totp_secret=totp.seal(totp.DEMO_SECRET))
    agent = StaffUser.get(StaffUser.login == "agent")
    olena = Subscription.by_number("+380671234567")
    if olena and not Chat.select().where(Chat.profile == olena.profile_id).exists():
        chat = Chat.create(profile=olena.profile_id, subscription=olena, opened_at=now,
                           last_message_at=now, waiting=False)
        ChatMessage.create(chat=chat, text="Добрий день! Чому в мене повільний інтернет удома?",
                           sent_at=now - timedelta(minutes=3))
        ChatMessage.create(chat=chat, staff=agent, from_staff=True, sent_at=now,
                           text="Добрий день! Перезавантажте, будь ласка, роутер. Якщо не "
                                "допоможе, повідомте про несправність: запропонуємо візит майстра.")
    account = Subscription.by_number("10000001")
    if account and not Fault.select().where(Fault.subscription == account).exists():
        fault = Fault.create(subscription=account, problem="drops",
                             since=local_day(now) - timedelta(days=2),
                             details="Увечері зникає звʼязок на кілька хвилин.",
                             state=support_rules.FAULT_VISIT_OFFERED, created_at=now, updated_at=now)
        booked = Technician.booked(day_start(local_day(now)))
        start = next(slot for slot in support_rules.free_slots(now, booked) if local_day(slot) > local_day(now))
        Visit.create(fault=fault, technician=support_rules.free_technicians(start, now, booked)[0],
                     starts_at=start, offered_by=agent, offered_at=now)
    taras = Subscription.by_number("+380672223344")
    if taras and not Chat.select().where(Chat.profile == taras.profile_id).exists():
        chat = Chat.create(profile=taras.profile_id, subscription=taras, opened_at=now,
                           last_message_at=now, waiting=False, state=support_rules.CHAT_CLOSED,
                           closed_at=now, closed_by=agent)
        ChatMessage.create(chat=chat, text="Як поновити Домашній інтернет після паузи?",
                           sent_at=now - timedelta(minutes=10))
        ChatMessage.create(chat=chat, staff=agent, from_staff=True, sent_at=now,
                           text="Замовте відновлення в розділі «Заявки», це займе до 30 хвилин.")
