from shop_common.vocabulary.errors import Conflict, InvalidInput, NotFound


class ShipmentNotFound(NotFound):
    def __init__(self, order_id):
        super().__init__(f"no shipment for order {order_id}", {"order_id": order_id})


class TransitionNotAllowed(Conflict):
    def __init__(self, order_id, status, action):
        super().__init__(
            f"cannot {action} the shipment of order {order_id}: it is {status}",
            {"order_id": order_id, "status": status, "action": action},
        )


class TrackingNumberInUse(Conflict):
    code = "tracking_number_in_use"

    def __init__(self, tracking_number):
        super().__init__(
            f"tracking number {tracking_number} belongs to another shipment", {"tracking_number": tracking_number}
        )


class InvalidCarrierUpdate(InvalidInput):
    code = "invalid_signature"

    def __init__(self, why):
        super().__init__(f"the update is not signed by the carrier: {why}", {"Carrier-Signature": [why]})
