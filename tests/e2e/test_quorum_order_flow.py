"""The order flow on quorum queues: every service as a process with ``QUEUE_TYPE=quorum``, on a fresh vhost.

A few of test_order_flow's tests run here again (with this module's ``stack``):
an order confirmed and mailed, one rejected, a cancel that gives the stock back.
"""

import pytest
import requests

from harness.broker import MANAGEMENT_API
from shop_common.operations.services import SERVICES
from tests.e2e import test_order_flow as on_classic_queues
from tests.e2e.conftest import e2e_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(vhost_pipeline, run_id, smtp_sink, tmp_path_factory):
    with e2e_stack(
        vhost_pipeline, f"shop_test_{run_id}_e2e_quorum", smtp_sink, tmp_path_factory, QUEUE_TYPE="quorum"
    ) as stack:
        yield stack


test_an_order_is_confirmed_priced_and_mailed_once = on_classic_queues.test_an_order_is_confirmed_priced_and_mailed_once
test_an_order_beyond_stock_is_rejected_and_holds_nothing = (
    on_classic_queues.test_an_order_beyond_stock_is_rejected_and_holds_nothing
)
test_cancel_gives_the_stock_back_and_ship_is_final = (
    on_classic_queues.test_cancel_gives_the_stock_back_and_ship_is_final
)


def test_every_queue_of_the_shop_is_a_quorum_queue_but_the_reply_queues(stack):
    response = requests.get(f"{MANAGEMENT_API}/queues/{stack.vhost}", params={"columns": "name,type"}, timeout=5)
    response.raise_for_status()
    types = {queue["name"]: queue["type"] for queue in response.json()}
    replies = {name: kind for name, kind in types.items() if name.startswith("rpc.reply-")}
    durable = {name: kind for name, kind in types.items() if name not in replies}

    assert set(durable.values()) == {"quorum"}, durable
    domain = [service.name for service in SERVICES if service.name != "gateway"]
    assert {f"rpc-{name}" for name in domain} | {f"{name}.dead-letters" for name in domain} <= set(durable)
    assert any(name.startswith("evt-") and name.endswith(".backoff") for name in durable)
    assert set(replies.values()) == {"classic"} and any(name.startswith("rpc.reply-gateway-") for name in replies)
