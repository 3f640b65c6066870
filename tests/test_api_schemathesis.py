"""schemathesis against the API's own OpenAPI document (/api/v1/openapi.json): the requests
its schema allows, with a live token; no answer may be a 5xx, and every answer must be one
the document describes (status, content type, body). (schemathesis's own pytest plugin does
not run under this pytest: its strategies are driven by hypothesis here.)"""

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.helpers import widget_token


def test_the_api_answers_as_its_document_says(app, subscriber, clock):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    token = widget_token(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:

        @settings(max_examples=30, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def answers_as_documented(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            clock.advance(seconds=2)  # the token's 60 calls a minute are not the point
            response = case.call()
            assert response.status_code < 500, case.as_curl_command()
            case.validate_response(response)

        answers_as_documented()
