"""Validates an OpenAPI document with openapi-spec-validator, an implementation
independent of the utoipa that generated it.

Usage: openapi_check.py <document.json>. Prints every error, one a line, and
exits non-zero when there is any.
"""
import json
import sys

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

with open(sys.argv[1], encoding="utf-8") as file:
    document = json.load(file)
validator = OpenAPIV31SpecValidator if document.get("openapi", "").startswith("3.1") else OpenAPIV30SpecValidator
errors = list(validator(document).iter_errors())
for error in errors:
    where = "/".join(str(part) for part in getattr(error, "absolute_path", []))
    print(f"{where}: {error.message.splitlines()[0]}")
sys.exit(1 if errors else 0)
