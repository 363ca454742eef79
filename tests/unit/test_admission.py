"""The admission rule (``gateway/admission.py``) alone: which bound a backlog meets, and what an unread backlog
does."""

from types import SimpleNamespace

import pytest

from gateway.admission import Admission, Backlog, Bounds
from shop_common.vocabulary.errors import ServiceUnavailable

BOUNDS = Bounds(pending_orders=10, pending_seconds=5.0)


@pytest.mark.parametrize(
    "pending, oldest, met",
    [(9, 4.9, None), (10, 0.0, "pending_orders"), (0, 5.0, "pending_seconds"), (12, 7.0, "pending_orders")],
)
def test_a_backlog_meets_a_bound_at_it_not_only_past_it(pending, oldest, met):
    assert BOUNDS.met_by(Backlog(pending, oldest)) == met


def admission(**settings):
    provider = Admission()
    defaults = {"MAX_PENDING_ORDERS": 1, "MAX_PENDING_SECONDS": 5, "CHECK_SECONDS": 0, "RETRY_AFTER_SECONDS": 3}
    provider.container = SimpleNamespace(config={"ADMISSION": {**defaults, **settings}})
    provider.setup()
    return provider


def test_a_backlog_that_cannot_be_read_admits_the_order():
    def orders_away():
        raise ServiceUnavailable("orders is not running", {"service": "orders"})

    admission().refuse_if_behind(orders_away)  # no refusal: the order's own call answers for it


def test_a_refusal_says_when_to_try_again():
    with pytest.raises(ServiceUnavailable) as refused:
        admission().refuse_if_behind(lambda: {"pending_orders": 1, "oldest_pending_seconds": 0.0})
    assert refused.value.details["retry_after"] == 3
