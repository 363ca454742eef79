"""The gateway's HTTP server: nameko's ``WebServer`` on eventlet, held to deadlines and bounds.

What it adds to eventlet's HTTP/1.1 protocol, connection by connection:

- **Deadlines, not per-read timeouts.** The request line and headers must all
  arrive within ``HTTP.HEADER_TIMEOUT`` seconds of the server starting to wait
  for them, the body within ``HTTP.BODY_TIMEOUT`` seconds after that, however
  they are dribbled. A client too slow gets a JSON 408; one that sent nothing at
  all (a new connection, or a kept-alive one left idle) is closed without a word.
- **Only complete requests reach the entrypoints.** The whole body (plain or
  chunked, at most ``MAX_BODY_BYTES``) is read here, before a nameko worker is
  taken; the entrypoint reads it from memory. A request whose client hung up
  before it was answered is dropped without taking a worker.
- **At most ``HTTP.MAX_CONNECTIONS`` connections at once** (see ``GuardedWebServer``).
- **Errors of the HTTP layer itself** (408, 413, 414, 431, 400, 501, 505) are
  answered by the server's ``error_response`` hook, so they look like every
  other error of the API; no response names the server software.
- **A lingering close after an error:** the server half-closes and reads what
  the client still sends (bounded in time and bytes) before closing, so unread
  data does not make the kernel reset the connection and destroy the answer.
- **A stop that finishes what it has in hand** (``GuardedWebServer.drain``):
  no new connection is taken, idle ones are closed, and every request already
  begun is read, handled and answered (with ``Connection: close``) before the
  service stops its workers.
"""

import errno
import io
import socket
import time
from dataclasses import dataclass
from functools import partial
from logging import getLogger

import eventlet
from eventlet.event import Event
from eventlet.greenio import GreenSocket
from eventlet.hubs import notify_opened
from eventlet.semaphore import Semaphore
from eventlet.support import get_errno
from eventlet.wsgi import (BROKEN_SOCK, STATE_REQUEST, ChunkReadError, FileObjectForHeaders, HeaderLineTooLong,
                           HeadersTooLarge, Server, format_date_time)
from nameko.web.server import HttpOnlyProtocol, WebServer
from werkzeug import exceptions as http_errors

_log = getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
LINGER_BYTES = 16 * MAX_BODY_BYTES    # what a lingering close reads at most before it gives up
LISTEN_BACKLOG = 1024                 # connections the kernel holds while every slot is taken
_OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


@dataclass(frozen=True)
class HttpLimits:
    header_timeout: float
    body_timeout: float
    max_connections: int


def http_limits(config):
    """The limits in the ``HTTP`` section of the service config (config.yaml holds their defaults)."""
    section = config["HTTP"]
    return HttpLimits(float(section["HEADER_TIMEOUT"]), float(section["BODY_TIMEOUT"]), int(section["MAX_CONNECTIONS"]))


class UriTooLong(http_errors.RequestURITooLarge):
    name = "URI Too Long"  # RFC 9110's name for 414


