"""Payments and expenses of the current number: the report page, its CSV and PDF, and the
dashboard's spending panel. All three renderings take the same selection (period and type)
from the same parser and the same queries, so their figures cannot drift apart."""
import csv
import io
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice

import models
from models.usage import Report
from rules import services as services_rules
from rules.dates import local
from rules.expenses import (
    PAYMENTS,
    SPENDING_GROUPS,
    asks_for_days,
    bar_chart,
    format_cursor,
    parse_cursor,
    parse_group,
    parse_period,
    spending_groups,
    types_of,
)
from rules.spreadsheet import text_cell
from ..core import clock, compression
from ..core.auth import current_subscription, current_subscription_or_404
from ..core.formatting import Reader, day, iso_moment, moment, sheet_amount
from ..core.i18n import current_locale
from ..core.web import INVALID_FORM, is_fragment_request, render, render_part
from . import service
from .labels import GROUP_LABELS, TYPE_LABELS, Names, quantity_text, translated
from .pdf import report_pdf as build_pdf

bp = Blueprint("expenses", __name__)

PAGE_SIZE = 50


def period_message(error):
    """A PeriodError in the reader's language."""
    p = error.params
    if error.code == "month_format":
        return _("Choose a month, like 2026-11.")
    if error.code == "too_early":
        return _("Reports start from %(earliest)s.", earliest=day(p["earliest"]))
    if error.code == "future" and error.field == "month":
        return _("This month has not begun yet.")
    if error.code == "future":
        return _("The first day cannot be later than today, %(today)s.",
                 today=day(p["latest"]))
    if error.code == "mixed":
        return _("Choose either a month or a span of days, not both.")
    if error.code == "required":
        return _("Choose the first day.") if error.field == "from" else _("Choose the last day.")
    if error.code == "date_format":
        return _("Type a date like 2026-11-24.")
    if error.code == "before_start":
        return _("The last day cannot be before the first day, %(start)s.",
                 start=day(p["start"]))
    if error.code == "too_long":
        return _("A span can be at most %(max_days)s days and this one has %(days)s. "
                 "Choose a last day no later than %(latest_end)s, or a whole month.",
                 max_days=p["max_days"], days=p["days"], latest_end=day(p["latest_end"]))
    return _("Choose a type from the list.")


TYPE_GROUPS = SPENDING_GROUPS + (PAYMENTS,)
TYPE_CHOICES = [SelectChoice("", _l("Everything"))] + [
    SelectChoice(group, GROUP_LABELS[group]) for group in TYPE_GROUPS]


class MonthForm(Form):
    month = StringField(_l("Month"))
    type = SelectField(_l("Type"), choices=TYPE_CHOICES, validate_choice=False)


class SpanForm(Form):
    date_from = StringField(_l("First day"), name="from")
    date_to = StringField(_l("Last day"), name="to")
    type = SelectField(_l("Type"), choices=TYPE_CHOICES, validate_choice=False)


@dataclass
class Selection:
    """What a report shows: one subscription's records of one period and type group."""
    subscription: object
    period: object
    group: str

    @property
    def types(self):
        return types_of(self.group)

    def query(self, **extra):
        params = dict(self.period.query())
        if self.group:
            params["type"] = self.group
        params.update(extra)
        return params

    def report(self):
        return Report(self.subscription, self.period, self.types)

    def summary(self):
        return service.report_summary(self.subscription, self.period, self.types)


def parse_selection():
    """The selection in the URL, or (None, the period forms with each field's errors) when
    it is refused."""
    subscription = current_subscription_or_404()
    args = request.args
    # Each name's first value, read from a dict: werkzeug's get() answers a name the URL
    # lacks (most of these, most of the time) by building and raising a BadRequestKeyError.
    given = args.to_dict()
    month, start, end = given.get("month"), given.get("from"), given.get("to")
    period, errors = parse_period(month, start, end, clock.today())
    group, group_errors = parse_group(given.get("type"))
    errors += group_errors
    if errors:
        return None, period_forms(args, asks_for_days(month, start, end), errors)
    return Selection(subscription, period, group), {}


