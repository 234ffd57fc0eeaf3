"""Shared helpers of the patronage tests that are not factories."""

from openapi_schema_validator import OAS30ReadValidator


def assert_conforms(schema, path: str, method: str, response) -> None:
    """The response's status is documented and its body validates against the schema (as
    tests/coop/test_api_schema_conformance.py checks the other apps)."""
    operation = schema["paths"][path][method]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (path, method, response.status_code)
    content_type = response["Content-Type"].split(";")[0]
    body_schema = documented[str(response.status_code)]["content"][content_type]["schema"]
    document = {"allOf": [body_schema], "components": schema["components"]}
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in OAS30ReadValidator(document).iter_errors(response.json())]
    assert not errors, errors
