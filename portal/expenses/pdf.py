"""The expenses report as a PDF (fpdf2): totals first, then spending by day, then every
record. DejaVu Sans, a free Unicode font shipped in static/fonts/, prints Cyrillic."""
from pathlib import Path

from flask_babel import gettext as _
from fpdf import FPDF

from rules.dates import local_day
from rules.expenses import PAYMENTS, SPENDING_GROUPS, spending_groups
from ..core.formatting import Reader, amount as _money, day, moment as format_moment, month, phone
from .labels import GROUP_LABELS, TYPE_LABELS, quantity_text, translated

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
# Columns of the records table: width in mm and alignment, fixed whatever the language;
# a header longer than its column wraps onto more lines (HEADER_LINE apart) and never runs
# into its neighbour.
RECORD_COLUMNS = ((32, "L"), (28, "L"), (34, "L"), (22, "R"), (24, "R"), (24, "R"), (22, "R"))
ROW = 4.6
HEADER_LINE = 3.4


class ReportPDF(FPDF):
    def __init__(self, footer_text):
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.record_headers = ()
        self.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
        self.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_auto_page_break(True, margin=14)
        self.set_margins(12, 12, 12)

    def footer(self):
        self.set_y(-10)
        self.set_font("DejaVu", "", 7)
        self.cell(0, 4, f"{self.footer_text} · {self.page_no()}", align="R")

    def heading(self, text):
        self.ln(2)
        self.set_font("DejaVu", "B", 11)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 9)

    def record_header(self):
        """The column titles, each wrapped within its own column; the row is as tall as
        its longest title, with a rule under it."""
        self.set_font("DejaVu", "B", 7.5)
        wrapped = [self.multi_cell(width, HEADER_LINE, text, dry_run=True, output="LINES")
                   for (width, _align), text in zip(RECORD_COLUMNS, self.record_headers,
                                                    strict=True)]
        height = max(len(lines) for lines in wrapped) * HEADER_LINE + 1
        top, x = self.y, self.l_margin
        for (width, align), text in zip(RECORD_COLUMNS, self.record_headers, strict=True):
            self.set_xy(x, top)
            self.multi_cell(width, HEADER_LINE, text, align=align)
            x += width
        self.line(self.l_margin, top + height, x, top + height)
        self.set_xy(self.l_margin, top + height)
        self.set_font("DejaVu", "", 7.5)

    def record_row(self, cells):
        """One record, placed with text() rather than cell(): three times quicker, which
        matters for a month of tens of thousands of records."""
        if self.y + ROW > self.page_break_trigger:
            self.add_page()
            self.record_header()
        x, baseline = self.l_margin, self.y + ROW * 0.75
        for (width, align), text in zip(RECORD_COLUMNS, cells, strict=True):
            offset = width - 1 - self.get_string_width(text) if align == "R" else 1
            self.text(x + offset, baseline, text)
            x += width
        self.set_y(self.y + ROW)

    def line_pair(self, label, value, bold=False):
        self.set_font("DejaVu", "B" if bold else "", 9)
        self.cell(90, 5.5, label)
        self.cell(40, 5.5, value, align="R", new_x="LMARGIN", new_y="NEXT")


