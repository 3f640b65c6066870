"""The stylesheet as engines without <details>, flexbox, grid or @supports read it
(NetSurf 3.10, Dillo 3.0; issue 25 item 7): what they see is everything outside the
@supports blocks, and there the menu lies over nothing and nothing needs flex or grid.
bench/old_browsers.py takes the screenshots in docs/screens/."""
import re
from pathlib import Path

CSS = (Path(__file__).resolve().parent.parent / "static" / "portal.css").read_text()


def outside_supports(css):
    """The CSS with every @supports block taken out, braces balanced."""
    kept, index = [], 0
    for found in re.finditer(r"@supports[^{]*\{", css):
        if found.start() < index:
            continue
        kept.append(css[index:found.start()])
        depth, index = 1, found.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(css[index], 0)
            index += 1
    kept.append(css[index:])
    return "".join(kept)


def rules(css):
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{((?:[^{}]*\{[^{}]*\})*)\s*\}", r"\1", css)
    return [(selector.strip(), body) for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]


def test_an_old_engine_sees_the_menu_in_the_flow_and_no_fold_marker():
    seen = rules(outside_supports(CSS))
    menu = [body for selector, body in seen if ".menu" in selector]
    assert menu and not any("position:absolute" in body for body in menu)
    assert any(sel == ".menu summary" and "display:none" in body for sel, body in seen)


def test_every_flex_or_grid_box_has_an_older_display_first():
    """A `display:flex` an old engine drops leaves the display declared before it in the
    same rule, or the element's own (a block) when it is a block anyway."""
    blocks = {".top", ".actions", ".languages", ".switcher", ".field.check", ".radios .check",
              ".month-nav", ".button-row", ".sign-in-extra", ".balance-row", ".chat-log",
              ".staff-top nav ul", ".facts", ".period-forms", ".tiles", ".quick-amounts",
              ".choice", ".menu summary"}
    for selector, body in rules(outside_supports(CSS)):
        displays = re.findall(r"display:([a-z-]+)", body)
        if displays and displays[-1] in ("flex", "inline-flex", "grid"):
            assert (len(displays) > 1 or selector in blocks
                    or all(part.strip() in blocks for part in selector.split(","))), selector


def test_the_modern_layout_is_kept_inside_supports():
    inside = CSS[CSS.index("@supports (display:flex){"):]
    assert ".menu nav{position:absolute" in inside and ".menu summary{display:flex}" in inside