def period_forms(args, by_days, errors=()):
    """The two period forms as `args` fill them, with `errors` (PeriodErrors) on their
    fields."""
    month_form, span_form = MonthForm(args), SpanForm(args)
    if not by_days:
        span_form.date_from.data = span_form.date_to.data = ""
    for error in errors:
        form = span_form if error.field in ("from", "to") or (
            error.field == "type" and by_days) else month_form
        field = {"month": form._fields.get("month"), "from": span_form.date_from,
                 "to": span_form.date_to, "type": form.type}[error.field]
        field.errors = list(field.errors or []) + [period_message(error)]
    return {"month_form": month_form, "span_form": span_form}


def _shown(selection, type_given):
    """What an accepted selection's forms show, as the URL's (name, value) pairs: its month
    ('2026-11') or its days ('2026-11-03'), and its type if the URL gave one (else no
    option is marked)."""
    period = selection.period
    shown = (("month", period.month),) if period.is_month else (
        ("from", period.start.isoformat()), ("to", period.end.isoformat()))
    return shown + ((("type", selection.group),) if type_given else ())


def accepted_forms(selection, type_given):
    """The period forms of an accepted selection, showing it as the report reads it."""
    return period_forms(MultiDict(_shown(selection, type_given)), not selection.period.is_month)


# Period forms kept as HTML, by language, script root and what the forms show; emptied
# when full (this month and the last few, in each type and language, are a few hundred).
KEPT_PERIOD_FORMS = 512


def kept_period_forms(selection, type_given):
    """The period forms of an accepted selection, as HTML. They show only the period and
    type asked for, the same for everyone in one language, so each is made once: building
    the two WTForms forms and rendering them was 0.16 of a report's 2.79 ms in one process.
    The key is what they are made from."""
    shown = _shown(selection, type_given)
    key = (current_locale(), request.script_root, *shown)
    kept = current_app.extensions.setdefault("expenses.period_forms", {})
    html = kept.get(key)
    if html is None:
        if len(kept) >= KEPT_PERIOD_FORMS:
            kept.clear()
        html = kept[key] = render_part(
            "expenses.html", "period", selection=True, type_groups=TYPE_GROUPS,
            group_labels=translated(GROUP_LABELS), **accepted_forms(selection, type_given))
    return html


def _names(model, key, values):
    """`model`'s rows (their key and names only) whose `key` is among `values`: SQL of a
    fixed shape for each count of values, compiled once, and the rows built from the
    driver's without peewee's per-query work (a page names a few)."""
    values = sorted(values)
    names = (model.name_uk, model.name_en, model.name_ru)
    fields = names if key is model.name_uk else (key, *names)
    rows = models.prepared_rows(f"expenses.names.{model._meta.table_name}.{len(values)}",
                                lambda: model.select(*fields).where(key.in_(values)), *values)
    return [models.built(model, fields, row) for row in rows]


def tariff_names(codes=None):
    """{code: name in the reader's language} of the tariffs in `codes` (every tariff when
    None): a monthly fee's record names its tariff by its code. No query for no codes."""
    if codes is not None and not codes:
        return {}
    Tariff = models.Tariff
    query = Tariff.select() if codes is None else _names(Tariff, Tariff.code, codes)
    locale = current_locale()
    return {tariff.code: tariff.name(locale) for tariff in query}


