"""JSON over HTTP for Nameko: the gateway's entrypoint and web server.

- every response, errors included, is JSON; errors are
  ``{"error": CODE, "message": ..., "details": {...}}``, those of the HTTP
  layer itself (408, 413, 414, 431...) too;
- an error maps to its status in one place (``status_for``);
- it stands behind the edge (nginx, ``deploy/nginx``), which holds the
  deadlines, sizes and connection limits and passes only complete,
  well-formed requests, one connection each (``JsonWebServer``); the
  client's address is the one the edge saw (``client_address``);
- a path's other methods are named in ``Allow`` on its 405, and ``OPTIONS``
  answers 204 with them;
- the ``X-Request-ID`` header (or a new id) goes into the worker's context
  data, so it follows the request through every service, and comes back on
  the response; each request has its span, a child of the client's W3C
  ``traceparent`` when it sends one (``tracing``);
- a route declares who may use it, what it reads and what it answers::

      @http("POST", "/orders", access=SIGNED_IN, body=NewOrder, answers={201: Order}, calls=("orders",),
            errors={Unprocessable: "the Idempotency-Key was used before with another body"},
            headers=(IDEMPOTENCY_KEY,), limit_per_account="ORDERS_PER_ACCOUNT")
      def create_order(self, request, body): ...

  Before a worker is taken the entrypoint counts the request against the
  per-client limit, checks the access token (``request.identity``), lets in
  only whom ``access`` allows, counts the route's own limit and loads
  ``body`` and ``query`` with their schemas (unknown fields refused), which
  the method receives already valid (or, for ``raw_body``, the body's bytes
  as they came: a webhook whose signature covers them). The caller travels in the context as
  ``caller``. The same declaration is the route's part of the published
  contract (``gateway.contract``).
"""

import ipaddress
import json
import time
from decimal import Decimal
from functools import partial
from logging import getLogger

import eventlet
from nameko.exceptions import RemoteError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed, default_exceptions
from werkzeug.wrappers import Request, Response

from gateway.authentication import ACCESS, ANYONE, Authenticator, admit, caller_of
from gateway.rate_limits import SharedRateLimiter
from shop_common import internals
from shop_common.identity.caller import CALLER_KEY
from shop_common.messaging.request_context import REQUEST_ID_KEY, TRACEPARENT_KEY, VALID_REQUEST_ID, new_request_id
from shop_common.messaging.traces import current_traceparent
from shop_common.observability.metrics import HTTP_REQUESTS, HTTP_SECONDS
from shop_common.observability.tracing import http_server_span
from shop_common.vocabulary.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    ShopError,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
)
from shop_common.vocabulary.validation import load

_log = getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
FORWARDED_FOR_HEADER = "X-Forwarded-For"
DRAIN_SECONDS = 30  # a stopping gateway waits at most this long for the requests in hand

STATUS_OF_ERROR = (
    (InvalidInput, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Unprocessable, 422),
    (TooManyRequests, 429),
    (ServiceUnavailable, 503),
)

PER_CLIENT_LIMIT = "PER_CLIENT"  # every request counts against it, by client address


class MalformedJson(InvalidInput):
    code = "malformed_json"


def status_for(error):
    return next((status for family, status in STATUS_OF_ERROR if isinstance(error, family)), 500)


def json_response(status, payload, headers=None):
    return Response(json.dumps(payload), status=status, headers=headers, mimetype="application/json")


