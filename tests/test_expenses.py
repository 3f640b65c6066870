"""Payments and expenses: the usage feed import, the report page, its CSV and PDF, the
dashboard's spending, and that only the signed-in profile's numbers are ever reported."""
import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import flask
import pytest
from peewee import Table
from pypdf import PdfReader

import models
from models.usage import Report, ReportRecord
from portal.core.formatting import Reader
from portal.expenses.labels import Names
from portal.feeds.service import FeedError, import_usage
from rules.dates import local_day
from rules.expenses import SPENDING_TYPES, Period, dashboard_periods
from tests.helpers import START, as_kept_before, kyiv, month_of_usage, run_import

HEADER = "number,started_at,type,counterpart,quantity,amount\n"


def page(response):
    return response.get_data(as_text=True)


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def data_value(html, element_id):
    match = re.search(rf'<data value="(-?[0-9]+\.[0-9]{{2}})" id="{element_id}">', html)
    assert match, f"no <data id={element_id}>"
    return Decimal(match.group(1))


def add_records(app, subscription, rows):
    """rows: (started_at, type, counterpart, quantity, kopiyky)."""
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        with models.db.atomic():
            models.UsageRecord.insert_rows([(subscription.id, *row) for row in rows])


def csv_rows(response):
    """The CSV as a script reads it: a BOM, then ';' between cells."""
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def sheet_decimal(cell):
    """An amount cell of the CSV ('-4,50': a decimal comma, as Excel set to Ukrainian
    reads it) as a Decimal."""
    assert re.fullmatch(r"-?[0-9]+,[0-9]{2}", cell), cell
    return Decimal(cell.replace(",", "."))


def pdf_text(response):
    reader = PdfReader(io.BytesIO(response.get_data()))
    return "\n".join(p.extract_text() for p in reader.pages)


NOVEMBER = month_of_usage(2026, 11, 24)  # the test clock is 2026-11-25 10:00
NOVEMBER_SPENT = 16500 + 450 + 80 + 1001 + 999 - 333 + 5399
OCTOBER = [(kyiv(2026, 10, 31, 23, 59, 59), "call_out", "+380501112233", 60, 150),
           (kyiv(2026, 10, 5, 10, 0), "internet", "internet", 1024, 500)]


@pytest.fixture
def usage(app, signed_in):
    add_records(app, signed_in, NOVEMBER + OCTOBER)
    return signed_in


# ---------------------------------------------------------------- import-usage

def test_import_usage_appends_records(app, subscriber, factory, tmp_path):
    factory.account(subscriber.profile)  # 20000000
    result = run_import(app, tmp_path, "import-usage", HEADER
                        + "+380 67 123 45 67,2026-11-24T09:15:02.125,call_out,+380501112233,125,1.50\n"
                        + "380671234567,2026-11-24 10:00:00+02:00,topup,card,1,-100\n"
                        + "20000000,2026-11-01T00:00:01.000001,subscription,fast,1,100.00\n")
    assert result.exit_code == 0, result.output
    assert "Imported 3 usage records" in result.output
    with app.app_context():
        records = list(models.UsageRecord.select().order_by(models.UsageRecord.id))
    assert [(r.subscription.number, r.started_at, r.type, r.quantity, r.amount) for r in records] == [
        ("+380671234567", kyiv(2026, 11, 24, 9, 15, 2, 125000), "call_out", 125, 150),
        ("+380671234567", kyiv(2026, 11, 24, 10, 0), "topup", 1, -10000),
        ("20000000", kyiv(2026, 11, 1, 0, 0, 1, 1), "subscription", 1, 10000),
    ]


@pytest.mark.parametrize("bad_row,message", [
    ("0671234567,2026-11-24T25:00,call_out,x,1,1.00", "started_at ('2026-11-24T25:00'): not a date"),
    ("0671234567,2026-11-26T09:00,call_out,x,1,1.00", "later than now"),
    ("0671234567,2026-11-24T09:00,call,x,1,1.00", "type ('call'): not one of"),
    ("0671234567,2026-11-24T09:00,call_out,x,1.5,1.00", "quantity ('1.5')"),
    ("0671234567,2026-11-24T09:00,call_out,x,1,1.005", "amount ('1.005')"),
    ("0671234567,2026-11-24T09:00,topup,card,1,100", "must be negative"),
    ("0971234567,2026-11-24T09:00,call_out,x,1,1.00", "no such number or account"),
    ("0501234567,2026-11-24T09:00,call_out,x,1,1.00", "not a number of ours"),
])
def test_import_usage_refuses_a_bad_row_and_writes_nothing(app, subscriber, tmp_path, bad_row,
                                                           message):
    good = "0671234567,2026-11-24T08:00,sms_out,x,1,0.80\n"
    result = run_import(app, tmp_path, "import-usage", HEADER + good + bad_row + "\n" + good)
    assert result.exit_code == 1
    assert "feed.csv:3: " in result.output and message in result.output
    assert "Nothing imported: 1 problem(s)." in result.output
    with app.app_context():
        assert models.UsageRecord.select().count() == 0


