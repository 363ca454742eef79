"""QUEUE_TYPE: which type of queue the services declare."""

import pytest

from shop_common.messaging.queues import QueueTypeError, queue_arguments
from shop_common.messaging.set_aside import backoff_queue, dead_letter_queue
from shop_common.operations.config import load_config


def test_classic_queues_take_no_argument():
    assert queue_arguments({"QUEUE_TYPE": "classic"}) == {}


def test_quorum_queues_are_asked_for_by_their_argument():
    assert queue_arguments({"QUEUE_TYPE": "quorum"}) == {"x-queue-type": "quorum"}
    assert queue_arguments({"QUEUE_TYPE": " Quorum "}) == {"x-queue-type": "quorum"}


def test_config_yaml_says_classic_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv("QUEUE_TYPE", raising=False)
    assert load_config()["QUEUE_TYPE"] == "classic"
    monkeypatch.setenv("QUEUE_TYPE", "quorum")
    assert queue_arguments(load_config()) == {"x-queue-type": "quorum"}


@pytest.mark.parametrize("value", ["stream", "quorum-ish", "", None, 1])
def test_any_other_type_is_an_error_naming_the_setting(value):
    with pytest.raises(QueueTypeError, match="QUEUE_TYPE") as raised:
        queue_arguments({"QUEUE_TYPE": value})
    assert repr(value) in str(raised.value)


def test_the_set_aside_queues_keep_their_own_arguments_beside_the_type():
    quorum = queue_arguments({"QUEUE_TYPE": "quorum"})
    assert dead_letter_queue("orders", quorum).queue_arguments == {"x-queue-type": "quorum"}
    assert backoff_queue("orders", "evt-a", quorum).queue_arguments == {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": "orders.redelivery",
        "x-dead-letter-routing-key": "evt-a",
    }
    assert backoff_queue("orders", "evt-a").queue_arguments == {
        "x-dead-letter-exchange": "orders.redelivery",
        "x-dead-letter-routing-key": "evt-a",
    }
