from nameko.exceptions import serialize

from gateway.http import status_for
from inventory_service.exceptions import ProductAlreadyExists
from order_service.exceptions import OrderNotFound, TransitionNotAllowed
from shop_common.messaging.remote_errors import shop_error_from
from shop_common.vocabulary.errors import Conflict, InvalidInput, NotFound, Unprocessable


def test_a_service_error_comes_back_as_its_family_with_message_and_details():
    error = shop_error_from(serialize(TransitionNotAllowed("o1", "pending", "ship")))
    assert isinstance(error, Conflict)
    assert error.message == "cannot ship order o1: it is pending"
    assert error.details == {"id": "o1", "status": "pending", "action": "ship"}


def test_families_map_to_their_http_status():
    assert status_for(shop_error_from(serialize(OrderNotFound("o1")))) == 404
    assert status_for(shop_error_from(serialize(ProductAlreadyExists("A")))) == 409
    assert status_for(shop_error_from(serialize(InvalidInput("bad", {"sku": ["x"]})))) == 400
    assert isinstance(shop_error_from(serialize(NotFound("gone"))), NotFound)


def test_any_other_error_is_not_a_shop_error():
    assert shop_error_from(serialize(ValueError("boom"))) is None
    assert status_for(ValueError("boom")) == 500


class ServiceErrorTheGatewayNeverImported(Unprocessable):
    code = "something_specific"

    def __init__(self, order_id):
        super().__init__(f"cannot do that to {order_id}", {"id": order_id})


def test_an_error_class_the_gateway_never_saw_maps_by_its_family_and_keeps_its_code():
    error = shop_error_from(serialize(ServiceErrorTheGatewayNeverImported("o1")))
    assert isinstance(error, Unprocessable) and status_for(error) == 422
    assert (error.code, error.message, error.details) == ("something_specific", "cannot do that to o1", {"id": "o1"})


def test_malformed_error_arguments_are_not_taken_for_a_shop_error():
    for args in ([], ["m", {}, "no_such_family", "x"], [1, {}, "not_found", "x"], "text", None):
        assert shop_error_from({"exc_path": "x.Y", "exc_args": args}) is None
    assert shop_error_from("not a dict") is None