def test_import_rolls_back_batches_already_written(app, subscriber):
    rows = "".join(f"0671234567,2026-11-20T10:00:{n:02d},sms_out,x,1,0.80\n" for n in range(7))
    stream = io.StringIO(HEADER + rows + "0671234567,bad,sms_out,x,1,0.80\n"
                         + "0671234567,2026-11-20T11:00,sms_out,x,x,0.80\n")
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        with pytest.raises(FeedError) as error:
            import_usage(stream, START, batch=2)
        assert [line for line, _ in error.value.problems] == [9, 10]
        assert models.UsageRecord.select().count() == 0


def test_import_usage_needs_the_columns(app, tmp_path):
    result = run_import(app, tmp_path, "import-usage",
                        "number,started_at,type\n0671234567,2026-11-24T08:00,sms_out\n")
    assert result.exit_code == 1 and "missing columns: counterpart, quantity, amount" in result.output


def test_import_usage_of_a_missing_file(app, tmp_path):
    result = run(app, "import-usage", str(tmp_path / "none.csv"))
    assert result.exit_code == 2 and "no such file" in result.output


def test_demo_usage_covers_three_months_once(app):
    assert run(app, "demo-data").exit_code == 0
    with app.app_context():
        count = models.UsageRecord.select().count()
        first = models.UsageRecord.select().order_by(models.UsageRecord.started_at).first()
        last = models.UsageRecord.select().order_by(models.UsageRecord.started_at.desc()).first()
        subscribers = models.UsageRecord.select(models.UsageRecord.subscription).distinct().count()
    assert count > 5000 and subscribers == 12
    assert local_day(first.started_at).isoformat() == "2026-09-01"
    assert last.started_at <= START
    assert run(app, "demo-data").exit_code == 0
    with app.app_context():
        assert models.UsageRecord.select().count() == count


# ---------------------------------------------------------------- the page

