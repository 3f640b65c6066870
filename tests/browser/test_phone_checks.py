"""The phone checks every page a journey reaches goes through (conftest.PHONE_CHECKS) catch
what they are for: a sideways scroll, a control under 24x24 px outside a sentence, a field
with no accessible name (a label whose id is used twice names only the first field)."""
import pytest

from tests.browser.phone import PHONE, PHONE_CHECKS


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    yield context.new_page()
    context.close()


def checked(phone, body):
    phone.set_content(f"<!doctype html><html><body style='margin:0;font:16px sans-serif'>{body}")
    return phone.evaluate(PHONE_CHECKS)


def test_a_page_that_fits_passes(phone):
    found = checked(phone, """
      <p>Read <a href="/a">the rules</a> first.</p>
      <label for="n">Name</label><input id="n" style="height:30px">
      <input type="hidden" name="csrf">
      <button style="height:44px">Send</button>""")
    assert found == {"width": 360, "small": [], "unnamed": []}


def test_a_wide_page_is_caught(phone):
    assert checked(phone, "<div style='width:419px'>a table</div>")["width"] == 419


def test_small_controls_outside_a_sentence_are_caught(phone):
    found = checked(phone, """
      <p><a href="/a">Alone</a></p>
      <p><a href="/b">One</a> · <a href="/c">Two</a></p>
      <input type="radio" id="r" style="width:13px;height:13px"><label for="r">Radio</label>
      <label style="display:inline-block;height:20px"><input type="checkbox"
        style="width:16px;height:16px;margin:0">Wrapped</label>
      <p>In <a href="/d">a sentence</a> it may be small.</p>""")
    assert [entry.split(" ")[0] for entry in found["small"]] == ["a", "a", "a", "input#r",
                                                                 "label"]


def test_a_field_named_by_nothing_or_by_a_duplicated_id_is_caught(phone):
    found = checked(phone, """
      <label for="nickname">Nickname</label><input id="nickname" style="height:30px">
      <input id="nickname" style="height:30px">
      <select style="height:30px"></select>
      <textarea aria-labelledby="missing"></textarea>
      <input aria-label="Search" style="height:30px">""")
    assert found["unnamed"] == ['input#nickname ""', 'select ""', 'textarea ""']
