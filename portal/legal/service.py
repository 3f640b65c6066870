"""The operator's documents (`catalogue/terms.uk.md`, `catalogue/privacy.en.md`...) turned
into HTML. A file is read again when it changes, so the operator's edit shows without a
restart; a language without its own file gets the Ukrainian one."""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

from ..core.catalogue import CATALOGUE_FILE

FALLBACK_LANGUAGE = "uk"
FOLDER = CATALOGUE_FILE.parent

# CommonMark without raw HTML: the operator writes text, never markup or scripts (the CSP
# would refuse them anyway), and a link may not be javascript: or data:.
_markdown = MarkdownIt("js-default")


@dataclass(frozen=True)
class Document:
    title: str  # the file's first '# ' heading
    html: Markup  # the rest


def path_of(name, language, folder=FOLDER):
    own = folder / f"{name}.{language}.md"
    return own if own.is_file() else folder / f"{name}.{FALLBACK_LANGUAGE}.md"


def document(name, language, folder=FOLDER):
    """`name` ('terms' or 'privacy') in `language`, as its title and its HTML."""
    path = path_of(name, language, Path(folder))
    return _rendered(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _rendered(path, _modified):
    tokens = _markdown.parse(path.read_text(encoding="utf-8"))
    title = ""
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        title, tokens = tokens[1].content, tokens[3:]
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return Document(title, Markup(html))