def error_response(exc):
    if isinstance(exc, HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        allowed = {"Allow": ", ".join(exc.valid_methods)} if isinstance(exc, MethodNotAllowed) else None
        return json_response(exc.code, {"error": code, "message": exc.description, "details": {}}, headers=allowed)
    status = status_for(exc)
    if status == 500:
        _log.error("unexpected error: %r", exc, exc_info=not isinstance(exc, RemoteError))
        return json_response(500, {"error": "internal_error", "message": "internal error", "details": {}})
    return json_response(
        status, {"error": exc.code, "message": exc.message, "details": exc.details}, headers=_error_headers(exc)
    )


def _error_headers(error):
    """What RFC 6750 asks of a 401 (``WWW-Authenticate``) and RFC 6585 of a 429 (``Retry-After``); a 503 that knows
    when to try again says so (``Retry-After``, RFC 9110)."""
    if isinstance(error, Unauthenticated):
        invalid = ', error="invalid_token"' if error.code == "invalid_token" else ""
        return {"WWW-Authenticate": f'Bearer realm="shop"{invalid}'}
    if isinstance(error, TooManyRequests):
        return {"Retry-After": str(error.details.get("retry_after", 1))}
    if isinstance(error, ServiceUnavailable) and "retry_after" in error.details:
        return {"Retry-After": str(error.details["retry_after"])}
    return None


def read_json(request):
    """The request body as JSON, numbers with a fraction as ``Decimal``; MalformedJson otherwise."""
    try:
        return json.loads(request.get_data(), parse_float=Decimal)
    except (ValueError, RecursionError):
        raise MalformedJson("request body is not valid JSON") from None


def trusted_proxies(config):
    """The networks of ``TRUSTED_PROXIES`` (comma-separated addresses or networks): the edge's own addresses."""
    return tuple(
        ipaddress.ip_network(entry.strip(), strict=False)
        for entry in str(config["TRUSTED_PROXIES"] or "").split(",")
        if entry.strip()
    )


def client_address(peer, forwarded_for, proxies):
    """The client's address: the one the edge saw (the last of ``X-Forwarded-For``) when the peer is one of
    ``proxies``, else the peer's own; whatever anyone else puts in ``X-Forwarded-For`` is ignored."""
    if forwarded_for and _address_within(peer, proxies):
        seen_by_the_edge = forwarded_for.split(",")[-1].strip()
        if _address_within(seen_by_the_edge, None):
            return seen_by_the_edge
    return peer or "unknown"


def _address_within(address, networks):
    """Is ``address`` an IP address (in one of ``networks``, unless they are None)?"""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return networks is None or any(ip in network for network in networks)


def request_id_of(request):
    return request_id_from(request.headers)


def request_id_from(headers):
    given = (headers or {}).get(REQUEST_ID_HEADER) or ""
    return given if VALID_REQUEST_ID.fullmatch(given) else new_request_id()


class UncopiedRequest(Request):
    """A werkzeug request that a deep copy leaves as it is. To trace a call whose arguments hold a secret
    (``sensitive_arguments``: a password in the body), nameko blanks it in a deep copy of the arguments, and a
    request holds streams, which cannot be copied: the call would go untraced. A trace line shows the request
    by its method and URL alone."""

    def __deepcopy__(self, memo):
        return self


class JsonWsgiApp(WsgiApp):
    """Answers unknown paths and methods, and errors that escape an entrypoint, with JSON errors too;
    ``OPTIONS`` with the methods of the path."""

    def __call__(self, environ, start_response):
        request = UncopiedRequest(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            if request.method == "OPTIONS":
                response = self._options(adapter)
            else:
                provider, values = adapter.match()
                request.path_values = values
                response = provider.handle_request(request)
        except Exception as exc:
            response = error_response(exc)
            response.headers[REQUEST_ID_HEADER] = request_id_of(request)
        return response(environ, start_response)

    @staticmethod
    def _options(adapter):
        allowed = adapter.allowed_methods()
        if not allowed:
            adapter.match()  # raises the path's 404
        return Response(status=204, headers={"Allow": ", ".join(sorted({*allowed, "OPTIONS"}))})


class JsonHttpProtocol(HttpOnlyProtocol):
    """nameko's protocol, whose own refusals (more than 100 headers, say) are the API's JSON errors too."""

    def send_error(self, code, message=None, explain=None):
        response = error_response(default_exceptions.get(code, BadRequest)(explain or message))
        self.close_connection = True
        self.send_response_only(code)
        for name, value in [*response.headers.to_wsgi_list(), ("Connection", "close")]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.get_data())


class JsonWebServer(WebServer):
    """nameko's ``WebServer`` behind the edge: one request a connection, and a stop that drops none.

    The edge opens a connection for each request (no kept-alive connection
    sits idle here for a request to race into as the gateway stops). As the
    container stops the HTTP entrypoints, ``drain`` closes the listening
    socket at once, so the edge sends new requests to another gateway, and
    waits until every connection in hand has been answered.
    """

    def setup(self):
        self.in_hand = 0
        self.trusted_proxies = trusted_proxies(self.container.config)
        self.peer_timeout = float(self.container.config["HTTP"]["PEER_TIMEOUT"])

    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def context_data_from_headers(self, request):
        """A worker's context: the request's id, its caller and its span; nothing a client's headers say."""
        return {
            REQUEST_ID_KEY: request.request_id,
            CALLER_KEY: caller_of(request.identity).as_context(),
            TRACEPARENT_KEY: current_traceparent(),
        }

    def get_wsgi_server(self, sock, wsgi_app, protocol=JsonHttpProtocol, debug=False):
        server = super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)
        server.keepalive = False
        server.socket_timeout = self.peer_timeout
        return server

    def process_request(self, sock, address):
        self.in_hand += 1
        try:
            super().process_request(sock, address)
        finally:
            self.in_hand -= 1

    def drain(self):
        """Stops accepting connections, then waits until those in hand are answered (``DRAIN_SECONDS`` at most)."""
        if internals.is_accepting(self):
            internals.close_listening_socket(self, self._take_queued)
            _log.info("stopping: taking no new connections; %s in hand", self.in_hand)
        deadline = time.monotonic() + DRAIN_SECONDS
        eventlet.sleep(0)  # a connection accepted just now begins, and counts
        while self.in_hand and time.monotonic() < deadline:
            eventlet.sleep(0.01)
        if self.in_hand:
            _log.warning("stopping: %s connections still open after %ss", self.in_hand, DRAIN_SECONDS)

    def _take_queued(self, connection, address):
        self.container.spawn_managed_thread(partial(self.process_request, connection, address))


