"""The published contract: the gateway's HTTP API as an OpenAPI 3.0 document, made from its routes' declarations.

Each route's ``http(...)`` declaration (``gateway.http``) says who may use it,
what it reads and what it answers; the document follows from that alone:

- the path, its parameters (``/orders/<order_id>``: a string of safe characters,
  what ``valid_id`` accepts), the query parameters of the ``query`` schema and
  the request body of the ``body`` schema (unknown fields refused:
  ``additionalProperties: false``);
- the answers of ``answers`` (a schema: JSON; a media type: a body of that
  type; None: no content), then the errors the declaration implies: 400 when
  the route reads a body, a query or a path, 401 (a route anyone may use checks
  a token sent all the same), 403
  for staff routes, 404 with a path parameter, 429 always (every request counts
  against the per-client limit; ``Retry-After``), 503 when the route declares
  the services it ``calls``, each an ``Error``;
- security: the bearer JWT (``bearerAuth``) on every route but those open to
  anyone, which say ``security: []``.

- the errors only the services answer (an email registered already: 409), as
  the route's ``errors`` say, and the request headers its method reads (its
  ``headers``);
- the route's docstring as its summary (the first sentence) and description.

Routes declared ``published=False`` (probes, the documentation's own assets)
stay out of the document.

``GET /docs`` renders the document (``gateway.docs_page``).
"""

import inspect
import re
from functools import cache
from http import HTTPStatus
from importlib import metadata

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from gateway.authentication import ANYONE, STAFF
from gateway.http import REQUEST_ID_HEADER, STATUS_OF_ERROR, JsonHttpEntrypoint
from gateway.idempotency import IDEMPOTENCY_KEY_HEADER, VALID_KEY
from gateway.schemas import Error
from shop_common.messaging.request_context import VALID_REQUEST_ID
from shop_common.vocabulary.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
)
from shop_common.vocabulary.validation import SKU_PATTERN, plain_text

PACKAGE = "nameko-shop"
OPENAPI_VERSION = "3.0.3"  # what the Swagger UI of swagger-ui-bundle 1.x (4.x) renders
BEARER = "bearerAuth"
PATH_PARAMETER_PATTERN = SKU_PATTERN  # what ``valid_id`` accepts of a path parameter
PLAIN_TEXT_PATTERN = r"^[^\u0000-\u001f\u007f]*$"  # what ``plain_text`` lets through (JSON has no lone surrogates)

IDEMPOTENCY_KEY = {
    "name": IDEMPOTENCY_KEY_HEADER,
    "in": "header",
    "required": False,
    "description": "1-255 printable ASCII characters of the client's choosing: the same key with the same body "
    "answers the order placed the first time instead of placing another; with another body, 422",
    "schema": {"type": "string", "pattern": VALID_KEY.pattern},
}

STRIPE_SIGNATURE = {
    "name": "Stripe-Signature",
    "in": "header",
    "required": True,
    "description": "t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<body>' under the webhook's signing secret>, as the "
    "payment provider signs its webhooks; older than 5 minutes, or any other, is refused (400)",
    "schema": {"type": "string", "maxLength": 1000},
}

CARRIER_SIGNATURE = {
    "name": "Carrier-Signature",
    "in": "header",
    "required": True,
    "description": "t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<body>' under CARRIER_WEBHOOK_SECRET>, as carriers "
    "sign their updates; older than 5 minutes, or any other, is refused (400)",
    "schema": {"type": "string", "maxLength": 1000},
}

# What a route's declaration does not say, by method: the errors its services answer (family -> when) and the
# request headers it reads besides X-Request-ID. Everything else in the document follows from the declarations.
_ERRORS = {  # family -> what it means, whatever the route
    InvalidInput: "Invalid input (`details` names each field and what is wrong with it)",
    Unauthenticated: "No access token, or one that does not hold (`WWW-Authenticate: Bearer`)",
    Forbidden: "The caller may not do this",
    NotFound: "Not found",
    Conflict: "Conflicts with what the shop holds",
    Unprocessable: "Well-formed, but contradicts what the shop holds",
    TooManyRequests: "A rate limit is spent: try again after `Retry-After` seconds",
    ServiceUnavailable: "A service the request needs did not answer in time, or the shop is taking no new orders for "
    "a moment: try again (`details` may say more; `Retry-After`, when sent, says when)",
}

