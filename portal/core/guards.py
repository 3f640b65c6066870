"""What no view gets to see: numbers the database cannot hold, text that is not text (NUL
bytes, bytes that are not UTF-8) and files, which no page takes. Such a request is refused
before any view runs (a 4xx with a message in the user's language), so nothing of it is
done, half or whole."""
import re
from urllib.parse import unquote_to_bytes

from flask import abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from .web import Refused

# The database's integers (ids, offsets) are signed 64-bit.
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
# NUL, which PostgreSQL refuses in text outright, and U+FFFD, which werkzeug puts for bytes
# that are not UTF-8 in a path or a multipart field. (Other control characters are the
# views' to refuse, field by field.)
_NOT_TEXT = re.compile(r"[\x00\ufffd]")


class IdConverter(IntegerConverter):
    """`<int:…>` matches only what the database can hold: a longer number is no such page,
    not an overflow inside a query."""

    def __init__(self, map, fixed_digits=0, min=INT64_MIN, max=INT64_MAX, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def checked_query(form):
    """`form` (of query-string arguments) validated, or the request refused: a number out
    of range in an address is a bad address, not a page to guess at."""
    if not form.validate():
        raise Refused(_("A number in the address is out of range."))
    return form


def _is_utf8(urlencoded):
    try:
        unquote_to_bytes(urlencoded).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _all_text(multidict):
    return not any(_NOT_TEXT.search(key) or _NOT_TEXT.search(value)
                   for key, value in multidict.items(multi=True))


def _is_text(asked):
    # Werkzeug keeps bytes that are not UTF-8 percent-encoded in the query and in a
    # urlencoded body, as if typed so: only the raw bytes tell.
    if not _is_utf8(asked.query_string) or not _all_text(asked.args):
        return False
    if asked.mimetype == "application/x-www-form-urlencoded" and not _is_utf8(
            asked.get_data(cache=True)):  # cached: the form is parsed from it next
        return False
    return _all_text(asked.form)


def _has_body(asked):
    environ = asked.environ
    if "CONTENT_LENGTH" not in environ and "HTTP_TRANSFER_ENCODING" not in environ:
        # A page opened (most requests), told without werkzeug's header lookups, which
        # answer a missing header by raising a KeyError.
        return False
    return bool(asked.content_length) or "Transfer-Encoding" in asked.headers


def refuse_hostile_input():
    # Every request: the request itself, not Flask's proxy of it, is asked (see
    # portal.core.i18n.current_locale).
    asked = request._get_current_object()
    if _NOT_TEXT.search(asked.path):
        abort(404)
    if not asked.query_string and not _has_body(asked):
        return  # most requests, a page opened: nothing more to read (or to parse for it)
    if not _is_text(asked):
        raise Refused(_("The address or the form holds characters that are not text. "
                        "Please type it again."))
    if asked.files:
        raise Refused(_("This page takes no files. Please send the form as the page shows "
                        "it."))


def init_app(app):
    """Before the routes are added (their `<int:…>` takes the converter) and before any
    other hook reads the request (the check needs the body's raw bytes)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_hostile_input)
