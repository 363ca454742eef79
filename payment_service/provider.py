"""The payment provider, Stripe, through its official SDK: the one module that knows its API.

Every call is one request with a deadline (``PAYMENTS.CALL_TIMEOUT``) and no
retry of the SDK's own: the payments service decides what to retry, knowing
what the shop holds. The provider's answers become three outcomes:

- the intent, as ``Intent`` (its id, status, amount);
- ``CardDeclined``: the customer's payment method was refused (for good);
- ``ProviderRefused``: the provider will not do this (a state it is not in,
  a payment method it does not know): asking again will not change it;
- ``ProviderUnavailable``: no answer, a timeout, a 5xx or a rate limit:
  asking again later may work.

Each request carries an ``Idempotency-Key`` of the shop's (Stripe honours it);
the shop's exactly-once rests on what it records, not on the key.

Keys come from the environment, never from the repository:
``STRIPE_API_KEY`` (or the file ``STRIPE_API_KEY_FILE`` names) and
``STRIPE_WEBHOOK_SECRET`` (or ``STRIPE_WEBHOOK_SECRET_FILE``).
"""

import time
from dataclasses import dataclass

import stripe
from nameko.extensions import DependencyProvider

from shop_common.identity.secrets import secret_from_environment
from shop_common.observability.metrics import PROVIDER_CALLS, PROVIDER_SECONDS
from shop_common.observability.tracing import provider_span


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered that it cannot now."""


class ProviderRefused(Exception):
    """The provider answered no, and would again."""


class CardDeclined(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


class InvalidSignature(Exception):
    """A webhook that does not carry the provider's signature for its body, or carries an old one."""


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    amount: int  # minor units
    currency: str


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    amount: int  # minor units
    status: str


def _object_of(event):
    """What a signed event is about (``data.object``); {} when it is not an object."""
    data = event.get("data")
    found = data.get("object") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def _is_id(value):
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isascii() and value.isprintable()


def _intent(answer):
    return Intent(answer.id, answer.status, answer.amount, answer.currency)


class Stripe:
    """PaymentIntents with manual capture, and refunds, on one ``StripeClient``."""

    def __init__(self, api_key, api_base, timeout, webhook_secret, webhook_tolerance):
        client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=timeout),
        )
        self.api = client.v1
        self.webhook_secret = webhook_secret
        self.webhook_tolerance = webhook_tolerance

    def _call(self, operation, call, key=None):
        started, outcome = time.perf_counter(), "ok"
        try:
            with provider_span(operation):
                return self._answer(operation, call, key)
        except CardDeclined:
            outcome = "declined"
            raise
        except ProviderRefused:
            outcome = "refused"
            raise
        except ProviderUnavailable:
            outcome = "unavailable"
            raise
        finally:
            PROVIDER_CALLS.labels(operation, outcome).inc()
            PROVIDER_SECONDS.labels(operation).observe(time.perf_counter() - started)

    @staticmethod
    def _answer(operation, call, key):
        try:
            return call({"idempotency_key": key} if key else {})
        except stripe.CardError as declined:
            raise CardDeclined(declined.code or "card_declined") from None
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            raise ProviderUnavailable(f"{operation}: {type(error).__name__}") from None
        except stripe.InvalidRequestError as refused:
            raise ProviderRefused(f"{operation}: {refused.http_status} {refused.user_message or ''}".strip()) from None
        except stripe.StripeError as error:  # a 5xx, or an answer that is not the API's
            if error.http_status is None or error.http_status >= 500:
                raise ProviderUnavailable(f"{operation}: {type(error).__name__} {error.http_status}") from None
            raise ProviderRefused(f"{operation}: {type(error).__name__} {error.http_status}") from None

    def create_intent(self, order_id, amount, currency, payment_method):
        """An unconfirmed intent for ``amount`` minor units, to be captured later by hand."""
        params = {
            "amount": amount,
            "currency": currency.lower(),
            "payment_method": payment_method,
            "capture_method": "manual",
            "metadata": {"order_id": order_id},
        }
        return _intent(
            self._call(
                "create_intent",
                lambda options: self.api.payment_intents.create(params=params, options=options),
                key=f"{order_id}:create",
            )
        )

    def confirm(self, intent_id):
        """Authorise: the card is asked to hold the amount (``CardDeclined`` when it will not)."""
        return _intent(
            self._call(
                "confirm",
                lambda options: self.api.payment_intents.confirm(intent_id, options=options),
                key=f"{intent_id}:confirm",
            )
        )

    def retrieve(self, intent_id):
        return _intent(
            self._call("retrieve", lambda options: self.api.payment_intents.retrieve(intent_id, options=options))
        )

    def capture(self, intent_id):
        return _intent(
            self._call(
                "capture",
                lambda options: self.api.payment_intents.capture(intent_id, options=options),
                key=f"{intent_id}:capture",
            )
        )

    def cancel(self, intent_id):
        return _intent(
            self._call(
                "cancel",
                lambda options: self.api.payment_intents.cancel(intent_id, options=options),
                key=f"{intent_id}:cancel",
            )
        )

    def refund(self, intent_id, amount, key):
        answer = self._call(
            "refund",
            lambda options: self.api.refunds.create(
                params={"payment_intent": intent_id, "amount": amount}, options=options
            ),
            key=key,
        )
        return ProviderRefund(answer.id, answer.amount, answer.status)

    def refunds(self, intent_id):
        """Every refund of the intent the provider holds (made by the shop or in its dashboard)."""
        refunds, after = [], None
        while True:
            params = {"payment_intent": intent_id, "limit": 100, **({"starting_after": after} if after else {})}
            page = self._call(
                "list_refunds", lambda options, params=params: self.api.refunds.list(params=params, options=options)
            )
            refunds.extend(ProviderRefund(refund.id, refund.amount, refund.status) for refund in page.data)
            if not page.has_more or not page.data:
                return refunds
            after = page.data[-1].id

    def verified_event(self, payload, signature):
        """The webhook's event (``{"id", "type", "intent_id"}``), if ``signature`` is the provider's for ``payload``
        and recent; InvalidSignature otherwise."""
        try:
            event = stripe.Webhook.construct_event(
                payload, signature or "", self.webhook_secret, tolerance=self.webhook_tolerance
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise InvalidSignature(str(error).split(":")[0]) from None
        event = event.to_dict()
        data = _object_of(event)
        intent_id = data.get("id") if data.get("object") == "payment_intent" else data.get("payment_intent")
        if not _is_id(event.get("id")) or not (intent_id is None or _is_id(intent_id)):
            raise InvalidSignature("signed, but not an event of the provider's shape")
        return {"id": event["id"], "type": event.get("type"), "intent_id": intent_id}


class PaymentProvider(DependencyProvider):
    """Gives each worker the service's ``Stripe``, configured by ``PAYMENTS`` and the secrets in the environment."""

    def setup(self):
        settings = self.container.config["PAYMENTS"]
        self.stripe = Stripe(
            secret_from_environment("STRIPE_API_KEY"),
            settings["API_BASE"],
            float(settings["CALL_TIMEOUT"]),
            secret_from_environment("STRIPE_WEBHOOK_SECRET"),
            int(settings["WEBHOOK_TOLERANCE"]),
        )

    def get_dependency(self, worker_ctx):
        return self.stripe
