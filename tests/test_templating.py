"""Templates compiled per language with their fixed text made at compile time
(portal/core/templating.py): the same page as Jinja's own gettext and url_for make."""
import pytest
from markupsafe import Markup

from portal.core import templating
from portal.core.i18n import in_language

SOURCE = ('{{ _("Menu") }}|{{ _("Top up") }}|{{ _("%(bonuses)s bonuses, valid until %(day)s", '
          'bonuses=amount, day="<b>") }}|{{ _("Show") if flag else _("Home") }}|'
          '{{ url_for("dashboard.index") }}|{{ url_for("expenses.report", month="2026-11") }}|'
          '{{ static_url("portal.css") }}|{{ show_alert(_("Sign out")) }}')


def request_in(app, language, script_root=""):
    return app.test_request_context("/", base_url=f"http://localhost{script_root}",
                                    headers={"Cookie": f"lang={language}"})


def rendered(app, language, script_root="", folded=True):
    with request_in(app, language, script_root):
        environment = templating.page_environment() if folded else app.jinja_env
        template = environment.from_string(SOURCE)
        template.name = "page.html"  # autoescaped, as every page
        return template.render(amount=Markup("1,50"), flag=False)


@pytest.mark.parametrize("language", ["uk", "en", "ru"])
def test_a_folded_page_is_the_page_jinja_makes(app, language):
    assert rendered(app, language) == rendered(app, language, folded=False)
    assert rendered(app, language, "/cabinet") == rendered(app, language, "/cabinet",
                                                           folded=False)


def test_the_fixed_text_is_compiled_in(app):
    with request_in(app, "uk"):
        code = templating.page_environment().compile(SOURCE, raw=True)
    assert "Меню" in code and "Поповнити" in code  # the translations, as constants
    assert "|/|" in code and "portal.css?v=" in code  # the URLs without arguments
    # Left to run: the URL with arguments, the macro; no string is looked up at render.
    assert "'_'" not in code and "gettext" not in code
    assert "expenses.report" in code


def test_each_language_and_script_root_has_its_own_compiled_page(app):
    assert "Меню" in rendered(app, "uk") and "Menu" in rendered(app, "en")
    assert "|/cabinet/|" in rendered(app, "en", "/cabinet") and "|/|" in rendered(app, "en")


def test_texts_made_in_another_language_within_a_request_are_in_it(app):
    with request_in(app, "en"):
        with in_language("ru"):
            assert "Меню" in templating.page_environment().from_string(
                '{{ _("Menu") }}').render()
        assert templating.page_environment().from_string('{{ _("Menu") }}').render() == "Menu"


def test_templates_share_the_environments_globals_and_keep_their_own_apart(app):
    """A template without globals of its own reads the environment's dict itself: Jinja's
    ChainMap over it was copied key by key into every render's context. One made from a
    string with its own still sees the environment's through a ChainMap, and writes only
    there; a loaded template refuses globals of its own, which Jinja would write into the
    shared dict."""
    with request_in(app, "en"):
        for environment in (templating.page_environment(), app.jinja_env):
            page = environment.get_template("base.html")
            assert page.globals is environment.globals is app.jinja_env.globals
            own = environment.from_string("{{ mine }}|{{ _('Menu') }}", globals={"mine": "x"})
            assert own.render() == "x|Menu"
            own.globals["later"] = "y"
            assert "mine" not in environment.globals and "later" not in environment.globals
            loaded = environment.get_template("error.html")
            for load, name in ((environment.get_template, "error.html"),
                               (environment.select_template, ["error.html"]),
                               (environment.get_or_select_template, "error.html")):
                with pytest.raises(TypeError):
                    load(name, globals={"csrf_token": "leaked"})
                assert load(name, globals={}) is loaded
            assert "leaked" not in environment.globals.values()
