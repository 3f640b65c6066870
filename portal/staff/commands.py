"""The staff console's commands: `create-staff`, `unlock-staff`, `add-technician`,
`technicians`."""

import click
from flask.cli import with_appcontext

import models
from models import AuditEvent, StaffSession, StaffUser, Technician
from rules import support as support_rules
from rules.dates import day_start, local_day
from rules.passwords import check_password
from ..core import clock, security, totp
from . import service

PASSWORD_RULE_TEXTS = {
    "length": "at least 6 characters",
    "max_length": "at most 128 characters",
    "kinds": "at least two kinds of characters (small letters, capitals, digits, others)",
    "repeats": "no character more than twice",
    "common": "not one of the most common passwords",
}


@click.command("create-staff")
@with_appcontext
@click.argument("login")
@click.option("--role", required=True, type=click.Choice(support_rules.ROLES),
              help="agent: chats, requests, look-ups; admin: also reads the audit log")
def create_staff_command(login, role):
    """Create a staff console user (or set a new password and role for one), asking for the
    password twice."""
    try:
        login = support_rules.check_staff_login(login)
    except support_rules.SupportError as exc:
        raise click.BadParameter("3 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter",
                                 param_hint="LOGIN") from exc
    password = click.prompt("Password", hide_input=True, confirmation_prompt="Password again")
    unmet = [check.code for check in check_password(password) if not check.met]
    if unmet:
        raise click.ClickException("the password does not meet the rules: "
                                   + "; ".join(PASSWORD_RULE_TEXTS[code] for code in unmet))
    now = clock.now()
    secret = totp.new_secret()
    with models.db.connection_context(), models.db.atomic():
        staff = StaffUser.get_or_none(StaffUser.login == login)
        if staff is None:
            StaffUser.create(login=login, role=role, password_hash=security.hash_password(password),
                             created_at=now, password_changed_at=now,
                             totp_secret=totp.seal(secret))
            event = "staff_created"
        else:
            StaffUser.update(role=role, password_hash=security.hash_password(password),
                             password_changed_at=now, totp_secret=totp.seal(secret),
                             totp_last_step=None).where(StaffUser.id == staff.id).execute()
            StaffSession.update(ended_at=now).where((StaffSession.staff == staff)
                                                    & StaffSession.ended_at.is_null()).execute()
            event = "staff_updated"
        AuditEvent.create(at=now, event=event, actor="cli", subject=f"staff:{login}",
                          details=f"role {role}")
    done = "created" if event == "staff_created" else "updated"
    click.echo(f"Staff user {login} ({role}) {done}.")
    click.echo("Second factor: add this to the authenticator app (shown this once); every "
               "sign-in asks for its code.")
    click.echo(f"  secret: {secret}")
    click.echo(f"  URI:    {totp.provisioning_uri(login, secret)}")


@click.command("unlock-staff")
@with_appcontext
@click.argument("login")
def unlock_staff_command(login):
    """Lift a staff account's sign-in lock (the wait its wrong sign-ins made)."""
    login = login.strip().lower()
    with models.db.connection_context():
        if StaffUser.get_or_none(StaffUser.login == login) is None:
            raise click.ClickException(f"no staff user {login}")
        service.unlock(login, by="cli")
    click.echo(f"Staff user {login} may sign in again.")


@click.command("add-technician")
@with_appcontext
@click.argument("name")
def add_technician_command(name):
    """Add a Home Internet technician whose days the visit offers fill (8 visits a day)."""
    name = " ".join(name.split())
    if not 2 <= len(name) <= 100:
        raise click.BadParameter("from 2 to 100 characters", param_hint="NAME")
    with models.db.connection_context(), models.db.atomic():
        technician = Technician.create(name=name)
        AuditEvent.create(at=clock.now(), event="technician_added",
                          actor="cli", subject=f"technician:{technician.id}", details=name)
    click.echo(f"Technician {technician.id}: {name}.")


@click.command("technicians")
@with_appcontext
@click.option("--retire", type=int, metavar="ID",
              help="No new visits for this technician; the visits booked stay.")
def technicians_command(retire):
    """List the technicians with their visits booked from today on, or retire one."""
    now = clock.now()
    with models.db.connection_context():
        if retire is not None:
            updated = Technician.update(active=False).where(Technician.id == retire).execute()
            if not updated:
                raise click.ClickException(f"no technician {retire}")
            AuditEvent.create(at=now, event="technician_retired", actor="cli",
                              subject=f"technician:{retire}")
        booked = Technician.booked(day_start(local_day(now)))
        for technician in Technician.select().order_by(Technician.id):
            state = (f"{len(booked.get(technician.id, []))} visits ahead" if technician.active
                     else "retired")
            click.echo(f"{technician.id}\t{technician.name}\t{state}")


def init_app(app):
    app.cli.add_command(create_staff_command)
    app.cli.add_command(unlock_staff_command)
    app.cli.add_command(add_technician_command)
    app.cli.add_command(technicians_command)
