"""JSON over HTTP for Nameko: the gateway's entrypoint and web server.

- every response, errors included, is JSON; errors are
  ``{"error": CODE, "message": ..., "details": {...}}``, those of the HTTP
  layer itself (408, 413, 414, 431...) too;
- an error maps to its status in one place (``status_for``);
- the server (``gateway.web_server``) reads the whole body, at most
  ``MAX_BODY_BYTES``, within its deadlines before a worker is taken; the
  entrypoint reads it from memory;
- the ``X-Request-ID`` header (or a new id) goes into the worker's context
  data, so it follows the request through every service, and comes back on
  the response; each request has its span, a child of the client's W3C
  ``traceparent`` when it sends one (``tracing``);
- a route declares who may use it, what it reads and what it answers::

      @http("POST", "/orders", access=SIGNED_IN, body=NewOrder, answers={201: Order},
            limit_per_account="ORDERS_PER_ACCOUNT")
      def create_order(self, request, body): ...

  Before a worker is taken the entrypoint counts the request against the
  per-client limit, checks the access token (``request.identity``), lets in
  only whom ``access`` allows, counts the route's own limit and loads
  ``body`` and ``query`` with their schemas (unknown fields refused), which
  the method receives already valid. The caller travels in the context as
  ``caller``. The same declaration is the route's part of the published
  contract (``gateway.contract``).
"""

import json
import time
from decimal import Decimal
from functools import partial
from logging import getLogger

from eventlet.event import Event
from nameko.exceptions import RemoteError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from gateway.authentication import ACCESS, ANYONE, Authenticator, admit, caller_of
from gateway.rate_limits import SharedRateLimiter
from gateway.web_server import MAX_BODY_BYTES, GuardedWebServer
from shop_common.identity.caller import CALLER_KEY
from shop_common.messaging.request_context import REQUEST_ID_KEY, TRACEPARENT_KEY, VALID_REQUEST_ID, new_request_id
from shop_common.operations.metrics import HTTP_REQUESTS, HTTP_SECONDS
from shop_common.operations.tracing import current_traceparent, http_server_span
from shop_common.vocabulary.errors import (
    Conflict, Forbidden, InvalidInput, NotFound, ServiceUnavailable, ShopError, TooManyRequests, Unauthenticated,
    Unprocessable)
from shop_common.vocabulary.validation import load

_log = getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"

_STATUS = ((InvalidInput, 400), (Unauthenticated, 401), (Forbidden, 403), (NotFound, 404), (Conflict, 409),
           (Unprocessable, 422), (TooManyRequests, 429), (ServiceUnavailable, 503))

PER_CLIENT_LIMIT = "PER_CLIENT"   # every request counts against it, by client address


class MalformedJson(InvalidInput):
    code = "malformed_json"


def status_for(error):
    return next((status for family, status in _STATUS if isinstance(error, family)), 500)


def json_response(status, payload, headers=None):
    return Response(json.dumps(payload), status=status, headers=headers, mimetype="application/json")


