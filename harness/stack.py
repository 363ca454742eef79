"""The whole shop as real processes: ``nameko run`` for each service and the edge in front of the gateway,
as an operator starts them."""

import os
import secrets
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from nameko.standalone.rpc import ServiceRpcProxy

from harness.accounts import Accounts
from harness.broker import SYSTEM_BROKER, wait_for_consumers
from harness.databases import TestDatabases
from harness.edge import start_edge, wait_for_http, wait_for_listeners
from harness.payment_provider import PaymentProvider
from harness.repository import ROOT
from harness.smtp import free_port
from shop_common.operations.broker_accounts import Management, account_name, provision
from shop_common.operations.services import BY_NAME, SERVICES

NAMEKO = str(Path(sys.executable).parent / "nameko")
MODULES = {service.name: service.module for service in SERVICES}

# Limits high enough that tests and the benchmark measure the shop, not the limiter; a test stack
# that tests a limit sets it lower.
GENEROUS_LIMITS = {
    "RATE_LIMIT_PER_CLIENT": "1000000/minute",
    "RATE_LIMIT_REGISTRATIONS_PER_ADDRESS": "1000000/minute",
    "RATE_LIMIT_ORDERS_PER_ACCOUNT": "1000000/minute",
    "RATE_LIMIT_FAILED_SIGN_INS_PER_ACCOUNT": "1000000/minute",
    "RATE_LIMIT_FAILED_SIGN_INS_PER_ADDRESS": "1000000/minute",
    "EDGE_CONNECTIONS_PER_ADDRESS": "2000",
    "EDGE_REQUESTS_PER_SECOND_PER_ADDRESS": "100000",
    "EDGE_REQUEST_BURST": "100000",
}


