"""Payment rules: statuses, what each allows, and amounts in the provider's minor units. Plain Python, no I/O.

A payment is one order's money, in one currency:

    authorising -> authorised -> captured -> refunded (when all of it is given back)
         |              |
         |              +-> voided (the order was cancelled or rejected; nothing is taken)
         +-> declined (the card said no) | failed (the provider did not answer in time)
         +-> voided (the order ended before the authorisation was made)

``authorising`` is the shop's own: an authorisation asked for and not yet
answered. The others are what the order's answer shows.
"""

from decimal import Decimal

from payment_service.statuses import AUTHORISED, AUTHORISING, CAPTURED, FAILED, REFUNDED, VOIDED

# What the provider says of an intent, as the shop's status (None: not authorised, nothing held).
PROVIDER_STATUS: dict[str, str | None] = {
    "requires_payment_method": None,
    "requires_confirmation": None,
    "requires_action": None,
    "processing": None,
    "requires_capture": AUTHORISED,
    "succeeded": CAPTURED,
    "canceled": VOIDED,
}

# Intents the provider still lets the shop cancel.
CANCELLABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"})

DECLINED_REASON = "payment_declined"
UNAVAILABLE_REASON = "payment_unavailable"

# ISO 4217 currencies whose minor unit is not the cent (those the shop may plausibly sell in).
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}


class AmountNotExact(ValueError):
    """An amount the currency cannot hold to its smallest unit."""


class NotAllowed(Exception):
    """What was asked cannot be done to a payment in its status (or past what is left)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` (a Decimal) as a whole number of the currency's minor units: ``Decimal("12.50")``, EUR -> 1250."""
    scaled = Decimal(amount).scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise AmountNotExact(f"{amount} {currency} is not a whole number of its minor units")
    return int(scaled)


def from_minor_units(units: int, currency: str) -> Decimal:
    """``units`` of the currency's minor unit as a Decimal amount: 1250, EUR -> ``Decimal("12.50")``."""
    places = exponent(currency)
    return Decimal(units).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def authorisation_outcome(provider_status: str) -> str | None:
    """The status an authorisation ends in for the intent's status at the provider; None while it can still be
    confirmed (it was never confirmed, or it was and the answer was lost: the provider tells)."""
    return PROVIDER_STATUS[provider_status]


def may_void(status: str) -> bool:
    """An order that ends (cancelled, rejected) gives back what its payment holds or might hold."""
    return status in (AUTHORISING, AUTHORISED, FAILED)


def may_capture(status: str) -> bool:
    return status == AUTHORISED


def refundable(status: str, amount: Decimal, refunded: Decimal, asked: Decimal | None = None) -> Decimal:
    """What to refund of a payment: ``asked`` (all that is left when None), at most what is left; NotAllowed
    otherwise."""
    if status not in (CAPTURED, REFUNDED):
        raise NotAllowed(f"a payment that is {status} cannot be refunded: only a captured one")
    left = amount - refunded
    if left <= 0:
        raise NotAllowed("the payment has been refunded in full")
    asked = left if asked is None else asked
    if asked > left:
        raise NotAllowed(f"at most {left} is left to refund")
    return asked


def status_after_refunds(amount: Decimal, refunded: Decimal) -> str:
    return REFUNDED if refunded >= amount else CAPTURED
