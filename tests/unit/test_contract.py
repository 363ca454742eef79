"""The published contract (``gateway.contract``): the OpenAPI document made from ``GatewayService``'s declarations."""

import inspect
import json
import re
import types

import pytest
import schemathesis
from nameko.rpc import RpcProxy

from gateway.authentication import ANYONE, STAFF
from gateway.contract import PATH_PARAMETER_PATTERN, http_routes, openapi_document
from gateway.http import JsonHttpEntrypoint
from gateway.service import GatewayService
from shop_common.operations.services import SERVICES


def declared_routes():
    """(method, OpenAPI path, entrypoint) of every HTTP route the class declares, found by walking it."""
    routes = []
    for name in dir(GatewayService):
        for entrypoint in getattr(getattr(GatewayService, name), "nameko_entrypoints", set()):
            if isinstance(entrypoint, JsonHttpEntrypoint):
                routes.append((entrypoint.method.lower(), re.sub(r"<([^>]+)>", r"{\1}", entrypoint.url), entrypoint))
    return routes


@pytest.fixture(scope="module")
def document():
    return openapi_document(GatewayService)


def operation(document, method, path):
    return document["paths"][path][method]


def test_the_document_is_valid_openapi(document):
    assert document["openapi"].startswith("3.0.")
    schemathesis.openapi.from_dict(document).validate()


def test_it_lists_every_published_route_and_only_those(document):
    published = {(method, path) for method, path, entrypoint in declared_routes() if entrypoint.published}
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert documented == published
    assert {("get", "/openapi.json"), ("get", "/docs"), ("post", "/orders")} <= documented
    assert ("get", "/docs/{asset}") not in documented  # the page's own assets


def test_each_route_says_who_may_use_it(document):
    for method, path, entrypoint in declared_routes():
        if entrypoint.published:
            spec = operation(document, method, path)
            assert "401" in spec["responses"], (method, path)  # a token sent is checked, wherever it is sent
            if entrypoint.access == ANYONE:
                assert spec["security"] == [], (method, path)
            else:
                assert spec["security"] == [{"bearerAuth": []}], (method, path)
            assert ("403" in spec["responses"]) >= (entrypoint.access == STAFF), (method, path)
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "an access_token of POST /auth/token",
    }