class Refused(Exception):
    """The request gets ``error`` (a werkzeug ``HTTPException``) from the server itself, and the connection closes."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


class GuardedHttpProtocol(HttpOnlyProtocol):
    """One connection: eventlet's protocol with deadlines, a buffered body and errors from ``error_response``."""

    lingering = False
    headers = None

    def handle_one_request(self):
        if self.server.max_http_version:
            self.protocol_version = self.server.max_http_version
        self.close_connection = True
        self.headers = None
        self.connection.settimeout(None)
        try:
            environ = self._read_request()
        except Refused as refused:
            self._refuse(refused.error)
            return
        if environ is None or self._client_gone():
            self.close_connection = True
            return
        if self.server.draining:
            self.close_connection = True   # answered, then the connection ends: the server is stopping
        self.environ, self.application = environ, self.server.app
        self.connection.settimeout(self.server.limits.body_timeout)  # a client that does not take its answer
        self.server.outstanding_requests += 1
        try:
            self.handle_one_response()
        except OSError as error:
            if get_errno(error) not in BROKEN_SOCK:
                raise
        finally:
            self.server.outstanding_requests -= 1

    def _read_request(self):
        """The WSGI environ of the next request, body read; None when the client left or stayed idle too long."""
        limits = self.server.limits
        began = False
        deadline = eventlet.Timeout(limits.header_timeout)
        try:
            if not self._request_begins():
                return None
            began = True
            self.conn_state[2] = STATE_REQUEST
            if not self._read_head():
                return None
        except eventlet.Timeout as expired:
            if expired is not deadline:
                raise
            if not began:
                return None
            raise Refused(http_errors.RequestTimeout(
                f"the request line and headers must arrive within {limits.header_timeout:g}s"))
        finally:
            deadline.cancel()
        self._check_framing()
        environ = self.get_environ()
        body = self._read_body(environ["eventlet.input"])
        if body is None:
            return None
        environ["wsgi.input"] = io.BytesIO(body)
        environ["wsgi.input_terminated"] = True
        environ["CONTENT_LENGTH"] = str(len(body))
        return environ

    def _request_begins(self):
        """Waits, listed as idle, for the first byte of a request; False when the client closed (or was evicted)."""
        idle = self.server.idle_connections
        idle[self.connection] = time.monotonic()
        try:
            return bool(self.rfile.peek(1))
        except (OSError, ValueError):
            return False
        finally:
            idle.pop(self.connection, None)

    def _read_head(self):
        """The request line and headers, parsed; False when nothing more is to be done (answered or client gone)."""
        self.raw_requestline = self.rfile.readline(self.server.url_length_limit)
        if len(self.raw_requestline) >= self.server.url_length_limit:
            raise Refused(UriTooLong(f"the request line is over {self.server.url_length_limit} bytes"))
        if not self.raw_requestline.endswith(b"\n"):
            return False  # the client closed in the middle of the line
        plain, self.rfile = self.rfile, FileObjectForHeaders(self.rfile)
        try:
            return self.parse_request()
        except (HeaderLineTooLong, HeadersTooLarge):
            raise Refused(http_errors.RequestHeaderFieldsTooLarge("a header line, or the headers in all, are too large"))
        finally:
            self.rfile = plain

    def _check_framing(self):
        """One way to know where the body ends, and a body not over ``MAX_BODY_BYTES``; ``Refused`` otherwise."""
        lengths = self.headers.get_all("Content-Length") or []
        coding = self.headers.get("Transfer-Encoding")
        if coding is not None:
            if lengths:
                raise Refused(http_errors.BadRequest("Content-Length and Transfer-Encoding are not allowed together"))
            if coding.strip().lower() != "chunked":
                raise Refused(http_errors.NotImplemented(f"transfer coding {coding!r} is not supported"))
        elif lengths:
            if len(lengths) > 1 or not (lengths[0].isascii() and lengths[0].isdigit()):
                raise Refused(http_errors.BadRequest("Content-Length must be one non-negative integer"))
            if int(lengths[0]) > MAX_BODY_BYTES:
                raise Refused(http_errors.RequestEntityTooLarge(f"request body is over {MAX_BODY_BYTES} bytes"))

    def _read_body(self, request_input):
        """The whole body, read within the body deadline; None when the client hung up before it was complete."""
        limits = self.server.limits
        deadline = eventlet.Timeout(limits.body_timeout)
        try:
            body = request_input.read(MAX_BODY_BYTES + 1)
        except eventlet.Timeout as expired:
            if expired is not deadline:
                raise
            raise Refused(http_errors.RequestTimeout(f"the body must arrive within {limits.body_timeout:g}s")) from None
        except ChunkReadError:
            raise Refused(http_errors.BadRequest("the chunked body is malformed")) from None
        except OSError:
            return None  # reset, or the end of the stream in the middle of a chunk
        finally:
            deadline.cancel()
        if len(body) > MAX_BODY_BYTES:
            raise Refused(http_errors.RequestEntityTooLarge(f"request body is over {MAX_BODY_BYTES} bytes"))
        if request_input.content_length is not None and len(body) < request_input.content_length:
            return None
        return body

    def _client_gone(self):
        """Has the client closed or reset the connection? Then no worker is spent on a request nobody awaits."""
        try:
            return self.connection.fd.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def send_error(self, code, message=None, explain=None):
        """Where ``parse_request`` reports a malformed request: answered like every other error."""
        self._refuse(http_errors.default_exceptions.get(code, http_errors.BadRequest)(message or explain))

    def _refuse(self, error):
        """Answers ``error`` through the server's ``error_response`` and closes the connection, lingering."""
        response = self.server.error_response(error, self.headers)
        head = [f"HTTP/1.1 {response.status}\r\n"]
        head += [f"{name}: {value}\r\n" for name, value in response.headers.to_wsgi_list()]
        head += [f"Date: {format_date_time(time.time())}\r\n", "Connection: close\r\n\r\n"]
        self.close_connection = True
        try:
            self.wfile.write("".join(head).encode("latin-1") + response.get_data())
            self.wfile.flush()
        except OSError:
            return  # the client is gone: nobody to answer, nothing to linger for
        self.lingering = True

    def finish(self):
        if self.lingering:
            self._linger()
        super().finish()

    def _linger(self):
        """Half-closes, then discards what the client still sends: for the body deadline and ``LINGER_BYTES`` at most."""
        deadline = eventlet.Timeout(self.server.limits.body_timeout)
        try:
            self.connection.shutdown(socket.SHUT_WR)
            drained = 0
            while drained < LINGER_BYTES:
                data = self.connection.recv(64 * 1024)
                if not data:
                    break
                drained += len(data)
        except eventlet.Timeout as expired:
            if expired is not deadline:
                raise
        except OSError:
            pass
        finally:
            deadline.cancel()