_HEADERS = {
    "RequestId": {
        "description": "the request's id (the client's X-Request-ID when valid, a new one otherwise), "
        "in every log line the request causes",
        "required": True,
        "schema": {"type": "string", "pattern": VALID_REQUEST_ID.pattern},
    },
    "RetryAfter": {
        "description": "whole seconds until the limit has room again",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
    "WwwAuthenticate": {
        "description": 'Bearer realm="shop", with error="invalid_token" for a token that does not hold',
        "required": True,
        "schema": {"type": "string"},
    },
}
_ERROR_HEADERS = {
    Unauthenticated: {"WWW-Authenticate": "WwwAuthenticate"},
    TooManyRequests: {"Retry-After": "RetryAfter"},
}

_PATH_PARAMETER = re.compile(r"<(?:(?P<converter>[^<>:]+):)?(?P<name>[^<>:]+)>")


def http_routes(service):
    """``(name, method, entrypoint)`` of each HTTP route ``service`` declares, in the order of the class."""
    for name, method in vars(service).items():
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, JsonHttpEntrypoint):
                yield name, method, entrypoint


def published_routes(service):
    return [route for route in http_routes(service) if route[2].published]


def openapi_path(url):
    """The OpenAPI path of a werkzeug rule (``/orders/<order_id>`` -> ``/orders/{order_id}``) and its parameters."""
    names = []

    def parameter(match):
        if match["converter"] not in (None, "string"):
            raise ValueError(f"{url}: document the {match['converter']} converter in gateway.contract")
        names.append(match["name"])
        return "{" + match["name"] + "}"

    return _PATH_PARAMETER.sub(parameter, url), names


def status_of(family):
    return next(status for known, status in STATUS_OF_ERROR if issubclass(family, known))


def error_families(entrypoint):
    """Family -> description of each error the route can answer, by status."""
    _, path_parameters = openapi_path(entrypoint.url)
    errors = {}
    invalid = [
        what
        for what, read in (
            ("the body is not a JSON object of the schema (or not JSON)", entrypoint.body_schema),
            ("the body does not carry its sender's valid signature", entrypoint.raw_body),
            ("a query parameter is invalid", entrypoint.query_schema),
            ("a path parameter is invalid", path_parameters),
        )
        if read
    ]
    if invalid:
        errors[InvalidInput] = f"{_ERRORS[InvalidInput]}: {'; '.join(invalid)}"
    errors[Unauthenticated] = (
        _ERRORS[Unauthenticated]
        if entrypoint.access != ANYONE
        else "An Authorization header that does not hold (the route needs none, but a token sent is checked)"
    )
    if entrypoint.access == STAFF:
        errors[Forbidden] = "Only staff may do this"
    if path_parameters:
        errors[NotFound] = f"No such {' or '.join(path_parameters)}"
    for family, when in entrypoint.errors.items():
        errors[family] = f"{errors[family]}; or {when}" if family in errors else f"{_ERRORS[family]}: {when}"
    errors[TooManyRequests] = _ERRORS[TooManyRequests]
    if entrypoint.calls:
        errors[ServiceUnavailable] = f"{_ERRORS[ServiceUnavailable]}: {', '.join(entrypoint.calls)}"
    return dict(sorted(errors.items(), key=lambda item: status_of(item[0])))


def _answer(status, answer):
    response = {"description": HTTPStatus(status).phrase, "headers": {REQUEST_ID_HEADER: _header_ref("RequestId")}}
    if isinstance(answer, str):  # a media type, the body not described further
        json_like = answer == "application/json" or answer.endswith("+json")
        response["content"] = {answer: {"schema": {"type": "object" if json_like else "string"}}}
    elif answer is not None:
        response["content"] = {"application/json": {"schema": answer}}
    return response


def _error_answer(family, description):
    headers = {REQUEST_ID_HEADER: _header_ref("RequestId")}
    headers.update({header: _header_ref(ref) for header, ref in _ERROR_HEADERS.get(family, {}).items()})
    return {"description": description, "headers": headers, "content": {"application/json": {"schema": Error}}}


def _header_ref(name):
    return {"$ref": f"#/components/headers/{name}"}


def _query_parameters(converter, schema):
    """The query schema's fields as parameters; a query string cannot say null, so none is nullable."""
    parameters = converter.schema2parameters(schema, location="query")
    for parameter in parameters:
        parameter["schema"].pop("nullable", None)
        if parameter["schema"].get("default", ...) is None:
            del parameter["schema"]["default"]
        if "enum" in parameter["schema"]:
            parameter["schema"]["enum"] = [value for value in parameter["schema"]["enum"] if value is not None]
    return parameters


