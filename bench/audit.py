"""`make audit`: Lighthouse's mobile audit (performance, accessibility, best practices,
SEO) of the main pages of the demo copy, signed out and signed in.

The demo copy is served as `make run` serves it (gunicorn, demo mode, `PORTAL_NOW`) on a
free loopback port with a database of its own; the signed-in pages are audited with the
session cookie of a real sign-in as Олена (067 123 45 67), passed with --extra-headers.
Lighthouse is npm's lighthouse@12.2.3 (the Makefile installs it under .audit/) driving
Debian's Chromium (CHROME_PATH, /usr/bin/chromium by default). The full reports are left
in bench/out/. Exits non-zero when a page misses a target."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.servers import Gunicorn, sign_in

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / ".audit" / "node_modules" / ".bin" / "lighthouse"
OUT = ROOT / "bench" / "out"
PORTAL_NOW = "2026-12-04T09:00:00"  # as the browser tests: the same demo data every run
LOGIN, PASSWORD = "067 123 45 67", "Demo-2026"
SIGNED_OUT = ("/login", "/topup")
SIGNED_IN = ("/", "/expenses", "/services", "/tariffs", "/settings", "/support", "/transfer",
             "/profile")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}


def serve(tmp):
    """The demo copy on a free port: schema, demo data, then gunicorn as deployed."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PORTAL_", "MAKE", "MFLAGS"))}
    env.update(PORTAL_DATABASE_URL=f"sqlite:///{tmp / 'audit.db'}", PORTAL_DEMO="1",
               PORTAL_NOW=PORTAL_NOW, PORTAL_SECRET_KEY="audit-secret", WEB_CONCURRENCY="2")
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "portal"]
    for command in (["init-db"], ["demo-data"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    return Gunicorn("portal:create_app()", env, ROOT, tmp / "gunicorn.log")


def lighthouse(url, report, cookie=None):
    """{category: score 0-100} and {category: the audits that cost it points} of a page."""
    command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
               "--form-factor=mobile", f"--only-categories={','.join(CATEGORIES)}",
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(command, env=env, check=True, timeout=300)
    result = json.loads(report.read_text())
    scores = {c: round(result["categories"][c]["score"] * 100) for c in CATEGORIES}
    return scores, {c: lost_points(result, c) for c in CATEGORIES}


def lost_points(result, category):
    """The weighed audits of a category that did not score full marks."""
    audits = result["audits"]
    return [ref["id"] for ref in result["categories"][category]["auditRefs"]
            if ref["weight"] and audits[ref["id"]]["score"] is not None
            and audits[ref["id"]]["score"] < 1]


def main():
    if not LIGHTHOUSE.exists():
        print(f"{LIGHTHOUSE} is missing: `make audit` installs it (npm, Node 20)")
        return False
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        server = serve(Path(directory))
        try:
            cookie = sign_in(server.url, LOGIN, PASSWORD)
            for who, paths, session in (("signed out", SIGNED_OUT, None),
                                        ("signed in", SIGNED_IN, cookie)):
                for path in paths:
                    name = "home" if path == "/" else path.strip("/").replace("/", "-")
                    report = OUT / f"lighthouse-{name}.json"
                    scores, lost = lighthouse(server.url + path, report, session)
                    rows.append((path, who, scores, lost))
                    print(f"{path} ({who}): " + ", ".join(f"{c} {scores[c]}" for c in CATEGORIES),
                          flush=True)
        finally:
            server.stop()
    print("\n| page | | performance | accessibility | best practices | SEO |")
    print("|---|---|---:|---:|---:|---:|")
    for path, who, scores, _ in rows:
        print(f"| `{path}` | {who} | " + " | ".join(str(scores[c]) for c in CATEGORIES) + " |")
    ok = True
    for path, who, scores, lost in rows:
        for category in CATEGORIES:
            if scores[category] < TARGETS[category]:
                ok = False
                print(f"MISS {path} ({who}): {category} {scores[category]} < "
                      f"{TARGETS[category]}; points lost on: {', '.join(lost[category])}")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
