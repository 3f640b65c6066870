"""The console's staff page (admins): each staff user with the wait its wrong sign-ins
made, and a button that lifts it (as `flask --app portal unlock-staff LOGIN` does)."""
from flask import url_for
from flask_babel import gettext as _

from models import StaffUser
from ..core.web import flashed_notice, or_404, render, see_other, submitted
from . import service
from .access import bp, staff_required
from .forms import ActionForm


@bp.get("/staff/accounts")
@staff_required("unlock_staff")
def accounts(staff):
    rows = [(row, service.locked_until(row.login), bool(row.totp_secret))
            for row in StaffUser.select().order_by(StaffUser.login)]
    return render("staff/accounts.html", staff=staff, rows=rows, notice=flashed_notice())


@bp.post("/staff/accounts/<int:staff_id>/unlock")
@staff_required("unlock_staff")
def unlock(staff, staff_id):
    submitted(ActionForm())
    row = or_404(StaffUser.get_or_none(StaffUser.id == staff_id))
    service.unlock(row.login, by=f"staff:{staff.login}")
    return see_other(url_for("staff.accounts"),
                     notice=_("%(login)s may sign in again.", login=row.login))
