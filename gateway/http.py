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
  the response.
"""

import json
from decimal import Decimal
from functools import partial
from logging import getLogger

from eventlet.event import Event
from nameko.exceptions import RemoteError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from gateway.web_server import MAX_BODY_BYTES, GuardedWebServer
from shop_common.vocabulary.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable, ShopError, Unprocessable
from shop_common.messaging.request_context import REQUEST_ID_KEY, VALID_REQUEST_ID, new_request_id

_log = getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"

_STATUS = ((InvalidInput, 400), (NotFound, 404), (Conflict, 409), (Unprocessable, 422), (ServiceUnavailable, 503))


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
    return json_response(status, {"error": exc.code, "message": exc.message, "details": exc.details})


def read_json(request):
    """The request body as JSON, numbers with a fraction as ``Decimal``; MalformedJson otherwise."""
    try:
        return json.loads(request.get_data(), parse_float=Decimal)
    except (ValueError, RecursionError):
        raise MalformedJson("request body is not valid JSON") from None


def request_id_of(request):
    return request_id_from(request.headers)


def request_id_from(headers):
    given = (headers or {}).get(REQUEST_ID_HEADER) or ""
    return given if VALID_REQUEST_ID.match(given) else new_request_id()


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
    """An ``http`` entrypoint whose method returns ``(status, payload)`` or a payload."""

    server = JsonWebServer()

    def handle_request(self, request):
        request.shallow = False
        request.max_content_length = MAX_BODY_BYTES  # the server has read the body; this only guards it
        request_id = request_id_of(request)
        try:
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            finished = Event()
            self.container.spawn_worker(
                self, args, kwargs,
                context_data={REQUEST_ID_KEY: request_id},
                handle_result=partial(self.handle_result, finished),
            )
            response = self.response_from_result(finished.wait())
        except Exception as exc:
            response = error_response(exc)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response

    def response_from_result(self, result):
        status, payload = result if isinstance(result, tuple) else (200, result)
        return json_response(status, payload)


http = partial(JsonHttpEntrypoint.decorator, expected_exceptions=(ShopError,))
