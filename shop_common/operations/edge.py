"""The edge: nginx's configuration rendered from config.yaml, and nginx run in the foreground.

``deploy/nginx/run`` calls ``python -m shop_common.operations.edge TEMPLATE --config CONFIG``: it
fills the template's ``{{NAME}}`` places with the ``EDGE`` section of the configuration (each
setting there read from the environment, with its default beside it), writes the result into a
directory of its own (``EDGE_DIR``, or a new temporary one), and replaces itself with nginx. A
SIGHUP to that process (the same process id) makes nginx reload the rendered file.
"""

import argparse
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko imports it; the edge uses neither

from shop_common.messaging.request_context import VALID_REQUEST_ID  # noqa: E402
from shop_common.operations.config import load_config  # noqa: E402

HEADERS_MORE_MODULE = "/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so"
INSTALL_HINT = "apt-get install nginx libnginx-mod-http-headers-more-filter (as root)"


@dataclass(frozen=True)
class EdgeError:
    """An answer the edge gives itself, in the API's error shape."""

    status: int
    code: str
    message: str
    raised_as: tuple = ()  # nginx's own statuses answered as this one (494: headers too large)
    headers: tuple = ()


EDGE_ERRORS = (
    EdgeError(400, "bad_request", "the request is not well-formed HTTP/1.1"),
    EdgeError(404, "not_found", "no such resource"),
    EdgeError(405, "method_not_allowed", "the method is not allowed here"),
    EdgeError(408, "request_timeout", "the request did not arrive in time"),
    EdgeError(413, "request_entity_too_large", "the request body is too large"),
    EdgeError(414, "uri_too_long", "the request line is too long"),
    EdgeError(
        429, "too_many_requests", "too many requests or connections from this address", headers=(("Retry-After", "1"),)
    ),
    EdgeError(
        431, "request_header_fields_too_large", "a header line, or the headers in all, are too large", raised_as=(494,)
    ),
    EdgeError(500, "internal_error", "internal error"),
    EdgeError(501, "not_implemented", "the transfer coding is not supported"),
    EdgeError(502, "bad_gateway", "the shop did not answer"),
    EdgeError(503, "service_unavailable", "the shop is not available"),
    EdgeError(504, "gateway_timeout", "the shop did not answer in time"),
    EdgeError(505, "http_version_not_supported", "the shop speaks HTTP/1.1 and HTTP/1.0"),
)


def error_pages(errors=EDGE_ERRORS):
    """nginx ``error_page`` lines and the internal locations that answer each error as JSON."""
    blocks = []
    for error in errors:
        for status in (error.status, *error.raised_as):
            blocks.append(f"        error_page {status} ={error.status} /.edge-errors/{error.status};")
        body = f'{{"error": "{error.code}", "message": "{error.message}", "details": {{}}}}'
        headers = "".join(f"            add_header {name} {value} always;\n" for name, value in error.headers)
        blocks.append(
            f"        location = /.edge-errors/{error.status} {{\n"
            f"            internal;\n"
            f"            default_type application/json;\n"
            f"            add_header X-Request-ID $shop_request_id always;\n"
            f"{headers}"
            f"            return {error.status} '{body}';\n"
            f"        }}"
        )
    return "\n".join(blocks)


def gateway_servers(addresses):
    """The upstream's ``server`` lines: each gateway of a comma-separated ``host:port`` list."""
    servers = [address.strip() for address in addresses.split(",") if address.strip()]
    if not servers:
        raise ValueError("WEB_SERVER_ADDRESS names no gateway")
    return "\n".join(f"        server {address} max_fails=0;" for address in servers)


def settings(config, directory):
    """What the template's places are filled with."""
    edge = config["EDGE"]
    return {
        **{name: str(value) for name, value in edge.items()},
        "EDGE_ADDRESS": config["EDGE_ADDRESS"],
        "WORKER_CONNECTIONS": str(2 * int(edge["CONNECTIONS"])),  # each proxied request holds one to the gateway
        "OPEN_FILES": str(2 * int(edge["CONNECTIONS"]) + 64),
        "GATEWAY_SERVERS": gateway_servers(config["WEB_SERVER_ADDRESS"]),
        "MAX_BODY_BYTES": str(config["HTTP"]["MAX_BODY_BYTES"]),
        "REQUEST_ID_PATTERN": VALID_REQUEST_ID.pattern.removeprefix("^").removesuffix("$"),
        "ERROR_PAGES": error_pages(),
        "HEADERS_MORE_MODULE": HEADERS_MORE_MODULE,
        "DIR": str(directory),
    }


def render(template, values):
    """The template with every ``{{NAME}}`` replaced; a place without a value is an error."""
    text = template
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        missing = text[text.index("{{") :].split("}}", 1)[0] + "}}"
        raise KeyError(f"no value for {missing}")
    return text


def prepare(template_path, config, directory):
    """Writes ``nginx.conf`` (and the directories nginx writes in) into ``directory``; its path."""
    directory = Path(directory)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / name).mkdir(parents=True, exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(render(Path(template_path).read_text(), settings(config, directory)))
    return conf


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template")
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--check", action="store_true", help="render and test the configuration, then exit")
    args = parser.parse_args(argv)
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if nginx is None or not os.path.exists(HEADERS_MORE_MODULE):
        sys.exit(f"the edge needs nginx and its headers-more module: {INSTALL_HINT}")
    directory = os.environ.get("EDGE_DIR") or tempfile.mkdtemp(prefix="shop-edge-")
    conf = prepare(args.template, load_config(args.config), directory)
    command = [nginx, "-p", str(directory), "-c", str(conf)]
    os.execv(nginx, command + ["-t", "-q"] if args.check else command)


if __name__ == "__main__":
    main()
