"""Which type of queue the services declare: ``QUEUE_TYPE`` in config.yaml.

``classic`` or ``quorum`` (replicated, for a RabbitMQ cluster).
It applies to every durable queue a service declares: ``rpc-<service>``, its
event handlers' queues, their ``.backoff`` queues and ``<service>.dead-letters``.
RPC reply queues stay classic: they belong to one process and expire with it.

A queue's type is fixed when it is first declared (declaring it again with
other arguments is refused), so choose it before the queues exist: on a new
broker or virtual host, or after deleting the queues.
"""

QUEUE_TYPES = {
    "classic": {},
    "quorum": {"x-queue-type": "quorum"},
}


class QueueTypeError(ValueError):
    """QUEUE_TYPE is not one this shop knows."""


def queue_arguments(config):
    """The arguments every durable queue of the service is declared with, by ``config["QUEUE_TYPE"]``."""
    queue_type = config["QUEUE_TYPE"]
    try:
        return dict(QUEUE_TYPES[queue_type.strip().lower()])
    except (AttributeError, KeyError):
        raise QueueTypeError(f"QUEUE_TYPE must be one of {', '.join(QUEUE_TYPES)}; not {queue_type!r}") from None