def test_expenses_needs_sign_in(client):
    for url in ("/expenses", "/expenses.csv", "/expenses.pdf"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["Location"].startswith("/login")


def test_the_current_month_by_default(client, usage):
    html = page(client.get("/expenses"))
    assert data_value(html, "spent-total") == Decimal(NOVEMBER_SPENT) / 100
    assert data_value(html, "spent-calls") == Decimal("58.49")
    assert data_value(html, "spent-sms") == Decimal("0.80")
    assert data_value(html, "spent-internet") == Decimal("10.01")
    assert data_value(html, "spent-subscription") == Decimal("165.00")
    assert data_value(html, "spent-services") == Decimal("6.66")
    # Payments apart from spending.
    assert data_value(html, "paid-in") == Decimal("212.34")
    assert data_value(html, "paid-out") == Decimal("25.01")
    assert data_value(html, "balance-change") == Decimal(-(NOVEMBER_SPENT - 20000 + 2501 - 1234)) / 100
    # Detailed records, to the fraction of a second, with duration and volume.
    assert "03.11.2026 09:15:02.125" in html and "2:05" in html and "20.0\u00a0MB" in html
    assert "24.11.2026 23:59:59.999" in html and "59:59" in html
    assert "31.10.2026" not in html


def test_records_read_in_the_readers_language(client, usage):
    """Numbers grouped as everywhere else, the feed's codes named, a count of one left out,
    the reader's decimal comma in volumes and in the fractions of a second."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    html = page(client.get("/expenses"))
    records = html.split('id="records"')[1]
    assert "+380\u00a050\u00a0111\u00a022\u00a033 · 2:05" in records  # never broken
    assert "03.11.2026 09:15:02,125" in records and "24.11.2026 23:59:59,999" in records
    assert ">20,0\u00a0МБ<" in records  # an internet session: its volume alone
    assert ">банківська картка<" in records and ">Смарт<" in records  # a top-up, the fee
    assert ">Хто дзвонив<" in records
    for raw in ("+380501112233", "card", "internet", "smart", " · 1<", ".0\u00a0"):
        assert raw not in records, raw
    # The labels, kept translated for the process, follow each reader's language.
    for language, label in (("en", ">Outgoing call<"), ("ru", ">Исходящий звонок<"),
                            ("uk", ">Вихідний дзвінок<")):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        assert label in page(client.get("/expenses")).split('id="records"')[1], language


def test_totals_and_the_months_come_before_the_folded_period_forms(client, usage):
    html = page(client.get("/expenses?month=2026-10"))
    totals = html.index('id="totals"')
    assert html.index('rel="prev"') < totals < html.index('<details class="card period"')
    assert "Spending in October 2026" in html and 'href="/expenses?month=2026-09"' in html
    assert re.search(r'<details class="card period" id="period">\s*<summary>Change the period',
                     html)  # folded
    assert html.index('id="spent-total"') < html.index('<details class="card period"')


def test_a_refused_period_opens_the_forms_and_dates_read_as_days(client, usage):
    html = page(client.get("/expenses?from=2026-10-01&to=2026-11-15"))
    assert '<details class="card period" id="period" open>' in html
    assert "Choose a last day no later than 30.10.2026, or a whole month." in html
    html = page(client.get("/expenses?from=2026-11-26&to=2026-11-27"))
    assert "The first day cannot be later than today, 25.11.2026." in html
    assert 'id="totals"' not in html


def test_a_records_line_escapes_the_feeds_text_and_says_what_bonuses_paid(app, client,
                                                                          signed_in):
    # A service's name comes from the feed as it is: markup in it is text on the page.
    add_records(app, signed_in, [
        (kyiv(2026, 11, 20, 9, 0), "service", '<b onclick="x">Хто & що</b>', 1, 500, 0),
        (kyiv(2026, 11, 21, 9, 15, 2, 125000), "call_out", "+380501112233", 125, 450, 300)])
    html = page(client.get("/expenses"))
    assert "<b onclick" not in html
    assert ('<td>Service<br><span class="hint">&lt;b onclick=&#34;x&#34;&gt;Хто &amp; що'
            '&lt;/b&gt;</span></td>') in html
    assert ('<tr><td><time datetime="2026-11-21T09:15:02.125+02:00">21.11.2026 09:15:02.125'
            '</time></td>\n  <td>Outgoing call<br><span class="hint">+380\u00a050\u00a0111'
            '\u00a022\u00a033 · 2:05 · paid by bonuses: <data value="3.00">3.00</data></span>'
            '</td>\n  <td class="num"><data value="-1.50">-1.50</data></td></tr>') in html


def test_a_chart_with_a_bar_per_day_and_a_table(client, usage):
    html = page(client.get("/expenses"))
    svg = html[html.index("<svg"):html.index("</svg>")]
    # A rectangle for each day that spent something (a refund's day draws none), under
    # the first day and every fifth a label.
    spent = [Decimal(value) for value in re.findall(
        r'<td>\d\d\.11\.2026</td><td class="num"><data value="([-\d.]+)"', html)]
    assert len(spent) == 25  # the days so far, 1–25 November
    bars = re.search(r'<path class="bar" d="([^"]*)"/>', svg).group(1)
    assert bars.count("M") == sum(amount > 0 for amount in spent) > 0
    assert re.findall(r'<text class="day"[^>]*>(\d+)</text>', svg) == [
        "1", "5", "10", "15", "20", "25", "30"]
    assert "<summary>Spending by day as a table</summary>" in html
    assert '<td>24.11.2026</td><td class="num"><data value="53.99">' in html


def test_another_month(client, usage):
    html = page(client.get("/expenses?month=2026-10"))
    assert data_value(html, "spent-total") == Decimal("6.50")
    assert "31.10.2026 23:59:59.000" in html and "03.11.2026" not in html.split("Detailed records")[1]
    assert 'href="/expenses?month=2026-11"' in html  # next month


def test_a_span_of_days(client, usage):
    html = page(client.get("/expenses?from=2026-10-31&to=2026-11-03"))
    assert data_value(html, "spent-total") == Decimal("1.50") + Decimal("165.00") + Decimal("5.30")
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert re.findall(r'<text class="day"[^>]*>(\d+)</text>', svg) == ["31"]  # the first day
    bars = re.search(r'<path class="bar" d="([^"]*)"/>', svg).group(1)
    assert bars.count("M") == 3  # 31 October, 1 and 3 November spent; 2 November nothing


@pytest.mark.parametrize("query,field_id,message", [
    ("month=2026-13", "month", "Choose a month, like 2026-11."),
    ("month=2026-12", "month", "This month has not begun yet."),
    ("from=2026-10-01&to=2026-11-15", "to", "A span can be at most 30 days and this one has 46."),
    ("from=2026-11-10&to=2026-11-01", "to", "The last day cannot be before the first day"),
    ("from=2026-11-10", "to", "Choose the last day."),
    ("from=10.11.2026&to=2026-11-12", "from", "Type a date like 2026-11-24."),
    ("month=2026-11&from=2026-11-01&to=2026-11-02", "month", "either a month or a span"),
    ("month=2026-11&type=roaming", "month-type", "Choose a type from the list."),
])
def test_bad_periods_are_refused_next_to_the_field(client, usage, query, field_id, message):
    for url in ("/expenses", "/expenses.csv", "/expenses.pdf"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 422
        html = page(response)
        assert message in html
        assert re.search(rf'<(input|select) aria-describedby="[^"]*{field_id}-error" '
                         rf'aria-invalid="true" id="{field_id}"', html)
        assert f'id="{field_id}-error"' in html and 'role="alert"' in html
        assert "spent-total" not in html


def test_type_filter(client, usage):
    html = page(client.get("/expenses?month=2026-11&type=calls"))
    assert data_value(html, "spent-total") == Decimal("58.49")
    assert 'id="spent-sms"' not in html and 'id="paid-in"' not in html
    records = html.split("Detailed records")[1]
    assert "Outgoing call" in records and "Incoming call" in records and "Outgoing SMS" not in records
    html = page(client.get("/expenses?month=2026-11&type=payments"))
    # Payments are no spending: no "0 · 0,00" total above them (issue 25).
    assert 'id="spent-total"' not in html and data_value(html, "paid-in") == Decimal("212.34")
    assert "<svg" not in html and "Top-up" in html


def test_keyset_paging_walks_every_record_once(app, client, signed_in):
    base = kyiv(2026, 11, 20, 10, 0)
    # Records sharing a start time too: the id breaks the tie.
    rows = [(base + timedelta(seconds=n // 2), "sms_out", f"n{n}", 1, 80) for n in range(120)]
    add_records(app, signed_in, rows)
    seen, url, pages = [], "/expenses?month=2026-11", 0
    while url:
        html = page(client.get(url))
        seen += re.findall(r"<span class=\"hint\">(n[0-9]+)</span>", html)
        found = re.search(r'<a href="(/expenses\?[^"]*after=[^"]*)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    assert pages == 3 and seen == [f"n{n}" for n in range(120)]


def test_paging_answers_the_records_fragment_to_htmx(app, client, signed_in):
    add_records(app, signed_in, [(kyiv(2026, 11, 20, 10, 0, n), "sms_out", "x", 1, 80)
                                 for n in range(55)])
    html = page(client.get("/expenses"))
    next_url = re.search(r'data-hx-get="([^"]*after=[^"]*)"', html).group(1).replace("&amp;", "&")
    response = client.get(next_url, headers={"HX-Request": "true", "HX-Target": "records"})
    fragment = page(response)
    assert fragment.lstrip().startswith('<section class="card" id="records"') and "<html" not in fragment
    assert fragment.count("<tr>") == 6  # the header and 5 records
    assert "HX-Request" in response.headers["Vary"]


def test_a_bad_cursor_is_refused(client, usage):
    assert client.get("/expenses?after=garbage").status_code == 400


def test_nothing_to_show(client, signed_in):
    html = page(client.get("/expenses?month=2026-01"))
    assert "No records in this period." in html and data_value(html, "spent-total") == 0


# ---------------------------------------------------------------- files

def test_csv_is_the_same_selection_with_a_bom(client, usage):
    response = client.get("/expenses.csv?month=2026-11&type=calls")
    assert response.mimetype == "text/csv" and response.is_streamed
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="expenses-380671234567-2026-11.csv"')
    header, *rows = csv_rows(response)
    assert header[0] == "Start" and header[5:] == ["Charged, UAH", "Balance change, UAH",
                                                   "Paid by bonuses, UAH"]
    assert [row[0] for row in rows] == ["2026-11-03 09:15:02.125000", "2026-11-03 09:30:00.000000",
                                        "2026-11-24 23:59:59.999999"]
    assert rows[0][1:] == ["Outgoing call", "'+380501112233", "2:05", "125", "4,50", "-4,50",
                           "0,00"]


def test_csv_opens_in_columns_in_excel_set_to_ukrainian(client, usage):
    """Excel takes the list separator of the regional settings (';' in Ukraine) and reads
    '4,50' as a number there ('4.50' as text, '12.05' as the 12th of May); the first line
    is the header (no 'sep=' line, which scripts would take for the header)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    raw = client.get("/expenses.csv?month=2026-11").get_data(as_text=True)
    lines = raw[1:].splitlines()
    assert lines[0].startswith("Початок;Тип;")
    assert all(len(row) == 8 for row in csv.reader(lines, delimiter=";"))
    assert "20,0\u00a0МБ" in raw and not re.search(r";-?[0-9]+\.[0-9]{2}(;|$)", raw, re.M)
    header, *rows = csv_rows(client.get("/expenses.csv?month=2026-11"))
    assert sum(sheet_decimal(row[5]) for row in rows) == Decimal(NOVEMBER_SPENT - 20000 + 2501
                                                                 - 1234) / 100


@pytest.mark.parametrize("sender", ['=HYPERLINK("http://evil.example","Bonus")', "+cmd|' /C calc'!A0",
                                    "@SUM(1+1)", "-2+3", "\t=1+1", "\r=1+1"])
def test_csv_text_never_starts_a_formula(app, client, signed_in, sender):
    """A sender's name is anyone's to choose: it is shown, never run; amounts stay numbers."""
    add_records(app, signed_in, [(kyiv(2026, 11, 20, 9, 0), "sms_in", sender, 1, 250),
                                 (kyiv(2026, 11, 21, 9, 0), "service", "Повернення", 1, -333)])
    rows = csv_rows(client.get("/expenses.csv?month=2026-11"))[1:]
    assert rows[0][1:] == ["Incoming SMS", "'" + sender, "1", "1", "2,50", "-2,50", "0,00"]
    assert rows[1][1:] == ["Service", "Повернення", "1", "1", "-3,33", "3,33", "0,00"]


def test_page_csv_and_pdf_agree_to_the_kopiyka(client, usage):
    for query in ("", "?month=2026-10", "?from=2026-11-01&to=2026-11-12", "?type=services"):
        html = page(client.get("/expenses" + query))
        spent = data_value(html, "spent-total")
        rows = csv_rows(client.get("/expenses.csv" + query))[1:]
        charged = [sheet_decimal(row[5]) for row in rows]
        groups = {"calls", "sms", "internet", "subscription", "services"}
        spending_rows = [c for c, row in zip(charged, rows, strict=True)
                         if row[1] not in ("Top-up", "Transfer received", "Transfer sent")]
        assert sum(spending_rows, Decimal(0)) == spent
        assert sum(sheet_decimal(row[6]) for row in rows) == (
            data_value(html, "balance-change") if "balance-change" in html else -spent)
        text = pdf_text(client.get("/expenses.pdf" + query))
        assert f"Spent in all {spent:,.2f}" in text  # the reader's language: English here
        for group in groups:
            if f'id="spent-{group}"' in html:
                assert data_value(html, f"spent-{group}") is not None
        assert text.count("\n") >= len(rows)


def test_pdf_prints_cyrillic_totals_first(client, usage):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    response = client.get("/expenses.pdf?month=2026-11")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].endswith('expenses-380671234567-2026-11.pdf"')
    text = pdf_text(response)
    assert "Хто дзвонив" in text
    assert text.index("+380 67 123 45 67") < text.index("Хто дзвонив")
    assert "03.11.2026 09:15:02,125" in text  # the reader's decimal comma
    assert "2:05" in text and "20,0\u00a0МБ" in text and "банківська картка" in text
    assert "+380\u00a050\u00a0111\u00a022\u00a033" in text and "Смарт" in text


