"""The published contract on the running shop: the gateway serves its OpenAPI document and a page rendering it,
and answers what the document says it answers (schemathesis, as a customer and as staff)."""

import re
import zlib
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.contract import openapi_document
from gateway.service import GatewayService
from harness.accounts import bearer

pytestmark = pytest.mark.e2e

ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def get(stack, path, **kwargs):
    return requests.get(urljoin(stack.url, path), timeout=30, **kwargs)


def media_type(response):
    return response.headers["Content-Type"].split(";")[0].strip()


def test_the_gateway_serves_its_document(stack):
    response = get(stack, "/openapi.json")
    assert response.status_code == 200 and media_type(response) == "application/json"
    assert response.json() == openapi_document(GatewayService)


def test_the_docs_page_loads_only_its_own_assets(stack):
    page = get(stack, "/docs")
    assert page.status_code == 200 and media_type(page) == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)  # no inline script
    referenced = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(referenced) >= 5
    for reference in referenced:
        url = urljoin(page.url, reference)
        assert urlsplit(url).netloc == urlsplit(stack.url).netloc, reference
        asset = requests.get(url, timeout=30)
        assert asset.status_code == 200, url
        assert media_type(asset) == ASSET_TYPES[PurePosixPath(urlsplit(url).path).suffix], url
        assert asset.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/docs/nope.js",
        "/docs/index.html",
        "/docs/swagger-initializer.js",
        "/docs/..%2Fservice.py",
        "/docs/swagger-ui.js.map",
    ],
)
def test_an_asset_not_listed_is_not_found(stack, path):
    response = get(stack, path)
    assert response.status_code == 404 and media_type(response) == "application/json"
    assert response.json()["error"] == "not_found"


# The API held to its document (served by the gateway), operation by operation: what the document allows gets a
# documented answer, as a customer and as staff; what it does not allow is refused (as staff, whom every route
# lets in), never a 5xx.
# schemathesis' own pytest integration (``from_fixture(...).parametrize()``) sets ``request.node._nodeid``, which
# pytest 9.2 no longer has; hence pytest's parametrize and a Hypothesis test per operation.

EXAMPLES_PER_OPERATION = 20  # about 30 s in all on two cores, negative cases included
NEGATIVE_EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
DOCUMENT = openapi_document(GatewayService)
OPERATIONS = [(method.upper(), path) for path, operations in DOCUMENT["paths"].items() for method in operations]


def reads_input(method, path):
    """Whether the operation reads anything a case can get wrong (every header value is a string: X-Request-ID
    alone cannot be)."""
    spec = DOCUMENT["paths"][path][method.lower()]
    return "requestBody" in spec or any("$ref" not in parameter for parameter in spec["parameters"])


NEGATABLE = [operation for operation in OPERATIONS if reads_input(*operation)]


@pytest.fixture(scope="module")
def api(stack):
    return schemathesis.openapi.from_url(urljoin(stack.url, "/openapi.json"), timeout=30)


@pytest.fixture(scope="module")
def tokens(stack):
    """A customer's and a staff member's access tokens (what ``customer_token`` and ``staff_token`` give), taken
    once before any case: fuzzing ``POST /auth/token`` spends the failed sign-ins allowed per address, which the
    e2e stack keeps short, and a sign-in right after it would get 429."""
    return {"customer": stack.accounts.customer_token(), "staff": stack.accounts.staff_token()}


@pytest.mark.parametrize("role", ["customer", "staff"])
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{method} {path}" for method, path in OPERATIONS])
def test_the_api_answers_as_documented(api, tokens, method, path, role):
    headers = bearer(tokens[role])

    @given(case=api[path][method].as_strategy(GenerationMode.POSITIVE))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @seed(zlib.crc32(f"{role} {method} {path}".encode()))  # the same cases each run; others for each role
    def answers_as_documented(case):
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)

    answers_as_documented()


@pytest.mark.parametrize("method, path", NEGATABLE, ids=[f"{method} {path}" for method, path in NEGATABLE])
def test_the_api_refuses_what_the_document_does_not_allow(api, tokens, method, path):
    headers = bearer(tokens["staff"])

    @given(case=api[path][method].as_strategy(GenerationMode.NEGATIVE))
    @settings(
        max_examples=NEGATIVE_EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @seed(zlib.crc32(f"negative {method} {path}".encode()))
    def refused(case):
        case.call_and_validate(headers=headers, checks=[*CHECKS, negative_data_rejection], timeout=30)

    refused()
