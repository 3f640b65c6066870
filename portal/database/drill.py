"""The restore drill (`flask --app portal restore-drill --into URL`, `make restore-drill`):
back the portal's database up with deploy/backup.sh, restore the copy into an empty
database with deploy/restore.sh (the steps of docs/operations.md), start the portal on it
as its unit does (init-db, then gunicorn, ready when deploy/wait-ready.sh says so), and
compare the figures: every balance, the ledger's totals, the sessions, every table's rows."""
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from peewee import fn

import models
from .service import ROOT

DEPLOY = ROOT / "deploy"


class DrillFailed(RuntimeError):
    """A step of the drill did not work; the message says which and why."""


def figures():
    """What a restore must keep, read from the current database."""
    ledger = models.LedgerEntry
    return {
        "balances": {number: (balance, bonuses) for number, balance, bonuses in
                     models.Subscription.select(models.Subscription.number,
                                                models.Subscription.balance,
                                                models.Subscription.bonus_balance).tuples()},
        "ledger": {number: (int(money), int(bonuses)) for number, money, bonuses in
                   ledger.select(models.Subscription.number,
                                 fn.COALESCE(fn.SUM(ledger.balance_change), 0),
                                 fn.COALESCE(fn.SUM(ledger.bonus_change), 0))
                   .join(models.Subscription).group_by(models.Subscription.number).tuples()},
        "sessions": {"subscribers": models.AuthSession.select().count(),
                     "staff": models.StaffSession.select().count()},
        "rows": {model._meta.table_name: model.select().count()
                 for model in models.all_models()},
    }


def summary(found):
    """The figures in a few lines an operator reads."""
    money = sum(balance for balance, _ in found["balances"].values())
    ledger_money = sum(total for total, _ in found["ledger"].values())
    return [f"subscriptions: {len(found['balances'])}, balances total {money} kop.",
            f"ledger: {found['rows']['ledger_entry']} entries, total {ledger_money} kop. "
            f"over {len(found['ledger'])} numbers",
            f"sessions: {found['sessions']['subscribers']} of subscribers, "
            f"{found['sessions']['staff']} of staff",
            f"SMS: {found['rows']['sms_message']}, payments: {found['rows']['payment']}, "
            f"tables: {len(found['rows'])}, rows: {sum(found['rows'].values())}"]


def differences(before, after):
    """Where the restored figures differ from the original's (empty: none)."""
    found = []
    for part in before:
        for key in sorted(set(before[part]) | set(after[part])):
            if before[part].get(key) != after[part].get(key):
                found.append(f"{part} {key}: {before[part].get(key)} before, "
                             f"{after[part].get(key)} restored")
    return found


def _run(command, environment, what):
    result = subprocess.run(command, capture_output=True, text=True, env=environment,
                            cwd=ROOT, timeout=600)
    if result.returncode != 0:
        raise DrillFailed(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drill(source_url, target_url, secret_key, echo=print):
    """Run the whole drill from `source_url` into the empty `target_url`; returns the
    figures (the same on both sides) or raises DrillFailed."""
    before = figures()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="restore-drill-") as work:
        environment = {**os.environ, "PORTAL_DATABASE_URL": source_url,
                       "BACKUP_DIR": str(Path(work) / "backups")}
        printed = _run([str(DEPLOY / "backup.sh")], environment, "deploy/backup.sh")
        echo(printed.strip())
        [copy] = list((Path(work) / "backups").iterdir())
        environment["PORTAL_DATABASE_URL"] = target_url
        echo(_run([str(DEPLOY / "restore.sh"), str(copy)], environment,
                  "deploy/restore.sh").strip())
        # The portal on the restored database, as portal.service starts it.
        port = _free_port()
        environment.update(PORT=str(port), WEB_CONCURRENCY="1", PORTAL_SECRET_KEY=secret_key,
                           PORTAL_DEMO="0", PROMETHEUS_MULTIPROC_DIR=str(Path(work) / "m"))
        _run([str(bin_dir / "flask"), "--app", "portal", "init-db"], environment, "init-db")
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"),
             "portal:create_app()"], cwd=ROOT, env=environment,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            echo(_run([str(DEPLOY / "wait-ready.sh")], environment,
                      "the portal on the restored database").strip()
                 or f"the portal on the restored database is ready (port {port})")
            after = _figures_of(target_url)
        finally:
            server.terminate()
            server.wait(30)
    wrong = differences(before, after)
    if wrong:
        raise DrillFailed("the restored database differs: " + "; ".join(wrong[:20]))
    return after


def _figures_of(url):
    kept = models.db.obj
    target = models.open_database(url, ROOT)
    models.db.initialize(target)
    try:
        with target.connection_context():
            return figures()
    finally:
        models.db.initialize(kept)
        if hasattr(target, "close_all"):
            target.close_all()