# ---------------------------------------------------------------- whose numbers

@pytest.fixture
def others(app, factory, usage):
    """A stranger's number and a second number of the signed-in profile, both with usage."""
    stranger = factory.subscriber(number="+380681234567", name="Чужий")
    second = factory.subscriber(number="+380971112233", profile=usage.profile, tariff="unlim")
    add_records(app, stranger, [(kyiv(2026, 11, 5, 10, 0), "service", "STRANGER", 1, 77777)])
    add_records(app, second, [(kyiv(2026, 11, 5, 11, 0), "service", "SECOND", 1, 12345)])
    return stranger, second


def test_only_the_current_number_of_the_own_profile_is_reported(client, others):
    stranger, second = others
    for url in ("/expenses", "/expenses.csv", "/expenses.pdf"):
        body = pdf_text(client.get(url)) if url.endswith("pdf") else page(client.get(url))
        assert "STRANGER" not in body and "SECOND" not in body
    assert data_value(page(client.get("/expenses")), "spent-total") == Decimal(NOVEMBER_SPENT) / 100
    assert client.post("/numbers/select", data={"number": stranger.number}).status_code == 404
    assert "STRANGER" not in page(client.get("/expenses.csv"))
    client.post("/numbers/select", data={"number": second.number})
    html = page(client.get("/expenses"))
    assert "SECOND" in html and data_value(html, "spent-total") == Decimal("123.45")
    # A number in the URL is not a way in: the report ignores it.
    assert "STRANGER" not in page(client.get(f"/expenses.csv?number={stranger.number}"))


