"""The phone the browser tests hold every page to (360x640), where their screenshots go,
the checks each page passes on it (run in the page by conftest.Checker), and the Chromium
they drive (tests/conftest.py says when it is missing: under pytest-xdist the process that
reports loads no conftest below tests/)."""
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
SKIP_REASON = (f"{CHROMIUM} not found: browser tests skipped "
               "(apt-get install chromium to run them)")
have_chromium = Path(CHROMIUM).exists()
PHONE = {"width": 360, "height": 640}

# The phone checks of a page, in the page: its width, every visible control smaller than
# 24x24 px (WCAG 2.2, 2.5.8), every field without an accessible name.
PHONE_CHECKS = """() => {
  const shown = el => {
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
      && style.visibility !== "hidden";
  };
  const named = el => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`
    + ` "${(el.getAttribute("aria-label") || el.textContent || el.name || "").trim().slice(0, 40)}"`;
  // 2.5.8's inline exception: a link within a sentence, a paragraph with words besides
  // its links (links set apart by dots are no sentence).
  const inSentence = el => {
    if (el.tagName !== "A") return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
    if (block === null || block.tagName !== "P") return false;
    const words = [...block.querySelectorAll("a")]
      .reduce((rest, link) => rest.replace(link.textContent, ""), block.textContent);
    return /[\\p{L}\\p{N}]/u.test(words);
  };
  const small = [];
  const controls = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(controls)) {
    if (!shown(el) || inSentence(el)) continue;
    const check = el.matches("input[type=checkbox], input[type=radio]") && el.closest("label");
    const box = (check || el).getBoundingClientRect();
    if (box.width < 24 || box.height < 24)
      small.push(`${named(check || el)} ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  const text = el => (el ? el.textContent.trim() : "");
  const unnamed = [];
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const byIds = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
      .map(id => text(document.getElementById(id))).join("");
    const byLabels = [...el.labels].map(text).join("");
    if (!byIds && !(el.getAttribute("aria-label") || "").trim() && !byLabels
        && !(el.getAttribute("title") || "").trim())
      unnamed.push(named(el));
  }
  return {width: document.documentElement.scrollWidth, small, unnamed};
}"""