def error_response(exc):
    if isinstance(exc, HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return json_response(exc.code, {"error": code, "message": exc.description, "details": {}})
    status = status_for(exc)
    if status == 500:
        _log.error("unexpected error: %r", exc, exc_info=not isinstance(exc, RemoteError))
        return json_response(500, {"error": "internal_error", "message": "internal error", "details": {}})
    return json_response(status, {"error": exc.code, "message": exc.message, "details": exc.details},
                         headers=_error_headers(exc))


def _error_headers(error):
    """What RFC 6750 asks of a 401 (``WWW-Authenticate``) and RFC 6585 of a 429 (``Retry-After``)."""
    if isinstance(error, Unauthenticated):
        invalid = ', error="invalid_token"' if error.code == "invalid_token" else ""
        return {"WWW-Authenticate": f'Bearer realm="shop"{invalid}'}
    if isinstance(error, TooManyRequests):
        return {"Retry-After": str(error.details.get("retry_after", 1))}
    return None


def read_json(request):
    """The request body as JSON, numbers with a fraction as ``Decimal``; MalformedJson otherwise."""
    try:
        return json.loads(request.get_data(), parse_float=Decimal)
    except (ValueError, RecursionError):
        raise MalformedJson("request body is not valid JSON") from None


def client_address(request):
    """The address the request came from (the peer's: a proxy in front of the gateway is one client)."""
    return request.remote_addr or "unknown"


def request_id_of(request):
    return request_id_from(request.headers)


def request_id_from(headers):
    given = (headers or {}).get(REQUEST_ID_HEADER) or ""
    return given if VALID_REQUEST_ID.fullmatch(given) else new_request_id()


class JsonWsgiApp(WsgiApp):
    """Answers unknown paths and methods, and errors that escape an entrypoint, with JSON errors too."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except Exception as exc:
            response = error_response(exc)
            response.headers[REQUEST_ID_HEADER] = request_id_of(request)
        return response(environ, start_response)


class JsonWebServer(GuardedWebServer):
    """The guarded web server, answering its own errors (408, 413, 414, 431...) like every other."""

    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def error_response(self, error, request_headers):
        response = error_response(error)
        response.headers[REQUEST_ID_HEADER] = request_id_from(request_headers)
        return response


class JsonHttpEntrypoint(HttpRequestHandler):
    """An ``http`` entrypoint whose method returns ``(status, payload)`` or a payload (see the module's docstring)."""

    server = JsonWebServer()
    authenticator = Authenticator()
    rate_limits = SharedRateLimiter()

    def __init__(self, method, url, access, body=None, query=None, answers=None,
                 limit_per_address=None, limit_per_account=None, published=True, **kwargs):
        if access not in ACCESS:
            raise ValueError(f"{method} {url}: access must be one of {ACCESS}")
        if limit_per_account and access == ANYONE:
            raise ValueError(f"{method} {url}: a limit per account needs signed-in callers")
        self.access = access
        self.body_schema, self.query_schema = body, query
        self.answers = answers or {200: None}
        self.limit_per_address, self.limit_per_account = limit_per_address, limit_per_account
        self.published = published   # in the OpenAPI document (gateway.contract), and traced
        secrets = [f"body.{name}" for name, field in (body._declared_fields if body else {}).items()
                   if field.metadata.get("secret")]
        super().__init__(method, url, sensitive_arguments=tuple(secrets), **kwargs)   # never in a trace line

    def stop(self):
        self.server.drain()   # the requests in hand are answered before the container awaits its workers
        super().stop()

    def handle_request(self, request):
        started = time.perf_counter()
        with http_server_span(request, self.method, self.url, traced=self.published) as answered:
            response = self._answer(request)
            answered(response.status_code)
        HTTP_REQUESTS.labels(self.url, self.method, response.status_code).inc()
        HTTP_SECONDS.labels(self.url, self.method).observe(time.perf_counter() - started)
        return response

    def _answer(self, request):
        request.shallow = False
        request.max_content_length = MAX_BODY_BYTES  # the server has read the body; this only guards it
        request_id = request_id_of(request)
        try:
            request.identity = self._admitted(request)
            args, kwargs = self.get_entrypoint_parameters(request)
            kwargs.update(self._inputs(request))
            self.check_signature(args, kwargs)
            finished = Event()
            self.container.spawn_worker(
                self, args, kwargs,
                context_data={REQUEST_ID_KEY: request_id, CALLER_KEY: caller_of(request.identity).as_context(),
                              TRACEPARENT_KEY: current_traceparent()},
                handle_result=partial(self.handle_result, finished),
            )
            response = self.response_from_result(finished.wait())
        except Exception as exc:
            response = error_response(exc)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response

    def _admitted(self, request):
        """The caller's identity, once the request is within its limits and the route lets the caller in."""
        limiter, address = self.rate_limits.limiter, client_address(request)
        limiter.check(PER_CLIENT_LIMIT, address)
        identity = self.authenticator.identity_of(request.headers)
        admit(self.access, identity)
        if self.limit_per_address:
            limiter.check(self.limit_per_address, address)
        if self.limit_per_account:
            limiter.check(self.limit_per_account, identity.caller.account_id)
        return identity

    def _inputs(self, request):
        inputs = {}
        if self.body_schema:
            inputs["body"] = load(self.body_schema(), read_json(request))
        if self.query_schema:
            inputs["query"] = load(self.query_schema(), dict(request.args.items()))
        return inputs

    def response_from_result(self, result):
        if isinstance(result, Response):   # a page or a file the method made (the API's documentation)
            return result
        status, payload = result if isinstance(result, tuple) else (200, result)
        return Response(status=status) if status == 204 else json_response(status, payload)


http = partial(JsonHttpEntrypoint.decorator, expected_exceptions=(ShopError,))