# ---------------------------------------------------------------- the dashboard

def test_the_dashboards_sums_are_each_periods_days_and_nothing_else(app, factory, signed_in):
    # The days at each period's edge, a refund, a top-up (no spending) and another number.
    other = factory.subscriber(number="+380671110000")
    add_records(app, signed_in, [
        (kyiv(2026, 9, 30, 23, 59), "call_out", "x", 60, 7),  # before both months
        (kyiv(2026, 10, 1, 0, 0), "sms_out", "x", 1, 11),
        (kyiv(2026, 10, 31, 23, 59), "call_out", "x", 60, 100),
        (kyiv(2026, 11, 1, 0, 0), "internet", "internet", 10, 200),
        (kyiv(2026, 11, 13, 12, 0), "service", "Повернення", 1, -50),
        (kyiv(2026, 11, 24, 23, 59), "sms_out", "x", 1, 300),
        (kyiv(2026, 11, 25, 0, 0), "sms_out", "x", 1, 40),
        (kyiv(2026, 11, 25, 9, 0), "topup", "card", 1, -5000)])
    add_records(app, other, [(kyiv(2026, 11, 25, 9, 0), "sms_out", "x", 1, 999)])
    periods = [period for _key, period in dashboard_periods(date(2026, 11, 25))]
    with app.app_context():
        spent = Report(signed_in, Period(periods[0].start, periods[-1].end, False),
                       SPENDING_TYPES).amounts_in(periods)
        nothing = Report(signed_in, periods[0], SPENDING_TYPES).amounts_in(
            [Period(date(2026, 10, 2), date(2026, 10, 2), False)])
    assert spent == [111, 490, 300, 40] and all(type(amount) is int for amount in spent)
    assert nothing == [0]  # no record that day: 0, not NULL


