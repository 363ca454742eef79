from nameko.exceptions import serialize

from gateway.http import status_for
from gateway.remote_errors import shop_error_from
from inventory_service.exceptions import ProductAlreadyExists
from order_service.exceptions import OrderNotFound, TransitionNotAllowed
from shop_common.errors import Conflict, InvalidInput, NotFound


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
