"""Shared page helpers."""


def test_htmx_attributes_of_a_field_reach_the_page(client, signed_in):
    html = client.get("/password").get_data(as_text=True)
    assert 'hx-post="/password/check"' in html and 'hx-trigger="input changed delay:300ms"' in html
    assert "hx_post" not in html
