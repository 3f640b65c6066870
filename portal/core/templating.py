"""Templates compiled once per language (and script root), with their fixed text made then.

Most of a page is text that depends only on the reader's language: the menu, the
headings, the labels, the links of the site's own pages. Jinja would look each string up
again at every render (`_("Menu")` is three calls through the template's context, some
fifty a page) and build each link anew (`url_for('expenses.report')`). Here each language
has its own compiled copy of every template, in which a call with constant arguments to
`_`, `url_for` or `static_url` was replaced while compiling by its answer, so it becomes
part of the page's static text:

- `_("text")` and `_("text %(n)s", n=…)`: the catalog's translation, made safe and
  formatted exactly as Jinja's own newstyle gettext does (`%` even without arguments,
  arguments escaped);
- `url_for('endpoint')` without arguments, and `static_url('file')`: the URL this app
  builds for them under the request's script root (a file's URL carries its content's
  hash: a static file does not change under a running app).

Everything that varies per request (balances, numbers, the CSRF token, the address)
stays a variable. `web.render` renders with `page_environment()`; the app's own
`jinja_env` stays as Flask made it (dynamic `_`), for the shared macros and anything
rendered outside `web.render`."""
import hashlib

from flask import current_app, has_request_context, request
from flask.templating import Environment
from jinja2 import BytecodeCache, nodes
from jinja2.utils import internalcode
from jinja2.visitor import NodeTransformer
from werkzeug.routing import BuildError

from .i18n import CATALOG_DIR, current_locale, translations_of

_ENVIRONMENTS = "page_environments"  # app.extensions' key: {(locale, script root): env}


class PortalEnvironment(Environment):
    """Flask's template environment; its overlays for a language (`folding` set) fold the
    fixed text while compiling."""

    folding = None  # (locale, script root) of a page environment

    def make_globals(self, d):
        """The environment's globals themselves for a template that brings none of its own
        (every template here; Jinja asks that no global change once templates are loaded).
        Jinja's ChainMap over them is copied key by key, in Python, into the context of
        every render (17 µs of a dashboard's 22 µs to begin rendering), and walked again
        for each include. A template made from a string with globals of its own gets the
        ChainMap; a loaded one may not have any (see get_template)."""
        if not d:
            return self.globals
        return super().make_globals(d)

    @internalcode  # as Jinja's own: no frame of ours in a template's traceback
    def get_template(self, name, parent=None, globals=None):  # noqa: A002 (Jinja's name)
        """Jinja's, refusing globals of the template's own: Jinja writes them into a loaded
        template's globals, which here are the environment's, shared by every template in
        every language. A page gets its values through its context."""
        _refuse_own_globals(globals)
        return super().get_template(name, parent, globals)

    @internalcode
    def select_template(self, names, parent=None, globals=None):  # noqa: A002
        """Jinja's, refusing globals of the template's own (see get_template)."""
        _refuse_own_globals(globals)
        return super().select_template(names, parent, globals)

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        if self.folding is not None:
            tree = _Folder(self.globals, *self.folding).visit(tree)
        return tree


def _refuse_own_globals(globals):  # noqa: A002 (Jinja's name)
    if globals:
        raise TypeError("a loaded template takes no globals of its own here: pass them in "
                        "its context")


class _Folder(NodeTransformer):
    def __init__(self, template_globals, locale, script_root):
        self.globals = template_globals  # the url_for and static_url the page would call
        self.translations = translations_of(locale)
        self.script_root = script_root

    def visit_Call(self, node):  # noqa: N802 (jinja2's visitor names)
        node = self.generic_visit(node)
        if (not isinstance(node.node, nodes.Name) or node.dyn_args or node.dyn_kwargs
                or len(node.args) != 1 or not isinstance(node.args[0], nodes.Const)
                or not isinstance(node.args[0].value, str)):
            return node
        name, text = node.node.name, node.args[0].value
        if name == "_":
            # jinja2.ext's newstyle gettext: Markup when autoescaping, then `% variables`.
            translated = nodes.MarkSafeIfAutoescape(
                nodes.Const(self.translations.ugettext(text)), lineno=node.lineno)
            return nodes.Mod(translated, nodes.Dict(
                [nodes.Pair(nodes.Const(keyword.key), keyword.value, lineno=node.lineno)
                 for keyword in node.kwargs], lineno=node.lineno), lineno=node.lineno)
        if node.kwargs or name not in ("url_for", "static_url"):
            return node
        url = self._url(name, text)
        return node if url is None else nodes.Const(url, lineno=node.lineno)

    def _url(self, name, argument):
        """The URL a request under this script root gets, or None (left to run then)."""
        build = self.globals.get(name)
        if build is None or not has_request_context() or (
                request.script_root != self.script_root):
            return None
        try:
            return build(argument)
        except BuildError:  # an endpoint this app has not registered (a demo page)
            return None


class _KeyedCache(BytecodeCache):
    """The app's bytecode cache (the tests share one across apps) holding each page
    environment's compiled templates under a key of its own: the same source compiles to
    other code in another language, catalog or URL map."""

    def __init__(self, inner, prefix):
        self.inner, self.prefix = inner, prefix

    def get_cache_key(self, name, filename=None):
        return self.inner.get_cache_key(self.prefix + name, filename)

    def load_bytecode(self, bucket):
        self.inner.load_bytecode(bucket)

    def dump_bytecode(self, bucket):
        self.inner.dump_bytecode(bucket)


def _cache_prefix(app, locale, script_root):
    digest = hashlib.sha256(f"{locale}\0{script_root}\0".encode())
    catalog = CATALOG_DIR / locale / "LC_MESSAGES" / "messages.mo"
    if catalog.exists():
        digest.update(catalog.read_bytes())
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint):
        digest.update(f"{rule.endpoint}\0{rule.rule}\0".encode())
    return f"page-{digest.hexdigest()[:16]}/"


def page_environment():
    """The template environment of the request's language and script root."""
    app = current_app._get_current_object()
    key = (current_locale(), request.script_root if has_request_context() else "")
    environments = app.extensions.setdefault(_ENVIRONMENTS, {})
    found = environments.get(key)
    if found is None:
        base = app.jinja_env
        cache = base.bytecode_cache and _KeyedCache(base.bytecode_cache,
                                                    _cache_prefix(app, *key))
        # cache_size -1: an unbounded dict (the templates are few), not a fresh copy of the
        # base environment's cache, whose templates are compiled without folding.
        found = base.overlay(cache_size=-1, bytecode_cache=cache)
        found.folding = key
        environments[key] = found
    return found


def init_app(app):
    """Before anything touches `app.jinja_env` (Flask builds it on first use)."""
    app.jinja_environment = PortalEnvironment
