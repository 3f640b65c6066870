"""Serving the portal for the benchmarks and audits: gunicorn as deployed and nginx in front
of it, each on a free loopback port in a process session of its own, and a real sign-in to
fetch pages as a subscriber (bench/bench_http.py, bench/audit.py, bench/old_browsers.py)."""
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process started in a session of its own, so that stopping it stops its
    workers too."""

    GRACE = 10  # seconds between SIGTERM and SIGKILL

    def wait_until_up(self, probe, seconds, failure):
        """Call `probe` until it raises no OSError (the server answers); RuntimeError with
        `failure` when the process ends or `seconds` pass first."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                probe()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(failure) from None
                time.sleep(0.1)

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(self.GRACE)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


class Gunicorn(Server):
    """`gunicorn -c deploy/gunicorn.conf.py APP` on a free loopback port, as deployed."""

    GRACE = 30

    def __init__(self, app_spec, env, cwd, log):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "PORT": str(self.port)}
        self.log = open(log, "w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "deploy" /
                                                              "gunicorn.conf.py"), app_spec],
            cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.wait_until_up(self._answers, 60, f"gunicorn did not start; see {log}")

    def _answers(self):
        try:
            urllib.request.urlopen(self.url + "/", timeout=5).read()
        except urllib.error.HTTPError:
            pass  # an error page is an answer

    def stop(self):
        super().stop()
        self.log.close()


def find_nginx():
    """Debian's nginx (in /usr/sbin, which a user's PATH may leave out), or None."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


class Nginx(Server):
    """Debian's nginx on a free loopback port in front of `nodes` (their URLs): the upstream
    and the app's `location /` of deploy/nginx/portal.conf, without TLS (wrk speaks HTTP)."""

    def __init__(self, nodes, directory):
        site = (ROOT / "deploy" / "nginx" / "portal.conf").read_text()
        proxied = next(block for block in re.findall(r"\n    location / \{\n.*?\n    \}", site,
                                                     re.S) if "proxy_pass" in block)
        upstream = re.search(r"upstream portal_app \{.*?\n\}", site, re.S).group(0)
        servers = "".join(f"    server {url.removeprefix('http://')} max_fails=3 "
                          f"fail_timeout=10s;\n" for url in nodes)
        upstream = re.sub(r"\n    server [^\n]*;", "\n" + servers.rstrip("\n"), upstream)
        gzip = "".join(line + "\n" for line in site.splitlines()
                       if line.strip().startswith("gzip"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        directory = Path(directory)
        user = "user root;\n" if os.geteuid() == 0 else ""  # its workers write under tmp
        (directory / "nginx.conf").write_text(
            f"{user}worker_processes auto;\ndaemon off;\npid {directory}/nginx.pid;\n"
            f"error_log {directory}/nginx-error.log;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n    access_log off;\n    client_body_temp_path {directory}/body;\n"
            f"    proxy_temp_path {directory}/proxy;\n{upstream}\n"
            f"server {{\n    listen 127.0.0.1:{self.port};\n{gzip}{proxied}\n}}\n}}\n")
        self.process = subprocess.Popen(
            [find_nginx(), "-c", str(directory / "nginx.conf"),
             "-p", str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.wait_until_up(lambda: socket.create_connection(("127.0.0.1", self.port),
                                                           timeout=1).close(),
                           20, f"nginx did not start; see {directory}/nginx-error.log")


def sign_in(base, login, password):
    """A real sign-in (CSRF token, POST /login); returns the Cookie header for wrk (or
    Lighthouse, see bench/audit.py)."""
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                      r'name="csrf_token" value="([^"]+)"', html)
    token = token.group(1) or token.group(2)
    data = urllib.parse.urlencode({"login": login, "password": password,
                                   "csrf_token": token}).encode()
    try:
        opener.open(base + "/login", data)
        raise RuntimeError("the bench sign-in was refused")
    except urllib.error.HTTPError as answer:
        if answer.code != 303:
            raise RuntimeError(f"the bench sign-in answered {answer.code}") from answer
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def fetch(url, cookie=None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.geturl(), response.read()
