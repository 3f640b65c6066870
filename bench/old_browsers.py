"""`python -m bench.old_browsers`: screenshots of /login, the dashboard and /topup as
NetSurf 3.10 and Dillo 3.0.5 (Debian's netsurf-gtk and dillo) lay them out, taken under
Xvfb (Debian's xvfb; ImageMagick's `import` grabs the screen) into docs/screens/.

The demo copy is served as `make run` serves it (bench/audit.py's serve()); the pages are
fetched signed in as Олена and saved with the stylesheet beside them, so each browser
opens the very markup and CSS a signed-in visit gets (neither browser can be signed in
from a script). Takes about a minute; needs no network."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.audit import LOGIN, PASSWORD, serve
from bench.servers import fetch, sign_in

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screens"
PAGES = {"login": ("/login", False), "dashboard": ("/", True), "topup": ("/topup", True)}
BROWSERS = {"netsurf": ["netsurf-gtk", "--window_x=0", "--window_y=0", "--window_width=480",
                        "--window_height=800"],
            "dillo": ["dillo", "-g", "480x800+0+0"]}
SIZE = (480, 800)  # a small phone's width, a little wider: neither browser goes narrower


def save_pages(server, folder):
    """Each page's HTML, its stylesheet link pointed at a copy beside it."""
    cookie = sign_in(server.url, LOGIN, PASSWORD)
    shutil.copy(ROOT / "static" / "portal.css", folder / "portal.css")
    saved = {}
    for name, (path, signed_in) in PAGES.items():
        _status, _url, body = fetch(server.url + path, cookie if signed_in else None)
        html = re.sub(r'href="/static/portal\.css[^"]*"', 'href="portal.css"', body.decode())
        saved[name] = folder / f"{name}.html"
        saved[name].write_text(html)
    return saved


def screenshot(command, page, target, display):
    env = {**os.environ, "DISPLAY": display, "HOME": str(page.parent)}
    browser = subprocess.Popen(command + [page.as_uri()], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(6)  # no browser here says when it has painted
        subprocess.run(["import", "-display", display, "-window", "root",
                        "-crop", f"{SIZE[0]}x{SIZE[1]}+0+0", str(target)], check=True,
                       timeout=30)
    finally:
        os.killpg(browser.pid, 15)
        browser.wait(10)


def main():
    missing = [tool for tool in ("Xvfb", "import", "netsurf-gtk", "dillo") if not shutil.which(tool)]
    if missing:
        print("missing: " + ", ".join(missing) + " (apt-get install xvfb imagemagick "
              "netsurf-gtk dillo)")
        return False
    SHOTS.mkdir(parents=True, exist_ok=True)
    display = ":57"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            server = serve(folder)
            try:
                pages = save_pages(server, folder)
            finally:
                server.stop()
            for browser, command in BROWSERS.items():
                for name, page in pages.items():
                    target = SHOTS / f"{browser}-{name}.png"
                    screenshot(command, page, target, display)
                    print(target.relative_to(ROOT))
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    return True


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
