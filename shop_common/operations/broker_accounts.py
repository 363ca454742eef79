"""A RabbitMQ account per service, allowed only what that service does.

    python -m shop_common.operations.broker_accounts      # create or update every service's account

Each service connects as ``shop-<service>`` (its ``AMQP_URI`` names it) and
may only:

- configure, read and write its own exchanges and queues: ``<service>.events``,
  ``<service>.redelivery``, ``<service>.dead-letters``, ``rpc-<service>``, its
  event handlers' queues ``evt-...--<service>.<method>`` (and their
  ``.backoff`` queues) and, for a service that calls others, its RPC reply
  queues ``rpc.reply-<service>-...``;
- bind its queues to the events exchanges of the services it consumes (read);
- on the ``nameko-rpc`` exchange (topic permissions, by routing key): take
  requests addressed to itself (``<service>.*``) and publish replies (a
  reply queue's uuid); a service that calls others may also send requests
  to those services (``<target>.<method>``) and take its replies.

So no service can publish another's events (a forged ``order_created`` from
any account but orders' is refused by the broker), call a service it does
not depend on, or listen in on other services' calls. What each service
consumes and calls is read from its class, so the accounts follow the code.

Environment: ``RABBITMQ_MANAGEMENT_URL`` (an administrator's management API,
default ``http://guest:guest@localhost:15672``), ``AMQP_VHOST`` (default
``/``), and each service's password in ``<SERVICE>_AMQP_PASSWORD`` or in the
file ``<SERVICE>_AMQP_PASSWORD_FILE`` names. Passwords are never printed.
"""

import base64
import json
import os
import re
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass

from nameko.events import EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import RpcProxy

from shop_common.identity.secrets import MissingSecret, secret_from_environment
from shop_common.messaging.replies import REPLY_KEY
from shop_common.operations.services import SERVICES

DEFAULT_MANAGEMENT_URL = "http://guest:guest@localhost:15672"


RPC_EXCHANGE = "nameko-rpc"


@dataclass(frozen=True)
class Permissions:
    configure: str
    write: str
    read: str
    rpc_write: str  # routing keys it may publish to ``nameko-rpc``
    rpc_read: str  # binding keys it may bind to ``nameko-rpc``


def _alternatives(patterns):
    return "^(" + "|".join(patterns) + ")$"


def consumed_sources(service_class):
    """The services whose events ``service_class`` handles."""
    return sorted(
        {
            entrypoint.source_service
            for member in vars(service_class).values()
            if callable(member)
            for entrypoint in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ())
            if isinstance(entrypoint, EventHandler)
        }
        | {source for base in service_class.__bases__ for source in consumed_sources(base)}
    )


def called_services(service_class):
    """The services ``service_class`` calls over RPC."""
    return sorted({member.target_service for member in vars(service_class).values() if isinstance(member, RpcProxy)})


def permissions(name, consumes=(), calls=()):
    own = [re.escape(name) + suffix for suffix in (r"\.events", r"\.redelivery", r"\.dead-letters")]
    own += [f"rpc-{re.escape(name)}", f"evt-.+--{re.escape(name)}\\..+"]
    rpc_write, rpc_read = [REPLY_KEY], [re.escape(name) + r"\.\*"]
    if calls:
        own.append(f"rpc\\.reply-{re.escape(name)}-.+")
        rpc_write += [re.escape(target) + r"\.[A-Za-z0-9_]+" for target in calls]
        rpc_read.append(REPLY_KEY)
    sources = [re.escape(source) + r"\.events" for source in consumes]
    return Permissions(
        configure=_alternatives(own + sources + [RPC_EXCHANGE]),
        write=_alternatives(own + [RPC_EXCHANGE]),
        read=_alternatives(own + sources + [RPC_EXCHANGE]),
        rpc_write=_alternatives(rpc_write),
        rpc_read=_alternatives(rpc_read),
    )


def permissions_of(service):
    service_class = service.service_class()
    return permissions(service.name, consumed_sources(service_class), called_services(service_class))


def account_name(service_name, prefix="shop-"):
    return f"{prefix}{service_name}"


class Management:
    """The few calls of RabbitMQ's management API that accounts need."""

    def __init__(self, url=DEFAULT_MANAGEMENT_URL):
        parts = urllib.parse.urlsplit(url)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        credentials = f"{urllib.parse.unquote(parts.username or '')}:{urllib.parse.unquote(parts.password or '')}"
        self.authorization = "Basic " + base64.b64encode(credentials.encode()).decode()

    def _call(self, method, path, body=None):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": self.authorization, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def put_account(self, user, password, vhost, granted):
        quoted_user, quoted_vhost = urllib.parse.quote(user, safe=""), urllib.parse.quote(vhost, safe="")
        self._call("PUT", f"/users/{quoted_user}", {"password": password, "tags": ""})
        self._call(
            "PUT",
            f"/permissions/{quoted_vhost}/{quoted_user}",
            {"configure": granted.configure, "write": granted.write, "read": granted.read},
        )
        self._call(
            "PUT",
            f"/topic-permissions/{quoted_vhost}/{quoted_user}",
            {"exchange": RPC_EXCHANGE, "write": granted.rpc_write, "read": granted.rpc_read},
        )

    def delete_account(self, user):
        self._call("DELETE", f"/users/{urllib.parse.quote(user, safe='')}")


def password_from_environment(service_name, environ=os.environ):
    try:
        return secret_from_environment(f"{service_name.upper()}_AMQP_PASSWORD", environ)
    except MissingSecret as missing:
        raise SystemExit(str(missing)) from None


def provision(management, vhost, passwords, prefix="shop-"):
    """Create or update ``prefix<service>`` for every service in ``passwords`` (service name -> password)."""
    for service in SERVICES:
        if service.name in passwords:
            management.put_account(
                account_name(service.name, prefix), passwords[service.name], vhost, permissions_of(service)
            )


def main():
    management = Management(os.environ.get("RABBITMQ_MANAGEMENT_URL", DEFAULT_MANAGEMENT_URL))
    vhost = os.environ.get("AMQP_VHOST", "/")
    provision(management, vhost, {service.name: password_from_environment(service.name) for service in SERVICES})
    for service in SERVICES:
        print(f"{account_name(service.name)}: permissions set on vhost {vhost!r}")


if __name__ == "__main__":
    sys.exit(main())