def test_dashboard_shows_spending_of_two_months_and_two_days(app, client, usage):
    add_records(app, usage, [(kyiv(2026, 11, 25, 9, 0), "sms_out", "x", 1, 80),
                             (kyiv(2026, 11, 25, 9, 5), "topup", "card", 1, -5000)])
    html = page(client.get("/"))
    assert data_value(html, "spending-previous-month") == Decimal("6.50")
    assert data_value(html, "spending-this-month") == Decimal(NOVEMBER_SPENT + 80) / 100
    assert data_value(html, "spending-yesterday") == Decimal("53.99")
    assert data_value(html, "spending-today") == Decimal("0.80")
    assert 'href="/expenses"' in html
    # Each figure leads to its own report.
    for link in ("/expenses?month=2026-10", "/expenses?month=2026-11",
                 "/expenses?from=2026-11-24&amp;to=2026-11-24",
                 "/expenses?from=2026-11-25&amp;to=2026-11-25"):
        assert f'href="{link}"' in html, link


def test_the_period_forms_answer_the_report_fragment_to_htmx(client, usage):
    response = client.get("/expenses?month=2026-10", headers={"HX-Request": "true"})
    fragment = page(response)
    assert fragment.lstrip().startswith('<div id="report">') and "<html" not in fragment
    assert data_value(fragment, "spent-total") == Decimal("6.50")
    refused = client.get("/expenses?month=2027-01", headers={"HX-Request": "true"})
    assert refused.status_code == 422 and page(refused).lstrip().startswith('<div id="report">')
    boosted = client.get("/expenses", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in page(boosted)


def test_init_db_adds_up_the_days_of_records_kept_before_there_were_days(app, usage):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.UsageDay.drop_table()  # a database of the release before migration 0001
        for record in models.UsageRecord.select():  # which kept Kyiv wall time (0014)
            as_kept_before("usage_record", "started_at", record.id)
        history = Table("schema_migration", ("name",)).bind(models.db.obj)
        history.delete().where(history.name.startswith("0001")
                               | history.name.startswith("0014")).execute()
        models.db.close()
    result = run(app, "init-db")
    assert result.exit_code == 0 and "migrations applied: 2" in result.output
    with app.app_context():
        days = models.UsageDay.select().where(models.UsageDay.subscription == usage.id)
        assert {(d.day.isoformat(), d.type): (d.records, d.amount) for d in days
                if d.day.month == 11 and d.type in ("call_out", "service")} == {
            ("2026-11-03", "call_out"): (1, 450), ("2026-11-24", "call_out"): (1, 5399),
            ("2026-11-12", "service"): (1, 999), ("2026-11-13", "service"): (1, -333)}


# ---------------------------------------------------------------- the PDF's layout

def header_boxes(response):
    """The records table's column titles on the first page as printed: (text, left,
    right, bottom, top) in points, each line's width measured with the PDF's own font."""
    from fpdf import FPDF

    from portal.expenses.pdf import FONTS

    ruler = FPDF()
    ruler.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
    ruler.set_font("DejaVu", "B", 7.5)
    pieces = []

    def visit(text, cm, tm, font, size):
        if text.strip() and size == 7.5 and "Bold" in str((font or {}).get("/BaseFont")):
            pieces.append((text.strip(), tm[4] + cm[4], tm[5] + cm[5]))

    PdfReader(io.BytesIO(response.get_data())).pages[0].extract_text(visitor_text=visit)
    points = 72 / 25.4
    return [(text, x, x + ruler.get_string_width(text) * points, y - 2, y + 7)
            for text, x, y in pieces]


@pytest.mark.parametrize("language", ["uk", "en", "ru"])
def test_pdf_column_titles_wrap_and_never_overlap(client, usage, language):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    boxes = header_boxes(client.get("/expenses.pdf?month=2026-11"))
    assert len(boxes) >= 6, boxes
    for index, (text, left, right, bottom, top) in enumerate(boxes):
        for other, o_left, o_right, o_bottom, o_top in boxes[index + 1:]:
            apart = right <= o_left or o_right <= left or top <= o_bottom or o_top <= bottom
            assert apart, f"{text!r} overlaps {other!r} ({language})"


@pytest.mark.parametrize(("language", "service", "switch"), [
    ("en", "Who called", "Switch to the tariff “Unlimited”"),
    ("ru", "Кто звонил", "Переход на тариф «Безлимитный»"),
])
def test_services_and_switches_are_named_in_the_readers_language(
        app, client, usage, language, service, switch):
    add_records(app, usage, [(kyiv(2026, 11, 20, 9, 0), "service",
                              "Перехід на тариф «Безлімітний»", 1, 5000)])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    html = page(client.get("/expenses?month=2026-11"))
    text = pdf_text(client.get("/expenses.pdf?month=2026-11"))
    for body in (html, text):
        assert service in body and "Хто дзвонив" not in body
    assert switch in html and "Перехід" not in html
    assert switch[:20] in text and "Перехід" not in text  # the PDF cuts a long name


@pytest.mark.parametrize("query", ["", "?month=2026-11", "?month=2026-11&type=calls",
                                   "?month=2026-11&type=", "?type=bogus",
                                   "?from=2026-11-03&to=2026-11-20&type=payments"])
@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_written_out_fields_are_form_fields(app, client, signed_in, query, language):
    """expenses.html writes the type's list out (wtforms' option by option rendering was a
    quarter of the page), and the month's and days' fields: the same HTML as form_field
    makes of the form's field."""
    from flask_babel import gettext as _

    from portal.core.web import form_field
    from portal.expenses.views import accepted_forms, parse_selection
    client.set_cookie("lang", language)
    html = page(client.get(f"/expenses{query}"))
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = f"lang={language}; {name}={client.get_cookie(name).value}"
    with app.test_request_context(f"/expenses{query}", headers={"Cookie": cookies}):
        models.db.connect(reuse_if_open=True)
        app.preprocess_request()
        selection, forms = parse_selection()
        if selection is not None:  # accepted: its forms come kept as HTML; made again here
            forms = accepted_forms(selection, "type" in flask.request.args)
        for form, field_id in (("month_form", "month-type"), ("span_form", "span-type")):
            assert str(form_field(forms[form].type, id=field_id)) in html
        month, span = forms["month_form"], forms["span_form"]
        assert str(form_field(month.month, type="month", placeholder="2026-11",
                              hint=_("Year and month, like 2026-11"))) in html
        for field, placeholder in ((span.date_from, "2026-11-01"), (span.date_to, "2026-11-24")):
            assert str(form_field(field, type="date", placeholder=placeholder)) in html


def test_the_period_forms_of_a_selection_are_made_once_and_hold_nothing_of_the_reader(
        app, client, usage, monkeypatch):
    """An accepted selection's period forms are kept as HTML (views.kept_period_forms), by
    what they show: the same page again builds no form; another month, type, span or
    language gets forms of its own; no CSRF token or number is kept in them."""
    from portal.expenses import views

    built = []
    monkeypatch.setattr(views, "MonthForm", lambda args, form=views.MonthForm: (
        built.append(dict(args)), form(args))[1])
    first = page(client.get("/expenses?month=2026-10&type=calls"))
    again = page(client.get("/expenses?month=2026-10&type=calls"))
    assert first == again and len(built) == 1
    kept = app.extensions["expenses.period_forms"]
    assert all("csrf_token" not in html and "067" not in html for html in kept.values())

    def period_forms_of(query):
        html = page(client.get(f"/expenses?{query}"))
        start = html.index('<details class="card period"')
        return html[start:html.index("</details>", start)]

    shown = period_forms_of("month=2026-10&type=calls")
    assert 'value="2026-10"' in shown and '<option selected value="calls">' in shown
    for query, shows, hides in [
            ("month=2026-09&type=calls", 'value="2026-09"', 'value="2026-10"'),
            ("month=2026-10", 'value="2026-10"', "selected"),
            ("month=2026-10&type=", '<option selected value="">', 'selected value="calls"'),
            ("from=2026-10-03&to=2026-10-20", 'value="2026-10-03"', 'value="2026-10"'),
            ("from=2026-10-04&to=2026-10-20", 'value="2026-10-04"', 'value="2026-10-03"')]:
        forms = period_forms_of(query)
        assert shows in forms and hides not in forms, query
    assert len(built) == 6 and len(kept) == 6
    client.set_cookie("lang", "uk")
    assert "Показати місяць" in page(client.get("/expenses?month=2026-10&type=calls"))
    assert len(built) == 7

    # A refused selection's forms carry its errors and are never kept.
    assert client.get("/expenses?month=2026-10&type=roaming").status_code == 422
    assert len(kept) == 7

    # Made from the selection as read: blanks around a value, or a blank month beside
    # days, are the same forms (the days shown); a file of the report makes none.
    forms = period_forms_of("month=%20&from=%202026-10-03&to=2026-10-20%20&type=%20calls")
    assert 'value="2026-10-03"' in forms and 'value="2026-10-20"' in forms
    assert 'value=" "' not in forms and '<option selected value="calls">' in forms
    assert period_forms_of("from=2026-10-03&to=2026-10-20&type=calls") == forms
    for url in ("/expenses.csv?month=2026-07", "/expenses.pdf?month=2026-07"):
        assert client.get(url).status_code == 200
    # Nor does htmx's request for the later records, or a refused cursor.
    assert client.get("/expenses?month=2026-06",
                      headers={"HX-Request": "true", "HX-Target": "records"}).status_code == 200
    assert client.get("/expenses?month=2026-06&after=zzz").status_code == 400
    assert len(built) == 9 and len(kept) == 8  # the refused one built its own, unkept

    monkeypatch.setattr(views, "KEPT_PERIOD_FORMS", 8)
    client.get("/expenses?month=2026-08")  # full: emptied, then this one kept
    assert list(kept) == [("uk", "", ("month", "2026-08"))]


def test_the_kept_period_block_reads_nothing_of_the_request(app):
    """kept_period_forms keeps the 'period' block for every reader (web.render_part): it
    may read only what that function passes and helpers of no request (`_`, url_for and
    form_field, for a refused field), never csrf(), the session, the number or the like;
    and it uses no filter, test, include, import or other block, which the names below
    would not show."""
    from jinja2 import Environment, meta, nodes

    # Parsed by a bare environment: Jinja leaves a template's globals out of the names it
    # finds, and the portal's request-reading functions (csrf, current_subscription) are
    # globals.
    environment = Environment()
    tree = environment.parse(app.jinja_env.loader.get_source(app.jinja_env, "expenses.html")[0])
    block, = (found for found in tree.find_all(nodes.Block) if found.name == "period")
    names = meta.find_undeclared_variables(
        nodes.Template(block.body, lineno=block.lineno).set_environment(environment))
    own_macros = {"text_input", "type_select"}  # defined in the block (Jinja lists them)
    assert names - own_macros == {"period_forms", "selection", "type_groups", "group_labels",
                                  "month_form", "span_form", "form_field", "_", "url_for"}
    assert not list(block.find_all((nodes.Filter, nodes.Test, nodes.Include, nodes.Import,
                                    nodes.FromImport)))
    assert "self" not in {name.name for name in block.find_all(nodes.Name)}


@pytest.mark.parametrize("headers", [
    {"HX-Target": "records"},  # htmx's target without htmx's own header
    {"HX-Request": "true", "HX-Target": "records", "HX-Boosted": "true"},
    {"HX-Request": "true", "HX-Target": "records", "HX-History-Restore-Request": "true"},
])
def test_a_request_naming_the_records_that_gets_the_whole_page_has_its_forms(client, usage,
                                                                             headers):
    """Only htmx's own request for the records gets the records alone (web.render): any
    other that names them gets the whole report, period forms included."""
    response = client.get("/expenses?month=2026-10&type=calls", headers=headers)
    assert response.status_code == 200
    html = page(response)
    assert '<details class="card period"' in html and '<option selected value="calls">' in html


@pytest.mark.parametrize("usage_type,counterpart,quantity,detail", [
    ("call_out", "+380501112233", 125, "+380\u00a050\u00a0111\u00a022\u00a033 · 2:05"),
    ("internet", "internet", 200_499, "195.8\u00a0MB"),  # the type says internet: no name
    ("topup", "card", 1, "bank card"),  # a count of one says nothing
    ("sms_out", "+380501112233", 3, "+380\u00a050\u00a0111\u00a022\u00a033 · ×\u00a03"),
    ("service", "Роумінг", 1, "Roaming"),
    ("service", "Невідома послуга", 2, "Невідома послуга · ×\u00a02"),
    ("subscription", "smart", 1, "Smart"),
    ("sms_in", "", 1, ""),
])
def test_a_records_line_names_its_counterpart_and_quantity(app, usage_type, counterpart,
                                                           quantity, detail):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        names = Names({"smart": "Smart"}, {"Роумінг": "Roaming"})
        record = ReportRecord(START, usage_type, counterpart, quantity, 100, 1)
        assert names.detail(record, Reader()) == detail
