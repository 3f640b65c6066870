"""deploy/ works as written: the nginx site really serves (TLS, gzip, static files with a
year-long cache, the app behind it), the systemd timers fire when the guide says, their
commands exist, and the backup script makes a copy that opens."""
import configparser
import getpass
import gzip
import http.client
import os
import re
import runpy
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

import models

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


@pytest.fixture
def app_server(app):
    """The app on a real HTTP server on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(5)


@pytest.fixture
def nginx_site(tmp_path, app_server):
    """deploy/nginx/portal.conf on free ports, with a self-signed certificate, in front of
    the app; returns (http_port, https_port)."""
    if not NGINX:
        pytest.skip("nginx is not installed (apt-get install nginx-light): the site's test "
                    "is skipped")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=cabinet.example.ua", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    http_port, https_port = free_port(), free_port()
    site = (DEPLOY / "nginx" / "portal.conf").read_text()
    for old, new in [
        ("/etc/letsencrypt/live/cabinet.example.ua/fullchain.pem", str(tmp_path / "cert.pem")),
        ("/etc/letsencrypt/live/cabinet.example.ua/privkey.pem", str(tmp_path / "key.pem")),
        ("/srv/portal/static/", str(ROOT / "static") + "/"),
        ("server 127.0.0.1:8000 ", f"server 127.0.0.1:{app_server} "),
        ("listen [::]:80;", ""), ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
    ]:
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    # Workers as the test's own user: a root nginx would otherwise drop them to `nobody`,
    # who cannot read a checkout in a private (mode 700) folder.
    (tmp_path / "nginx.conf").write_text(f"""
user {getpass.getuser()};
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    command = [NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
               "-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run(command + ["-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(command + ["-g", "daemon off;"])
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=0.1).close()
                break
            except OSError:
                threading.Event().wait(0.05)
        yield http_port, https_port
    finally:
        process.terminate()
        process.wait(10)


