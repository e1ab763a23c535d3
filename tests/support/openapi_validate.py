#!/usr/bin/env python3
"""Validates JSON bodies against the schemas of one OpenAPI 3.1 document, for the e2e tests.

The document comes as the first line of stdin. Every following line is one request,
{"schema": "#/paths/...", "instance": <body>}, answered by one line on stdout:
{"ok": true} or {"ok": false, "errors": ["$.nodes[0].active: ... (schema path ...)", ...]}.
One process serves a whole test program (tests/support/openapi_validator.h), so a schema is
compiled once however many answers are held to it.
"""

import json
import sys

try:
    import jsonschema
    from jsonschema.exceptions import best_match
except ImportError as missing:
    sys.stderr.write("openapi_validate.py needs jsonschema (Debian: apt-get install "
                     "python3-jsonschema): %s\n" % missing)
    sys.exit(3)

# The first errors by depth are enough to find what is wrong; the rest repeat it.
ERRORS_SHOWN = 3

# The document's URI for "$ref": a schema is validated as {"$ref": DOCUMENT + pointer}, so that
# the "#/components/..." references in it resolve in the document, not in the schema alone.
DOCUMENT = "urn:understudy:openapi"


def referencing_validator(document):
    """A validator of a schema that may refer into `document` (jsonschema 4.18 and later)."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource(
        DOCUMENT, Resource.from_contents(document, default_specification=DRAFT202012))
    return lambda schema: jsonschema.Draft202012Validator(schema, registry=registry)


def resolver_validator(document):
    """The same for jsonschema before 4.18 (Debian 12 has 4.10), through a RefResolver."""
    resolver = jsonschema.RefResolver(DOCUMENT, document)
    return lambda schema: jsonschema.Draft202012Validator(schema, resolver=resolver)


def validator_factory(document):
    try:
        return referencing_validator(document)
    except ImportError:
        return resolver_validator(document)


def json_path(path):
    """"$.nodes[0].state" from the path of the offending value."""
    text = "$"
    for part in path:
        text += "[%d]" % part if isinstance(part, int) else "." + str(part)
    return text


def unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def schema_at(document, pointer):
    """The schema at `pointer` ("#/paths/~1nodes/get/..."), an RFC 6901 pointer in a fragment;
    a KeyError that names it when the document has none there."""
    if not pointer.startswith("#/"):
        raise KeyError("not a pointer into the document: %r" % pointer)
    node = document
    try:
        for token in pointer[2:].split("/"):
            node = node[int(token)] if isinstance(node, list) else node[unescape(token)]
    except (KeyError, IndexError, ValueError) as missing:
        raise KeyError("the document has no schema at %s (no %s)" % (pointer, missing))
    return node


def described(error):
    """The error that names the wrong value: a oneOf's or anyOf's own errors sit in its context."""
    deepest = best_match([error])
    schema_path = "/".join(str(part) for part in deepest.absolute_schema_path)
    return "%s: %s (schema path %s)" % (
        json_path(deepest.absolute_path), deepest.message, schema_path)


def answer(validators, document, make_validator, request):
    pointer = request["schema"]
    if pointer not in validators:
        schema_at(document, pointer)
        validators[pointer] = make_validator({"$ref": DOCUMENT + pointer})
    errors = sorted(validators[pointer].iter_errors(request["instance"]),
                    key=lambda error: -len(error.absolute_path))
    if not errors:
        return {"ok": True}
    return {"ok": False, "errors": [described(error) for error in errors[:ERRORS_SHOWN]]}


def main():
    document = json.loads(sys.stdin.readline())
    make_validator = validator_factory(document)
    validators = {}
    for line in sys.stdin:
        try:
            reply = answer(validators, document, make_validator, json.loads(line))
        except Exception as error:
            # A bad pointer, an unusable schema or an unresolvable "$ref": the document is
            # wrong, which the test that sent the request reports.
            reason = "cannot validate: %s: %s" % (type(error).__name__, error)
            reply = {"ok": False, "errors": [reason]}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
