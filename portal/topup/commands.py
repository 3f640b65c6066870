"""The top-up's commands, each run every minute by a timer: `reconcile-payments` (and its
old name `expire-payments`) and `autopay`."""
import click
from flask.cli import with_appcontext

import models
from ..core import clock, sms
from . import autopay, service


def _said(counts):
    return ", ".join(f"{what} {count}" for what, count in sorted(counts.items())) or "none"


@click.command("reconcile-payments")
@with_appcontext
def reconcile_payments_command():
    """Settle the card payments still open: LiqPay's pending ones asked of LiqPay after two
    minutes (unknown ones closed after 24 hours), the demo's stuck ones taken again, and
    unconfirmed demo codes cancelled after ten minutes (run every minute)."""
    with models.db.connection_context():
        counts = service.reconcile(clock.now())
        sms.deliver_queued()  # receipts, once their transactions have committed
    click.echo(f"Payments reconciled: {_said(counts)}.")


@click.command("expire-payments")
@with_appcontext
def expire_payments_command():
    """The old name of reconcile-payments, kept for the timers that call it."""
    with models.db.connection_context():
        counts = service.reconcile(clock.now())
        sms.deliver_queued()
    click.echo(f"Payments expired: {counts['expired']}. Reconciled: {_said(counts)}.")


@click.command("autopay")
@with_appcontext
def autopay_command():
    """Charge the due automatic top-ups with the saved cards (run every minute)."""
    with models.db.connection_context():
        now = clock.now()
        monthly = autopay.enqueue_monthly(now)
        counts = service.charge_queued(now)
        sms.deliver_queued()  # each top-up's receipt, each failure's SMS
    click.echo(f"Automatic top-ups: monthly due {monthly}; charged: {_said(counts)}.")