def service_names(texts=None, tariffs=None):
    """{Ukrainian name: name in the reader's language} of the services and tariff switches
    among `texts` (every one when None): the feed and our own charges name a service's
    record in Ukrainian. No query for no texts; none for `tariffs` already read."""
    if texts is not None and not texts:
        return {}
    locale = current_locale()
    Service = models.Service
    query = Service.select() if texts is None else _names(Service, Service.name_uk, texts)
    names = {service.name_uk: service.name(locale) for service in query}
    switch_prefix = services_rules.SWITCH_COUNTERPART.split("{")[0]
    if texts is None or any(text.startswith(switch_prefix) for text in texts):
        for tariff in models.Tariff.select() if tariffs is None else tariffs:
            names[services_rules.SWITCH_COUNTERPART.format(tariff.name_uk)] = _(
                "Switch to the tariff “%(name)s”", name=tariff.name(locale))
    return names


def record_names(records=None):
    """The names of `records`' counterparts (of the whole catalogue when None)."""
    if records is None:  # the whole catalogue: its tariffs read once for both
        locale, tariffs = current_locale(), list(models.Tariff.select())
        return Names({tariff.code: tariff.name(locale) for tariff in tariffs},
                     service_names(None, tariffs))
    return Names(tariff_names({r.counterpart for r in records if r.type == "subscription"}),
                 service_names({r.counterpart for r in records if r.type == "service"}))


# A line of the page's table of records. Written out here, not in the template's loop:
# Jinja escapes each of a line's six values on its own, and fifty lines of that were a
# tenth of the page's time. The moments are our own digits; the type's label and the
# detail (a counterpart comes from the feed) are escaped. The pieces are joined, not
# formatted into a pattern: str.format copies every escaped (Markup) piece into a plain
# string first, a tenth of the lines' work.
def record_rows(records, reader):
    """The page's table rows of `records`, one piece of HTML."""
    labels = {code: escape(label) for code, label in translated(TYPE_LABELS).items()}
    names = record_names(records)
    paid_by_bonuses = Markup(" · ") + escape(_("paid by bonuses: %(bonuses)s"))
    pieces = []
    for record in records:
        # In Kyiv once: the two formatters' own conversion of a Kyiv moment is then all
        # but free (from UTC it is not).
        started = local(record.started_at)
        bonuses = record.bonus_amount
        pieces += (
            '<tr><td><time datetime="', iso_moment(started, "milliseconds"), '">',
            reader.moment(started), '</time></td>\n  <td>', labels[record.type],
            '<br><span class="hint">', escape(names.detail(record, reader)),
            paid_by_bonuses % {"bonuses": reader.money(bonuses, currency=False)}
            if bonuses else "",
            '</span></td>\n  <td class="num">',
            reader.money(-(record.amount - bonuses), currency=False), '</td></tr>\n')
    return Markup("".join(pieces))


def report_context(selection, forms):
    context = dict(forms, selection=selection, group_labels=translated(GROUP_LABELS),
                   spending_groups=SPENDING_GROUPS, type_groups=TYPE_GROUPS,
                   subscription=current_subscription())
    if selection is None:
        return context
    summary = selection.summary()
    after = None
    cursor = request.args["after"] if "after" in request.args else None  # (see parse_selection)
    if cursor:
        after = parse_cursor(cursor)
        if after is None:
            abort(400)
    records = selection.report().page(after, PAGE_SIZE + 1)
    more = len(records) > PAGE_SIZE
    records = records[:PAGE_SIZE]
    reader, today = Reader(), clock.today()
    context.update(
        summary=summary, records=record_rows(records, reader), after=after,
        next_cursor=format_cursor(records[-1].started_at, records[-1].id) if more else None,
        chart=bar_chart(summary.by_day) if selection.group != PAYMENTS else None,
        shown_groups=spending_groups(selection.subscription.kind, selection.group),
        # (day, amount spent) as the table prints them
        days_so_far=[(day(spent_on), reader.money(amount))
                     for spent_on, amount in summary.by_day if spent_on <= today],
        show_payments=selection.group in ("", PAYMENTS),
    )
    return context