def https_get(port, path, headers=None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    connection.request("GET", path, headers={"Host": "cabinet.example.ua", **(headers or {})})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_nginx_serves_the_portal_over_tls(nginx_site):
    http_port, https_port = nginx_site
    plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    plain.request("GET", "/login", headers={"Host": "cabinet.example.ua"})
    redirect = plain.getresponse()
    assert redirect.status == 301
    assert redirect.getheader("Location") == "https://cabinet.example.ua/login"

    response, body = https_get(https_port, "/static/portal.css?v=0123456789ab",
                               {"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert "max-age=31536000" in response.getheader("Cache-Control")
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == (ROOT / "static" / "portal.css").read_bytes()

    response, _ = https_get(https_port, "/static/../portal/__init__.py")
    assert response.status in (400, 404)

    response, body = https_get(https_port, "/login", {"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert b"csrf_token" in gzip.decompress(body)
    assert response.getheader("Cache-Control") == "no-store"


def test_the_bonus_timer_fires_on_the_4th():
    timer = unit("portal-bonuses.timer")
    schedule = timer["Timer"]["OnCalendar"]
    assert schedule.startswith("*-*-04 ")
    assert timer["Timer"]["Persistent"] == "true"
    analyze = shutil.which("systemd-analyze")
    if analyze:
        shown = subprocess.run([analyze, "calendar", "--iterations=3", schedule],
                               capture_output=True, text=True, check=True).stdout
        elapses = [line for line in shown.splitlines() if "Iter." in line or "Next" in line]
        assert len(elapses) == 3 and all("-04 " in line for line in elapses), shown


def test_the_credit_timer_fires_every_night():
    timer = unit("portal-credit-settle.timer")["Timer"]
    assert timer["OnCalendar"] == "*-*-* 00:15:00 Europe/Kyiv" and timer["Persistent"] == "true"
    analyze = shutil.which("systemd-analyze")
    if analyze:
        shown = subprocess.run([analyze, "calendar", "--iterations=2", timer["OnCalendar"]],
                               capture_output=True, text=True, check=True).stdout
        assert "Next" in shown and "00:15:00" in shown, shown


@pytest.mark.parametrize("name", ["portal-requests.timer", "portal-sms.timer",
                                  "portal-payments.timer", "portal-autopay.timer"])
def test_the_minute_timers_fire_every_minute(name):
    timer = unit(name)["Timer"]
    assert timer["OnCalendar"] == "*-*-* *:*:00"
    analyze = shutil.which("systemd-analyze")
    if analyze:
        shown = subprocess.run([analyze, "calendar", "--iterations=2", timer["OnCalendar"]],
                               capture_output=True, text=True, check=True).stdout
        assert "Next" in shown, shown


@pytest.mark.parametrize("name", sorted(path.name for path in (DEPLOY / "systemd").glob(
    "*.service")))
def test_the_units_run_commands_the_portal_has(app, name):
    service = unit(name)["Service"]
    commands = [service.get("ExecStartPre", ""), service["ExecStart"]]
    flask_commands = [line.split("--app portal", 1)[1].split()[0]
                      for line in commands if "--app portal" in line]
    for command in flask_commands:
        assert command in app.cli.commands, command
    files = [word.removeprefix("/srv/portal/") for line in commands for word in line.split()
             if "deploy/" in word]
    assert all((ROOT / path).is_file() for path in files), files
    assert service["User"] == "portal" and service["ProtectSystem"] == "strict"
    # Catalogs are compiled when the code is deployed: the service never writes its code.
    assert "/srv/portal/translations" not in service.get("ReadWritePaths", "")


@pytest.mark.parametrize("name", sorted(path.name for path in (DEPLOY / "systemd").glob(
    "*.timer")))
def test_every_timer_has_its_service_and_is_installed_by_the_readme(name):
    assert (DEPLOY / "systemd" / name.replace(".timer", ".service")).is_file()
    assert name in (DEPLOY / "README.md").read_text()


def run_backup(tmp_path, url):
    result = subprocess.run([str(DEPLOY / "backup.sh")], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin:/usr/local/bin",
                                 "PORTAL_DATABASE_URL": url, "BACKUP_DIR": str(tmp_path / "b")})
    assert result.returncode == 0, result.stderr
    copies = list((tmp_path / "b").iterdir())
    assert len(copies) == 1 and copies[0].name in result.stdout
    return copies[0]


def test_backup_makes_a_copy_that_opens(app, factory, tmp_path):
    if not shutil.which("sqlite3") and not shutil.which("pg_dump"):
        pytest.skip("neither sqlite3 nor pg_dump is installed")
    factory.subscriber()
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        if not shutil.which("sqlite3"):
            pytest.skip("the sqlite3 command is not installed (apt-get install sqlite3)")
        import sqlite3
        copy = run_backup(tmp_path, url)
        restored = tmp_path / "restored.db"
        restored.write_bytes(gzip.decompress(copy.read_bytes()))
        with sqlite3.connect(restored) as connection:
            assert connection.execute("SELECT number FROM subscription").fetchall() == [
                ("+380671234567",)]
    else:
        if not shutil.which("pg_dump"):
            pytest.skip("pg_dump is not installed")
        models.db.close() if not models.db.is_closed() else None
        copy = run_backup(tmp_path, url)
        assert copy.read_bytes()[:5] == b"PGDMP"
        listing = subprocess.run(["pg_restore", "--list", str(copy)], capture_output=True,
                                 text=True, check=True).stdout
        assert "TABLE DATA public subscription" in listing


def test_backup_refuses_an_unknown_database(tmp_path):
    result = subprocess.run([str(DEPLOY / "backup.sh")], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "PORTAL_DATABASE_URL": "mysql://x/y",
                                 "BACKUP_DIR": str(tmp_path)})
    assert result.returncode == 2 and "unknown database" in result.stderr


@pytest.mark.parametrize("behind_proxy, seen", [(True, "203.0.113.9"), (False, "127.0.0.1")])
def test_behind_nginx_the_audit_log_keeps_the_subscribers_address(
        app, subscriber, behind_proxy, seen):
    from portal import create_app
    proxied = create_app({**app.config, "BEHIND_PROXY": behind_proxy})
    proxied.test_client_class = app.test_client_class
    client = proxied.test_client()
    client.post("/login", data={"login": "0671234567", "password": "wrong-pass1"},
                headers={"X-Forwarded-For": "203.0.113.9"})
    with proxied.app_context():
        models.db.connect(reuse_if_open=True)
        event = models.AuditEvent.select().order_by(models.AuditEvent.id.desc()).first()
    assert event.ip == seen


# Operators' probes and metrics (issue 27) ------------------------------------------------

METRICS_TOKEN = "token-of-the-deploy-tests"


def test_nginx_passes_the_probes_and_hides_the_metrics(app, nginx_site):
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    _, https_port = nginx_site
    response, body = https_get(https_port, "/readyz")
    assert (response.status, body) == (200, b"ready\n")
    response, body = https_get(https_port, "/healthz")
    assert (response.status, body) == (200, b"ok\n")
    response, _ = https_get(https_port, "/metrics",
                            {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status == 404  # nginx's own: Prometheus asks each node directly
    response, _ = https_get(https_port, "/login", {"X-Request-ID": "from-the-client-0001"})
    given = response.getheader("X-Request-ID")  # nginx's $request_id, answered by the app
    assert given and given != "from-the-client-0001" and len(given) == 32


def wait_ready(port, seconds):
    return subprocess.run([str(DEPLOY / "wait-ready.sh")], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PORT": str(port),
                               "WAIT_SECONDS": str(seconds)}, timeout=seconds + 30)


def test_the_unit_is_started_only_once_the_node_is_ready(app_server):
    service = unit("portal.service")["Service"]
    assert service["ExecStartPost"] == "/srv/portal/deploy/wait-ready.sh"
    assert service["Environment"] == "PROMETHEUS_MULTIPROC_DIR=/run/portal/metrics"
    assert service["RuntimeDirectory"] == "portal"
    assert wait_ready(app_server, 10).returncode == 0
    refused = wait_ready(free_port(), 1)
    assert refused.returncode == 1 and "is not ready" in refused.stderr


def metric_value(text, name, **labels):
    from prometheus_client.parser import text_string_to_metric_families
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == name
               and all(sample.labels.get(key) == value for key, value in labels.items()))


def test_gunicorn_workers_add_up_their_counts(app, tmp_path):
    """deploy/gunicorn.conf.py for real: two workers, prometheus-client's multiprocess
    mode; whichever worker served each request, /metrics counts them all."""
    port = free_port()
    environment = {"PATH": "/usr/bin:/bin", "PORT": str(port), "WEB_CONCURRENCY": "2",
                   "PORTAL_DATABASE_URL": app.config["DATABASE_URL"], "PORTAL_DEMO": "0",
                   "PORTAL_SECRET_KEY": "deploy-test-secret",
                   "PORTAL_METRICS_TOKEN": METRICS_TOKEN,
                   "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    if models.db.obj is not None and not models.db.is_closed():
        models.db.close()
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-c",
                               str(DEPLOY / "gunicorn.conf.py"), "portal:create_app()"],
                              cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert wait_ready(port, 60).returncode == 0
        for _ in range(20):  # a new connection each: the workers take turns as they can
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            assert connection.getresponse().status == 200
            connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/metrics", headers={"Authorization":
                                                       f"Bearer {METRICS_TOKEN}"})
        text = connection.getresponse().read().decode()
        connection.close()
        assert metric_value(text, "portal_http_request_duration_seconds_count",
                            route="/healthz", status="200") == 20
        assert metric_value(text, "portal_ready") == 1
        assert list((tmp_path / "metrics").glob("histogram_*.db"))  # one file a worker
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    lines = [line for line in errors.splitlines() if line.startswith("{")]
    assert sum('"route": "/healthz"' in line for line in lines) == 20  # one JSON line each


def test_the_alert_rules_and_the_scrape_job_read_what_the_portal_exposes(app):
    import yaml
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "scrape.yml").read_text())
    [job] = scrape["scrape_configs"]
    assert job["metrics_path"] == "/metrics" and job["authorization"]["type"] == "Bearer"
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    alerts = {rule["alert"]: rule["expr"] for group in rules["groups"]
              for rule in group["rules"]}
    assert set(alerts) == {"PortalServerErrors", "PortalSmsFailing", "PortalPaymentsStuck",
                           "PortalNodeNotReady"}
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    exposed = app.test_client().get(
        "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).get_data(as_text=True)
    names = set(re.findall(r"^# TYPE (\w+) (\w+)", exposed, re.M))
    known = {"up"} | {name for name, _ in names} | {
        f"{name}{suffix}" for name, kind in names if kind in ("counter", "histogram")
        for suffix in ("_total", "_count", "_sum", "_bucket")}
    for name, expr in alerts.items():
        used = set(re.findall(r"\b(portal_\w+|up)\b(?=[{\s)]|$)", expr))
        assert used and used <= known, (name, used - known)


@pytest.mark.parametrize("cores,database_url,workers", [
    (2, "sqlite:///instance/portal.db", 3),  # a page never waits: a worker a core, one spare
    (8, "sqlite:///instance/portal.db", 9),
    (1, "sqlite:///instance/portal.db", 3),  # two waiting requests leave one for the pages
    (2, "", 3),  # the portal's default database is SQLite
    (2, "postgresql://portal@db/portal", 5),  # each query waits on the server
    (2, "postgres://portal@db/portal", 5),
    (32, "postgresql://portal@db/portal", 65),
])
def test_gunicorn_runs_as_many_workers_as_the_database_keeps_busy(
        monkeypatch, tmp_path, cores, database_url, workers):
    # Reading the settings sets the metrics folder if none is set: this test's own.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["default_workers"](cores, database_url) == workers
    assert settings["workers"] == settings["default_workers"](os.cpu_count(), database_url)
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    assert runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))["workers"] == 7
