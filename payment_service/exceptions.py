from shop_common.vocabulary.errors import Conflict, InvalidInput, NotFound


class PaymentNotFound(NotFound):
    def __init__(self, order_id):
        super().__init__(f"no payment for order {order_id}", {"order_id": order_id})


class NothingToRefund(Conflict):
    code = "nothing_to_refund"

    def __init__(self, order_id, why):
        super().__init__(f"cannot refund order {order_id}: {why}", {"order_id": order_id})


class ProviderDisagrees(Exception):
    """The provider holds the payment in a state the shop's step does not fit (an authorisation expired before
    its capture, say): retried, then dead-lettered with this reason for an operator."""

    def __init__(self, subject, why):
        super().__init__(f"{subject}: {why}")


class InvalidWebhook(InvalidInput):
    code = "invalid_signature"

    def __init__(self, why):
        super().__init__(f"the webhook is not signed by the provider: {why}", {"Stripe-Signature": [why]})
