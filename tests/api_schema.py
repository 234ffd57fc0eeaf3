"""Real API responses checked against the generated OpenAPI schema (the apps' conformance
tests; the fuzzer in tests/api_fuzz checks the same with schemathesis)."""

from openapi_schema_validator import OAS30ReadValidator


def assert_conforms(schema, path: str, method: str, response) -> None:
    """The response's status is documented for this operation and its body validates against
    that status's schema."""
    operation = schema["paths"][path][method]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (path, method, response.status_code)
    content_type = response["Content-Type"].split(";")[0]
    body_schema = documented[str(response.status_code)]["content"][content_type]["schema"]
    # The body's schema inside a document holding the components, so its $refs resolve.
    document = {"allOf": [body_schema], "components": schema["components"]}
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in OAS30ReadValidator(document).iter_errors(response.json())]
    assert not errors, errors