def money_as_text(converter, field, **kwargs):
    """A decimal field dumped as a string (money): digits, at most two places, no more of them than its maximum has
    (its range as ``x-minimum`` and ``x-maximum``)."""
    if not (isinstance(field, fields.Decimal) and field.as_string):
        return {}
    maxima = [validator.max for validator in field.validators if getattr(validator, "max", None) is not None]
    digits = f"{{0,{len(str(int(min(maxima)))) - 1}}}" if maxima else "*"
    return {
        "pattern": rf"^(0|[1-9][0-9]{digits})(\.[0-9]{{1,2}})?$",
        "description": "a decimal amount, at most two places (a JSON number is accepted too)",
    }


def plain_text_pattern(converter, field, **kwargs):
    """Text that ``plain_text`` checks holds no control characters."""
    return {"pattern": PLAIN_TEXT_PATTERN} if plain_text in field.validators else {}


def as_markdown(docstring):
    """A docstring as the document's text (CommonMark): ````code```` as `code`, lines of a paragraph joined."""
    paragraphs = (" ".join(line.strip() for line in paragraph.splitlines()) for paragraph in docstring.split("\n\n"))
    return "\n\n".join(paragraphs).replace("``", "`")


def operation(name, method, entrypoint, converter):
    path, path_parameters = openapi_path(entrypoint.url)
    doc = as_markdown(inspect.cleandoc(method.__doc__ or ""))
    summary = re.split(r"(?<=\.)\s|\n", doc, maxsplit=1)[0].rstrip(".") or name.replace("_", " ").capitalize()
    parameters = [
        {
            "name": parameter,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": PATH_PARAMETER_PATTERN},
        }
        for parameter in path_parameters
    ]
    if entrypoint.query_schema:
        parameters += _query_parameters(converter, entrypoint.query_schema)
    parameters += [*entrypoint.headers, "RequestId"]  # the component
    spec = {
        "operationId": name,
        "summary": summary,
        "tags": [path.strip("/").split("/")[0]],
        "parameters": parameters,
        "security": [] if entrypoint.access == ANYONE else [{BEARER: []}],
        "responses": {str(status): _answer(status, answer) for status, answer in sorted(entrypoint.answers.items())},
    }
    if doc and doc.rstrip(".") != summary:
        spec["description"] = doc
    if entrypoint.body_schema:
        spec["requestBody"] = {
            "required": True,
            "description": "a JSON object; unknown fields are refused",
            "content": {"application/json": {"schema": entrypoint.body_schema}},
        }
    elif entrypoint.raw_body:
        spec["requestBody"] = {
            "required": True,
            "description": "as its sender made it: its signature covers these very bytes",
            "content": {entrypoint.raw_body: {"schema": {"type": "object"}}},
        }
    for family, when in error_families(entrypoint).items():
        spec["responses"][str(status_of(family))] = _error_answer(family, when)
    return path, entrypoint.method.lower(), spec


@cache
def openapi_document(service):
    """The OpenAPI document of ``service``'s published routes, as JSON-ready data (made once per class)."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title=PACKAGE,
        version=metadata.version(PACKAGE),
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={"description": metadata.metadata(PACKAGE)["Summary"]},
    )
    plugin.map_to_openapi_type(fields.Decimal, "string", None)
    plugin.converter.add_attribute_function(money_as_text)
    plugin.converter.add_attribute_function(plain_text_pattern)
    spec.components.security_scheme(
        BEARER,
        {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "an access_token of POST /auth/token",
        },
    )
    for header, definition in _HEADERS.items():
        spec.components.header(header, definition)
    spec.components.parameter(
        "RequestId",
        "header",
        {
            "name": REQUEST_ID_HEADER,
            "required": False,
            "schema": {"type": "string"},
            "description": f"an id of the client's for the request, kept when it matches {VALID_REQUEST_ID.pattern} "
            "(replaced by a new one otherwise)",
        },
    )
    spec.components.schema("Error", schema=Error)
    paths = {}
    for route in published_routes(service):
        path, method, spec_of_operation = operation(*route, plugin.converter)
        paths.setdefault(path, {})[method] = spec_of_operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
