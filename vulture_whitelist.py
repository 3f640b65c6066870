"""Names vulture (`make lint`) takes for unused that a framework uses by name: Flask and its
extensions, WTForms, Peewee, fpdf2, urllib. Nothing else goes here: dead code is removed."""
# ruff: noqa: F821, B018 (vulture reads these as names in use; nothing runs this file)

# Flask builds its template environment of this class (portal/core/templating.py).
jinja_environment

# Flask-Login reads these.
get_id  # Profile.get_id: the session's token is the user's id
session_protection  # LoginManager's setting

# WTForms calls these on a field, or reads the attribute.
process_formdata  # TopupAmountField
choices  # SelectField.choices, set per request

# fpdf2 calls this on every page.
footer  # ReportPDF.footer

# urllib calls this on a redirect (bench/servers.py); http.server logs each request
# through log_request (the LiqPay stand-in keeps it quiet).
redirect_request
log_request

# The tests' clock (portal/core/clock.py ManualClock).
advance
set

# Columns Peewee writes with `create(**fields)` and the database keeps: read by the staff
# console's templates, by reports, or kept as the record of what happened.
closed_at
completed_at
connected_at
transfer
secret_answer_hash
password_changed_at
closed_by
rated_at
offered_by
answered_at

# The top-up form's card fields, checked through getattr(form, name) (topup/views.py).
card_number
card_expiry
card_holder
card_cvv

# The catalogue's, the report's and the profile's attributes the templates read (vulture reads
# no Jinja).
next_month
plot_top
record_count
characters
confirmed_at
bonus_after
ip

# The rules' lists of every state, which the tests walk.
STATES
CHAT_STATES

# pytest passes these fixtures by name for what they set up (a victim, a gateway down...).
victim
newcomer
gateway_down
cabinet

# The standard library calls these on our subclasses (HTMLParser, BaseHTTPRequestHandler,
# configparser, sqlite3/psycopg2 connections, Flask's test client).
handle_starttag
handle_endtag
handle_data
do_POST
do_GET  # the smsbox stand-in (tests/test_sms_delivery.py)
log_message
optionxform
autocommit
test_client_class

# logging and prometheus-client read these on our subclasses and objects (portal/ops).
msg
converter
collect

# itsdangerous makes its signers from this class attribute (portal/core/signing.py).
default_signer