@bp.get("/expenses")
@login_required
def report():
    selection, forms = parse_selection()
    context = report_context(selection, forms)
    status = 200 if selection else INVALID_FORM
    block = "records" if request.headers.get("HX-Target") == "records" else "report"
    # The records alone show no forms; render() gives the whole page to any other request
    # (one not htmx's own that still names the records, a boosted one, a history restore).
    if selection is not None and not (block == "records" and is_fragment_request()):
        context["period_forms"] = kept_period_forms(selection, "type" in request.args)
    return render("expenses.html", block=block, status=status, **context)


def _report_file(extension, make):
    """The report as a file `make(selection)` answers, saved as
    expenses-<number>-<period>.<extension>. No file is made of a refused selection: the
    page says why, 422."""
    selection, forms = parse_selection()
    if selection is None:
        return render("expenses.html", block="report", status=INVALID_FORM,
                      **report_context(selection, forms))
    response = make(selection)
    number = selection.subscription.number.lstrip("+")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="expenses-{number}-{selection.period.slug}.{extension}"')
    return response


# Excel opens a CSV with the list separator of the computer's regional settings: ';' in
# Ukraine (and wherever the decimal separator is a comma), so the columns come out right
# there; a script reads it with csv.reader(file, delimiter=";"). (A first line 'sep=;'
# would tell Excel too, but every CSV reader would take it for the header.)
CSV_DELIMITER = ";"


def csv_header():
    return [_("Start"), _("Type"), _("Counterpart"), _("Duration or volume"), _("Quantity"),
            _("Charged, UAH"), _("Balance change, UAH"), _("Paid by bonuses, UAH")]


def csv_row(record, labels, reader):
    """Text cells never start like a formula (a sender's name comes from anyone); the
    moment (ISO, Kyiv wall time as a spreadsheet reads it), the quantity and the amounts (a
    decimal comma: see sheet_amount) stay numbers."""
    return [moment(record.started_at, "%Y-%m-%d %H:%M:%S.%f"),
            text_cell(labels[record.type]), text_cell(record.counterpart),
            text_cell(quantity_text(record.type, record.quantity, reader)),
            record.quantity, sheet_amount(record.amount),
            sheet_amount(-(record.amount - record.bonus_amount)), sheet_amount(record.bonus_amount)]


def _gzip(chunks):
    """Compress a stream as it goes. (Flask-Compress would do it too, but it keeps the
    request context open for the whole stream, and a streamed file needs none.)"""
    compressor = compression.compressobj(6, compression.DEFLATED, 31)  # 31: gzip's container
    for chunk in chunks:
        data = compressor.compress(chunk.encode("utf-8"))
        if data:
            yield data
    yield compressor.flush()


@bp.get("/expenses.csv")
@login_required
def report_csv():
    return _report_file("csv", _csv_response)


def _csv_response(selection):
    header = csv_header()
    labels, reader = translated(TYPE_LABELS), Reader()

    def generate():
        # Runs after the view has returned, outside its request: it needs nothing from
        # the request, and opens a connection of its own if the request closed its one.
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=CSV_DELIMITER)
        buffer.write("\ufeff")  # the BOM: spreadsheet programs then read UTF-8 Cyrillic right
        writer.writerow(header)
        opened = models.db.is_closed()  # PostgreSQL: closed at the request's end
        if opened:
            models.db.connect()
        try:
            for count, record in enumerate(selection.report().stream(), 1):
                writer.writerow(csv_row(record, labels, reader))
                if count % 500 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        finally:
            if opened:
                models.db.close()
        yield buffer.getvalue()

    gzipped = request.accept_encodings["gzip"] > 0
    response = Response(_gzip(generate()) if gzipped else generate(),
                        mimetype="text/csv")
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    return response


@bp.get("/expenses.pdf")
@login_required
def report_pdf():
    return _report_file("pdf", lambda selection: Response(bytes(build_pdf(
        selection, selection.summary(), clock.now(), record_names())),
        mimetype="application/pdf"))


