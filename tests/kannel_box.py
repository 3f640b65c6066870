"""Kannel for real, as Debian ships it: bearerbox, smsbox and fakesmsc (kannel-extras' fake
SMS centre) on free loopback ports of the tests' own, with a kannel.conf generated in a
temporary directory (docs/sms.md). One set a test session; `kannel.stop()` and `start()`
take it down and bring it back in the middle of a test. What reached the fake SMS centre is
read back from fakesmsc's output."""
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = next((path for path in (shutil.which("fakesmsc"), "/usr/lib/kannel/test/fakesmsc",
                                   "/usr/libexec/kannel/test/fakesmsc") if path and Path(path).exists()),
                None)
USER, PASSWORD = "portal", "kannel-test-password"
STARTUP = 30  # seconds a box may take to open its port on a busy machine
# fakesmsc prints each message the SMS centre got: "Got message 1: <from to type data>",
# a part of a long text as "<from to udh UDH data DATA>".
RECEIVED = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) ?(.*)>$")

CONFIG = """\
group = core
admin-port = {admin_port}
admin-password = {admin_password}
admin-interface = 127.0.0.1
smsbox-port = {smsbox_port}
box-allow-ip = 127.0.0.1
log-file = "{directory}/bearerbox.log"
log-level = 1
store-type = file
store-location = "{directory}/store"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox_port}
sendsms-port = {sendsms_port}
sendsms-interface = 127.0.0.1
log-file = "{directory}/smsbox.log"
log-level = 1

group = sendsms-user
username = {user}
password = {password}
max-messages = 10
concatenation = true
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(check, what):
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"Kannel: {what} within {STARTUP} s")


def _bytes(data):
    return urllib.parse.unquote_to_bytes(data.replace("+", "%20"))


def _joined(parts):
    """The text of a long message from its parts (each "UDH data DATA": the concatenation
    header 05 00 03 reference total number, then the part's bytes). fakesmsc does not say a
    part's coding: UTF-16 of the texts the portal sends begins with a byte below 0x20 (the
    high byte of a Latin, Cyrillic or currency character), GSM-7 text never does."""
    ordered = sorted(parts, key=lambda part: part[0][5])
    data = b"".join(body for _header, body in ordered)
    if data[:1] < b"\x20" and len(data) % 2 == 0:
        return "ucs-2", data.decode("utf-16-be")
    return "text", data.decode("latin-1")


class Kannel:
    def __init__(self, directory):
        self.directory = directory
        self.ports = {name: free_port() for name in ("admin_port", "smsbox_port", "smsc_port",
                                                     "sendsms_port")}
        self.admin_password = "kannel-admin-test"
        self.config = directory / "kannel.conf"
        self.config.write_text(CONFIG.format(directory=directory, user=USER, password=PASSWORD,
                                             admin_password=self.admin_password, **self.ports))
        self.processes, self.runs = [], 0
        self.sendsms_url = f"http://127.0.0.1:{self.ports['sendsms_port']}/cgi-bin/sendsms"

    def _status(self):
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.ports['admin_port']}/status.txt?password="
                    f"{self.admin_password}", timeout=2) as response:
                return response.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError):
            return ""

    def _start(self, *command, output):
        self.processes.append(subprocess.Popen(
            command, cwd=self.directory, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=open(self.directory / output, "wb")))

    def start(self):
        """bearerbox, then the fake SMS centre (until bearerbox sees it online), then
        smsbox (until its sendsms port opens)."""
        self.runs += 1
        self._start(BEARERBOX, str(self.config), output=f"bearerbox-{self.runs}.out")
        wait_for(lambda: "fake" in self._status(), "bearerbox did not answer")
        self._start(FAKESMSC, "-H", "127.0.0.1", "-r", str(self.ports["smsc_port"]), "-m", "0",
                    "0 0 text unused", output=f"fakesmsc-{self.runs}.out")
        wait_for(lambda: re.search(r"\(online \d+s", self._status()),
                  "the fake SMS centre did not come online")
        self._start(SMSBOX, str(self.config), output=f"smsbox-{self.runs}.out")
        wait_for(lambda: port_open(self.ports["sendsms_port"]), "smsbox did not open sendsms")

    def stop(self):
        for process in reversed(self.processes):
            process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []

    def received(self):
        """Every message the fake SMS centre got, a long one once all its parts are in, in
        order: (from, to, coding 'text' or 'ucs-2', text)."""
        messages, long_ones = [], {}
        for run in range(1, self.runs + 1):
            path = self.directory / f"fakesmsc-{run}.out"
            for line in path.read_text("latin-1").splitlines() if path.exists() else ():
                match = RECEIVED.search(line)
                if not match:
                    continue
                sender, to, kind, data = match.groups()
                if kind == "text":
                    messages.append((sender, to, kind, data))
                elif kind == "ucs-2":
                    messages.append((sender, to, kind, _bytes(data).decode("utf-16-be")))
                elif kind == "udh":
                    header, _data, body = data.split(" ", 2)
                    header = _bytes(header)
                    parts = long_ones.setdefault((run, sender, to, header[3]), [])
                    parts.append((header, _bytes(body)))
                    if len(parts) == header[4]:
                        messages.append((sender, to, *_joined(parts)))
        return messages

    def wait_for_message(self, to, count=1):
        """The messages to `to` once `count` have reached the fake SMS centre."""
        found = []

        def arrived():
            found[:] = [message for message in self.received() if message[1] == to]
            return len(found) >= count

        wait_for(arrived, f"no message to {to} reached the fake SMS centre")
        return found


def skip_without_kannel():
    """Skip the test when Debian's kannel and kannel-extras are not installed (.ci/run
    installs them), saying so."""
    missing = [name for name, path in (("bearerbox", BEARERBOX), ("smsbox", SMSBOX),
                                       ("fakesmsc", FAKESMSC)) if not path or not Path(path).exists()]
    if missing:
        pytest.skip(f"Kannel is not installed ({', '.join(missing)} missing: apt-get install "
                    "kannel kannel-extras): the Kannel tests are skipped")


@pytest.fixture(scope="session")
def kannel(tmp_path_factory):
    """Kannel on loopback ports of its own, for the session; skipped only when Kannel is
    not installed."""
    skip_without_kannel()
    box = Kannel(tmp_path_factory.mktemp("kannel"))
    box.start()
    yield box
    box.stop()