class Stack:
    def __init__(self, log_dir, broker, vhost, databases, smtp_port, rpc_timeout=1, extra_env=None):
        self.log_dir = Path(log_dir)
        self.broker = broker
        self.vhost = vhost
        self.amqp_uri = broker.uri(vhost)  # an administrator's
        self.databases = databases
        self.port = free_port()  # the edge: where clients connect
        self.url = f"http://127.0.0.1:{self.port}"
        self.gateway_port = free_port()  # every gateway instance listens here (SO_REUSEPORT)
        self.gateway_url = f"http://127.0.0.1:{self.gateway_port}"
        self.payment_provider = PaymentProvider(self.log_dir / "payment-provider.log")
        self.webhook_secret = f"whsec_{secrets.token_hex(16)}"  # this stack's own, as the provider's dashboard gives
        self.carrier_secret = secrets.token_hex(16)  # the carriers sign their updates with it
        self.env = {
            **os.environ,
            **databases.environment,
            "AMQP_URI": self.amqp_uri,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "EDGE_ADDRESS": f"127.0.0.1:{self.port}",
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.gateway_port}",
            "RPC_TIMEOUT": str(rpc_timeout),
            **GENEROUS_LIMITS,
            **self._keys_environment(),
            **self.payment_provider.environment,
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "CARRIER_WEBHOOK_SECRET": self.carrier_secret,
            **(extra_env or {}),
        }
        self.accounts = Accounts(self)
        self.processes = {}  # (service, instance) -> Popen; the edge is ("edge", 0)
        self.ops_urls = {}  # (service, instance) -> where it answers /health/* and /metrics
        self.service_env = {}  # service -> what its processes get on top of ``env``

    def _keys_environment(self):
        """A key pair of this stack's own, given as an operator gives keys: in the environment."""
        self.signing_key = ed25519.Ed25519PrivateKey.generate()
        private = self.signing_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        public = self.signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"AUTH_SIGNING_KEY": private.decode(), "AUTH_TRUSTED_KEYS": public.decode()}

    def use_broker_accounts(self, prefix):
        """Each service connects with an account of its own, allowed only what it does (``broker_accounts``)."""
        passwords = {service: secrets.token_urlsafe(16) for service in MODULES}
        provision(Management(self.broker.management_url), self.vhost, passwords, prefix=prefix)
        self.broker_accounts = {
            service: (account_name(service, prefix), password) for service, password in passwords.items()
        }
        for service, (user, password) in self.broker_accounts.items():
            self.service_env[service] = {"AMQP_URI": self.broker.uri(self.vhost, user, password)}

    def drop_broker_accounts(self):
        for user, _ in getattr(self, "broker_accounts", {}).values():
            Management(self.broker.management_url).delete_account(user)

    def start(self, service, instance=0, wait=True):
        log = open(self.log_dir / f"{service}-{instance}.log", "ab")  # noqa: SIM115 (held by the process)
        self.processes[service, instance] = subprocess.Popen(
            [NAMEKO, "run", MODULES[service], "--config", "config.yaml"],
            cwd=ROOT,
            env={**self.env, **self.service_env.get(service, {}), **self._ops_address(service, instance)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        if wait:
            self.wait_until_ready(service)

    @contextmanager
    def rpc(self, service):
        """A service's RPC, as an operator's ``nameko shell`` calls it (naming no caller: acting as staff)."""
        with ServiceRpcProxy(service, {"AMQP_URI": self.amqp_uri}, timeout=30) as proxy:
            yield proxy

    def start_all(self, instances=1):
        """The payment provider, ``instances`` of every service, then the edge in front: the whole shop, ready."""
        self.start_payment_provider()
        for instance in range(instances):
            for service in MODULES:  # started together, each declaring what it needs (another's exchange too)
                self.start(service, instance=instance, wait=False)
        for service in MODULES:
            self.wait_until_ready(service)
        self.start_edge()

    def start_payment_provider(self):
        """The payment provider the payments service calls (localstripe, empty), on a port of this stack's own."""
        self.payment_provider.start()

    def start_edge(self):
        """nginx in front of the gateway, started by the command every deployment uses."""
        self.processes["edge", 0] = start_edge(self.env, self.log_dir)

    def reload_edge(self):
        """nginx's own reload (SIGHUP): new workers take over, the old ones finish what they have."""
        self.processes["edge", 0].send_signal(signal.SIGHUP)

    def _ops_address(self, service, instance):
        """A port of its own for each process's operations endpoints (the gateway: its HTTP address)."""
        if BY_NAME[service].ops_port is None:
            self.ops_urls[service, instance] = self.gateway_url
            return {}
        port = self.ops_urls.get((service, instance), f":{free_port()}").rsplit(":", 1)[1]
        self.ops_urls[service, instance] = f"http://127.0.0.1:{port}"
        return {BY_NAME[service].ops_address_variable: f"127.0.0.1:{port}"}

    def running(self, service):
        return [key for key, process in self.processes.items() if key[0] == service and process.poll() is None]

    def wait_until_ready(self, service, timeout=30.0):
        if service == "gateway":
            wait_for_listeners(self.gateway_port, len(self.running(service)), timeout)
            wait_for_http(self.gateway_url, timeout=timeout)
        else:
            wait_for_consumers(self.amqp_uri, f"rpc-{service}", len(self.running(service)), timeout)

    def stop(self, *services, sig=signal.SIGTERM):
        """Stop every instance of ``services`` at once (SIGKILL for a crash)."""
        running = [key for service in services for key in self.running(service)]
        for key in running:
            self.processes[key].send_signal(sig)
        for key in running:
            self.processes[key].wait(timeout=30)

    def stop_instance(self, service, instance, sig=signal.SIGTERM):
        """Stop one instance of ``service`` (the others carry on)."""
        process = self.processes[service, instance]
        process.send_signal(sig)
        process.wait(timeout=30)

    def stop_all(self):
        """Stop everything; a process that does not stop within 30 s is killed, and the first such is raised after
        the rest have stopped (a test's teardown still cleans up behind a hung service)."""
        hung = []
        domain = [service for service in MODULES if service != "gateway"]
        for services in (["edge"], ["gateway"], domain):  # the edge and the gateway first: no new work meanwhile
            try:
                self.stop(*services)
            except subprocess.TimeoutExpired as timeout:
                hung.append(timeout)
                for key in [key for service in services for key in self.running(service)]:
                    self.processes[key].kill()
                    self.processes[key].wait(timeout=30)
        self.payment_provider.stop()
        if hung:
            raise hung[0]

    def log(self, service):
        return "".join(path.read_text() for path in sorted(self.log_dir.glob(f"{service}-*.log")))

    def healthcheck(self, service, instance=0):
        """Exit code of the container health check for ``service`` (in the environment of that instance)."""
        return subprocess.run(
            [sys.executable, "-m", "shop_common.operations.healthcheck", service],
            capture_output=True,
            cwd=ROOT,
            env={**self.env, **self._ops_address(service, instance)},
            timeout=30,
        ).returncode

    def run_shell(self, script):
        """Run ``script`` in ``nameko shell`` against the stack; returns what it printed."""
        done = subprocess.run(
            [NAMEKO, "shell", "--config", "config.yaml", "--interface", "plain"],
            input=script,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=self.env,
            timeout=60,
        )
        return done.stdout


@contextmanager
def running_stack(virtual_host, database_prefix, log_dir, smtp_port, broker=SYSTEM_BROKER, instances=1, **options):
    """Every service running (``instances`` of each; of inventory, two at least, to share the reservations) on fresh
    databases and a fresh virtual host of ``broker`` (``virtual_host``: a context that makes one and names it).

    Each service connects to RabbitMQ with its own account, as in production.
    """
    databases = TestDatabases(database_prefix)
    databases.create()
    with virtual_host as vhost:
        stack = Stack(log_dir, broker, vhost, databases, smtp_port, **options)
        try:
            stack.use_broker_accounts(prefix=f"{vhost}-")
            stack.start_all(instances)
            if instances < 2:
                stack.start("inventory", instance=1)
            yield stack
        finally:
            try:
                stack.stop_all()
            finally:
                stack.drop_broker_accounts()
                databases.drop()