def report_pdf(selection, summary, now, names):
    """The PDF bytes of a selection's report; `summary` is the page's own Summary,
    `names` (labels.Names) name the records' counterparts."""
    period = selection.period
    number = phone(selection.subscription.number)
    pdf = ReportPDF(f"{number} · {day(period.start)}–{day(period.end)}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 9, _("Payments and expenses"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 5.5, _("Number or account: %(number)s", number=number),
             new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5.5, _("Period: %(start)s – %(end)s", start=day(period.start),
                       end=day(period.end)), new_x="LMARGIN", new_y="NEXT")
    if selection.group:
        pdf.cell(0, 5.5, _("Type: %(type)s", type=GROUP_LABELS[selection.group]),
                 new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5.5, _("Made on %(moment)s", moment=format_moment(now)),
             new_x="LMARGIN", new_y="NEXT")

    pdf.heading(_("Totals, UAH"))
    if selection.group != PAYMENTS:  # payments are no spending: their figures follow
        for group in spending_groups(selection.subscription.kind, selection.group):
            pdf.line_pair(str(GROUP_LABELS[group]), _money(summary.by_group[group].amount))
        pdf.line_pair(_("Spent in all"), _money(summary.spending.amount), bold=True)
        if summary.spending.bonuses:
            pdf.line_pair(_("Of it paid by bonuses"), _money(summary.spending.bonuses))
    if selection.group in ("", PAYMENTS):
        pdf.line_pair(_("Paid in (top-ups and transfers received)"), _money(summary.paid_in))
        pdf.line_pair(_("Transferred to other numbers"), _money(summary.paid_out))
    pdf.line_pair(_("Balance change"), _money(summary.balance_change), bold=True)

    if selection.group != PAYMENTS:
        pdf.heading(_("Spending by day, UAH"))
        days = [entry for entry in summary.by_day if entry[0] <= local_day(now)]  # none ahead
        half = (len(days) + 1) // 2
        for left, right in zip(days[:half], days[half:] + [None], strict=False):
            for entry in (left, right):
                if entry:
                    pdf.cell(30, ROW, day(entry[0]))
                    pdf.cell(30, ROW, _money(entry[1]), align="R")
                    pdf.cell(20, ROW, "")
            pdf.ln(ROW)

    pdf.heading(_("Records"))
    pdf.record_headers = (_("Start"), _("Type"), _("Counterpart"), _("Duration or volume"),
                          _("Charged, UAH"), _("Balance change, UAH"), _("Bonuses"))
    pdf.record_header()
    labels, reader = translated(TYPE_LABELS), Reader()
    count = 0
    for record in selection.report().stream():
        pdf.record_row((reader.moment(record.started_at), labels[record.type],
                        names.counterpart(record.type, record.counterpart)[:24],
                        quantity_text(record.type, record.quantity, reader),
                        _money(record.amount), _money(-(record.amount - record.bonus_amount)),
                        _money(record.bonus_amount) if record.bonus_amount else ""))
        count += 1
    if not count:
        pdf.cell(0, ROW, _("No records in this period."), new_x="LMARGIN", new_y="NEXT")
    return pdf.output()


def invoice_pdf(invoice, subscription, now):
    """The PDF bytes of a contract number's monthly invoice (rules.invoices.Invoice): the
    same page, fonts and lines as the report, so the two read alike."""
    period = invoice.period
    number = phone(subscription.number)
    pdf = ReportPDF(f"{number} · {period.month}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 9, _("Invoice for %(month)s", month=month(period.start)),
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    customer = (_("Business customer: %(name)s", name=subscription.holder_name)
                if subscription.customer == "business"
                else _("Subscriber: %(name)s", name=subscription.holder_name))
    for line in (customer, _("Number or account: %(number)s", number=number),
                 _("Period: %(start)s – %(end)s", start=day(period.start), end=day(period.end)),
                 _("Made on %(moment)s", moment=format_moment(now))):
        pdf.cell(0, 5.5, line, new_x="LMARGIN", new_y="NEXT")

    pdf.heading(_("Balance when the month began, UAH"))
    pdf.line_pair(_("Opening balance"), _money(invoice.opening), bold=True)
    pdf.heading(_("Charges, UAH"))
    for group in SPENDING_GROUPS:
        pdf.line_pair(str(GROUP_LABELS[group]), _money(invoice.charges[group]))
    pdf.line_pair(_("Charged in all"), _money(invoice.charged), bold=True)
    pdf.heading(_("Payments, UAH"))
    pdf.line_pair(_("Paid in (top-ups and transfers received)"), _money(invoice.paid_in))
    pdf.line_pair(_("Transferred to other numbers"), _money(invoice.paid_out))
    pdf.heading(_("Balance when the month ended, UAH"))
    pdf.line_pair(_("Closing balance"), _money(invoice.closing), bold=True)
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(0, 4, _("The figures are those of the expenses report for the month; every "
                           "record is listed in its PDF."))
    return pdf.output()