class JsonHttpEntrypoint(HttpRequestHandler):
    """An ``http`` entrypoint whose method returns ``(status, payload)`` or a payload (see the module's docstring)."""

    server = JsonWebServer()
    authenticator = Authenticator()
    rate_limits = SharedRateLimiter()

    def __init__(
        self,
        method,
        url,
        access,
        body=None,
        query=None,
        answers=None,
        raw_body=None,
        calls=(),
        errors=None,
        headers=(),
        limit_per_address=None,
        limit_per_account=None,
        published=True,
        **kwargs,
    ):
        if access not in ACCESS:
            raise ValueError(f"{method} {url}: access must be one of {ACCESS}")
        if limit_per_account and access == ANYONE:
            raise ValueError(f"{method} {url}: a limit per account needs signed-in callers")
        self.access = access
        self.body_schema, self.query_schema = body, query
        self.raw_body = raw_body  # a media type: the method gets the body's bytes as they came (a signed webhook)
        self.answers = answers or {200: None}
        self.calls = calls  # the services the method calls: it may answer 503
        self.errors = errors or {}  # {error family: when}: what only the services answer (a 409, say)
        self.headers = headers  # the request headers the method reads, as the contract describes them
        self.limit_per_address, self.limit_per_account = limit_per_address, limit_per_account
        self.published = published  # in the OpenAPI document (gateway.contract), and traced
        secrets = [
            f"body.{name}" for name, field in (body().fields if body else {}).items() if field.metadata.get("secret")
        ]
        super().__init__(method, url, sensitive_arguments=tuple(secrets), **kwargs)  # never in a trace line

    def setup(self):
        super().setup()
        self.max_body_bytes = int(self.container.config["HTTP"]["MAX_BODY_BYTES"])

    def stop(self):
        self.server.drain()  # the requests in hand are answered before the container awaits its workers
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
        """Admits the request and reads its inputs, then lets nameko's ``handle_request`` run the worker."""
        request.shallow = False  # its body may be read here
        request.max_content_length = self.max_body_bytes  # the edge has refused larger ones; this only guards it
        request.client_address = client_address(
            request.remote_addr, request.headers.get(FORWARDED_FOR_HEADER), self.server.trusted_proxies
        )
        request.request_id = request_id_of(request)
        try:
            request.identity = self._admitted(request)
            request.inputs = self._inputs(request)
        except Exception as exc:
            response = error_response(exc)
        else:
            response = super().handle_request(request)
        response.headers[REQUEST_ID_HEADER] = request.request_id
        return response

    def get_entrypoint_parameters(self, request):
        args, kwargs = super().get_entrypoint_parameters(request)
        return args, {**kwargs, **request.inputs}

    def response_from_exception(self, exc):
        return error_response(exc)

    def _admitted(self, request):
        """The caller's identity, once the request is within its limits and the route lets the caller in."""
        limiter, address = self.rate_limits.limiter, request.client_address
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
        elif self.raw_body:
            inputs["body"] = request.get_data()
        if self.query_schema:
            inputs["query"] = load(self.query_schema(), dict(request.args.items()))
        return inputs

    def response_from_result(self, result):
        if isinstance(result, Response):  # a page or a file the method made (the API's documentation)
            return result
        status, payload = result if isinstance(result, tuple) else (200, result)
        return Response(status=status) if status == 204 else json_response(status, payload)


http = partial(JsonHttpEntrypoint.decorator, expected_exceptions=(ShopError,))
