"""Every catalogue text in every language: a name missing in one would print Ukrainian on
an English or Russian page (issue 25 item 5)."""
import copy

import pytest

from portal.core import catalogue


def test_the_shipped_catalogue_names_everything_in_uk_en_and_ru():
    data = catalogue.load()
    assert data["tariffs"] and data["services"] and data["promotions"]
    assert catalogue.missing_texts(data) == []


@pytest.mark.parametrize(("section", "field", "value"), [
    ("services", "name_ru", None),  # left out
    ("services", "name_en", "  "),  # blank
    ("tariffs", "name_en", None),
    ("tariffs", "description_ru", ""),
    ("shops", "city_en", None),
    ("promotions", "name_ru", None),
    ("promotions", "conditions_en", ""),
])
def test_a_text_missing_in_a_language_is_found_and_refused(section, field, value):
    data = copy.deepcopy(catalogue.load())
    entry = data[section][0]
    if value is None:
        del entry[field]
    else:
        entry[field] = value
    key = catalogue.SECTIONS[section][1] if section in catalogue.SECTIONS else "code"
    assert catalogue.missing_texts(data) == [f"{section} {entry[key]}: {field}"]
    with pytest.raises(ValueError, match=field):
        catalogue.apply(data)  # refused before any write: no database needed