def test_every_route_may_answer_429_with_retry_after_and_each_error_is_an_error(document):
    for path, operations in document["paths"].items():
        for method, spec in operations.items():
            assert "429" in spec["responses"], (method, path)
            assert spec["responses"]["429"]["headers"]["Retry-After"] == {"$ref": "#/components/headers/RetryAfter"}
            for status, response in spec["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    }, (method, path, status)
    assert document["components"]["headers"]["RetryAfter"]["required"] is True


def test_placing_an_order(document):
    spec = operation(document, "post", "/orders")
    assert spec["security"] == [{"bearerAuth": []}]
    assert {"201", "400", "401", "422", "429", "503"} <= set(spec["responses"])
    assert "403" not in spec["responses"]  # a signed-in caller always places their own order
    assert spec["responses"]["401"]["headers"]["WWW-Authenticate"] == {"$ref": "#/components/headers/WwwAuthenticate"}
    assert spec["requestBody"]["required"] is True
    assert spec["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/NewOrder"}
    headers = {parameter.get("name"): parameter for parameter in spec["parameters"]}
    assert headers["Idempotency-Key"]["in"] == "header" and headers["Idempotency-Key"]["required"] is False
    assert {"$ref": "#/components/parameters/RequestId"} in spec["parameters"]


def test_anyone_may_list_products_with_the_query_parameters_of_its_schema(document):
    spec = operation(document, "get", "/products")
    assert spec["security"] == []
    assert {parameter.get("name") for parameter in spec["parameters"] if parameter.get("in") == "query"} == {
        "limit",
        "cursor",
    }
    assert set(spec["responses"]) == {"200", "400", "401", "429", "503"}  # 401: a token sent that does not hold


def test_only_staff_add_products_and_a_sku_is_added_once(document):
    responses = operation(document, "post", "/products")["responses"]
    assert {"201", "400", "401", "403", "409", "429", "503"} == set(responses)


def test_what_only_the_services_answer(document):
    assert "409" in operation(document, "post", "/accounts")["responses"]
    assert "401" in operation(document, "post", "/auth/token")["responses"]
    assert "401" in operation(document, "post", "/auth/refresh")["responses"]
    assert "403" in operation(document, "get", "/orders")["responses"]  # customer_email, asked by a customer
    for action in ("cancel", "ship"):
        assert "409" in operation(document, "post", f"/orders/{{order_id}}/{action}")["responses"]


def test_request_bodies_refuse_unknown_fields(document):
    schemas = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, spec in operations.items():
            if "requestBody" in spec and path.startswith("/webhooks/"):  # the bytes a signature covers, as they came
                assert spec["requestBody"]["required"] is True and "400" in spec["responses"]
            elif "requestBody" in spec:
                assert spec["requestBody"]["required"] is True
                assert "400" in spec["responses"], (method, path)  # malformed JSON, at least
                name = spec["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                assert schemas[name]["additionalProperties"] is False, name
    assert schemas["LineInput"]["additionalProperties"] is False  # nested in NewOrder


def test_path_parameters_are_safe_strings_and_may_not_be_found(document):
    spec = operation(document, "post", "/orders/{order_id}/cancel")
    assert {
        "name": "order_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": PATH_PARAMETER_PATTERN},
    } in spec["parameters"]
    assert PATH_PARAMETER_PATTERN == r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
    assert {"400", "404"} <= set(spec["responses"])
    assert operation(document, "get", "/products/{sku}")["parameters"][0]["name"] == "sku"


def test_answers_without_content_and_not_json(document):
    assert "content" not in operation(document, "post", "/auth/logout")["responses"]["204"]
    assert list(operation(document, "get", "/docs")["responses"]["200"]["content"]) == ["text/html"]
    assert list(operation(document, "get", "/openapi.json")["responses"]["200"]["content"]) == ["application/json"]


def services_reached(method):
    """The services whose RPC proxy ``method`` uses, itself or through the class's other methods (read from their
    bytecode: a check of the declarations, which the contract itself never reads)."""
    proxies = {
        name: value.target_service for name, value in vars(GatewayService).items() if isinstance(value, RpcProxy)
    }
    reached, seen, methods = set(), set(), [method]
    while methods:
        codes, names = [methods.pop().__code__], set()
        while codes:
            code = codes.pop()
            names.update(code.co_names)
            codes.extend(constant for constant in code.co_consts if isinstance(constant, types.CodeType))
        reached |= {proxies[name] for name in names & set(proxies)}
        for name in names - seen:
            seen.add(name)
            if inspect.isfunction(vars(GatewayService).get(name)):
                methods.append(vars(GatewayService)[name])
    return reached


@pytest.mark.parametrize(
    "name, method, entrypoint",
    list(http_routes(GatewayService)),
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_route_declares_the_services_it_calls_and_no_other(name, method, entrypoint):
    reached = services_reached(method)
    assert set(entrypoint.calls) <= reached
    assert bool(entrypoint.calls) == bool(reached)


def test_503_where_the_route_says_it_calls_a_service_and_only_there(document):
    assert "503" not in operation(document, "get", "/health")["responses"]
    assert "503" not in operation(document, "get", "/openapi.json")["responses"]
    assert operation(document, "get", "/orders/{order_id}")["responses"]["503"]["description"].endswith(": orders")


def test_the_description_names_every_service(document):
    assert [service.name for service in SERVICES if service.name not in document["info"]["description"]] == []


def test_texts_are_markdown_without_restructured_text_markup(document):
    text = json.dumps(document)
    assert "``" not in text
    description = operation(document, "post", "/orders")["description"]
    assert "`Idempotency-Key`" in description and "\n" not in description.split("\n\n")[0]


def test_money_is_a_decimal_string(document):
    price = document["components"]["schemas"]["NewProduct"]["properties"]["price"]
    assert price["type"] == "string" and re.match(price["pattern"], "12.50") and not re.match(price["pattern"], "1.505")


def test_info_comes_from_the_package(document):
    assert document["info"]["title"] == "nameko-shop" and document["info"]["version"] == "0.1.0"