class GuardedWsgiServer(Server):
    """eventlet's WSGI server with the limits, the error hook and the idle connections its protocol uses."""

    def __init__(self, *args, limits, error_response, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.error_response = error_response
        self.idle_connections = {}  # socket -> since when it waits for a request

    draining = False   # the server is stopping: each request is the last of its connection

    def close_idle(self):
        """Shuts down every connection waiting for a request."""
        while self.idle_connections:
            self.close_oldest_idle()

    def close_oldest_idle(self):
        """Shuts down the connection idle the longest, if any: its protocol sees the end and closes it."""
        if self.idle_connections:
            oldest = min(self.idle_connections, key=self.idle_connections.get)
            self.idle_connections.pop(oldest)
            try:
                oldest.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class GuardedWebServer(WebServer):
    """nameko's ``WebServer`` serving at most ``HTTP.MAX_CONNECTIONS`` connections at once.

    Beyond the bound, new connections wait in the listen backlog (``LISTEN_BACKLOG``)
    rather than being accepted to be told 503: accepting and answering each of a
    flood costs the descriptors, memory and event-loop time that the bound is
    there to protect, and a client that waits is served as soon as a slot frees,
    which the deadlines guarantee within ``HEADER_TIMEOUT + BODY_TIMEOUT`` (plus a
    bounded linger). A slot held by a connection that merely waits for its next
    request is freed at once: at the bound, the server accepts one more and closes
    the connection idle the longest, as HTTP lets a server do with idle ones.

    Subclasses provide ``error_response(error, request_headers)``: the werkzeug
    ``Response`` for an error the server raises itself (``request_headers`` is
    None when they were not read).
    """

    def setup(self):
        self.limits = http_limits(self.container.config)
        self._slots = Semaphore(self.limits.max_connections)
        self._drained = None

    def drain(self):
        """Stops taking connections, then waits until every connection in hand has ended.

        Connections the kernel has queued are taken first; idle ones are closed
        at once; a request already begun is read, handled and answered, and its
        connection then closes. Each connection is held to the deadlines, so
        this ends within ``HEADER_TIMEOUT + 2 x BODY_TIMEOUT`` (the answer has
        ``BODY_TIMEOUT`` to leave). Every HTTP entrypoint calls it as the
        container stops them, before the container waits for its workers, so a
        request in hand still gets its worker. Later calls wait for the first.
        """
        if self._drained is not None:
            self._drained.wait()
            return
        self._drained = Event()
        began = time.monotonic()
        if self._sock is not None:
            self._stop_accepting()
        in_hand = self.limits.max_connections - self._slots.balance
        _log.info("stopping: taking no new connections; %s in hand", in_hand)
        deadline = began + self.limits.header_timeout + 2 * self.limits.body_timeout
        while self._slots.balance < self.limits.max_connections and time.monotonic() < deadline:
            self._serv.close_idle()
            eventlet.sleep(0.05)
        left = self.limits.max_connections - self._slots.balance
        if left:
            _log.warning("stopping: %s connections still open after %.1fs", left, time.monotonic() - began)
        else:
            _log.info("stopping: every request in hand answered, in %.2fs", time.monotonic() - began)
        self._drained.send()

    def _stop_accepting(self):
        """Takes the connections queued in the kernel, then closes the listening socket (new ones are refused).

        The queue is emptied and the socket closed with no switch to another green thread in between, so a
        connection can slip in only within the microseconds between two system calls.
        """
        self._is_accepting = False
        self._gt.kill()
        self._serv.draining = True
        queued = []
        while True:
            try:
                connection, address = self._sock.fd.accept()   # the listening socket does not block: no wait
            except BlockingIOError:
                break
            notify_opened(connection.fileno())
            queued.append((GreenSocket(connection), address))
        self._sock.close()
        for connection, address in queued:
            self._take_slot()
            self.container.spawn_managed_thread(partial(self._serve, connection, address))

    def start(self):
        if not self._starting:
            self._starting = True
            self._sock = eventlet.listen(self.bind_addr, backlog=LISTEN_BACKLOG)
            self._sock.settimeout(None)
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)

    def get_wsgi_server(self, sock, wsgi_app, protocol=GuardedHttpProtocol, debug=False):
        return GuardedWsgiServer(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug, log=_log,
                                 limits=self.limits, error_response=self.error_response)

    def error_response(self, error, request_headers):
        return error.get_response()

    def run(self):
        while self._is_accepting:
            try:
                sock, address = self._sock.accept()
            except OSError as error:
                if get_errno(error) not in _OUT_OF_DESCRIPTORS:
                    raise
                _log.warning("cannot accept a connection: %s", error)
                eventlet.sleep(0.1)
                continue
            self._take_slot()
            self.container.spawn_managed_thread(partial(self._serve, sock, address))

    def _take_slot(self):
        """Waits for a free slot, closing idle connections to make one."""
        while not self._slots.acquire(blocking=False):
            self._serv.close_oldest_idle()
            if self._slots.acquire(timeout=0.1):
                return

    def _serve(self, sock, address):
        """One connection, start to end. Whatever goes wrong with it is logged and ends it, never the service."""
        try:
            self.process_request(sock, address)
        except (Exception, eventlet.Timeout):
            _log.exception("connection from %s ended by an error", address)
        finally:
            sock.close()
            self._slots.release()
