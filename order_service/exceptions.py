from shop_common.vocabulary.errors import Conflict, NotFound, Unprocessable


class OrderNotFound(NotFound):
    def __init__(self, order_id):
        super().__init__(f"order {order_id} not found", {"id": order_id})


class TransitionNotAllowed(Conflict):
    def __init__(self, order_id, status, action):
        super().__init__(
            f"cannot {action} order {order_id}: it is {status}",
            {"id": order_id, "status": status, "action": action},
        )


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"

    def __init__(self, order_id):
        super().__init__(
            f"the idempotency key of order {order_id} was used before with another request", {"order_id": order_id}
        )
