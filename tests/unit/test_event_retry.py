from shop_common.messaging.reliable_events import backoff_seconds


def test_backoff_doubles_from_the_base_up_to_the_ceiling():
    assert [backoff_seconds(attempt, 0.25, 3) for attempt in range(1, 7)] == [0.25, 0.5, 1, 2, 3, 3]
