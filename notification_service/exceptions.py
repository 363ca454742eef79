class EmailBeingSent(Exception):
    """Another delivery of the same event is sending this email now; try again later."""

    def __init__(self, order_id, kind):
        super().__init__(f"the {kind} email of order {order_id} is being sent by another delivery")
