"""The inventory service's operations against a real PostgreSQL database."""

from decimal import Decimal

import eventlet
import pytest

from inventory_service import stock
from inventory_service.domain import MAX_STOCK
from inventory_service.exceptions import ProductAlreadyExists, ProductNotFound, StockLimitExceeded


def add_product(session, sku="TEA-1", stock_level=5, price="12.50"):
    stock.create_product(session, sku, f"Product {sku}", Decimal(price), stock_level, weight_grams=250)
    session.commit()


def stock_of(session, sku):
    session.expire_all()
    return stock.find_product(session, sku).stock


def test_a_product_keeps_its_exact_price(inventory_db):
    add_product(inventory_db, price="0.10")
    assert stock.find_product(inventory_db, "TEA-1").price == Decimal("0.10")


def test_a_duplicate_sku_is_refused(inventory_db):
    add_product(inventory_db)
    with pytest.raises(ProductAlreadyExists):
        stock.create_product(inventory_db, "TEA-1", "Again", Decimal("1.00"), 1, weight_grams=250)


def test_an_unknown_product_is_not_found(inventory_db):
    with pytest.raises(ProductNotFound):
        stock.find_product(inventory_db, "NOPE")
    with pytest.raises(ProductNotFound):
        stock.restock(inventory_db, "NOPE", 1)


def test_restock_adds_to_the_available_stock(inventory_db):
    add_product(inventory_db, stock_level=1)
    stock.restock(inventory_db, "TEA-1", 4)
    inventory_db.commit()
    assert stock_of(inventory_db, "TEA-1") == 5


def test_listing_can_be_limited_to_some_skus(inventory_db):
    for sku in ("C", "A", "B"):
        add_product(inventory_db, sku)
    assert [p.sku for p in stock.list_products(inventory_db, 100)] == ["A", "B", "C"]
    assert [p.sku for p in stock.products_with_skus(inventory_db, ["C", "A", "Z"])] == ["A", "C"]
    assert stock.products_with_skus(inventory_db, []) == []


def test_products_come_in_pages_by_sku_each_after_the_last_sku_of_the_one_before(inventory_db):
    skus = ["A", "A-1", "B", "C", "D", "E0"]  # in sku order in any collation
    for sku in ("C", "E0", "A-1", "D", "B", "A"):
        add_product(inventory_db, sku)
    assert [p.sku for p in stock.list_products(inventory_db, 2)] == ["A", "A-1"]
    assert [p.sku for p in stock.list_products(inventory_db, 2, after="A-1")] == ["B", "C"]
    assert [p.sku for p in stock.list_products(inventory_db, 2, after="A-0")] == ["A-1", "B"]  # no such sku
    assert stock.list_products(inventory_db, 2, after="E0") == []
    for limit in (1, 2, 4, 6, 7):
        pages, after = [], None
        while page := [p.sku for p in stock.list_products(inventory_db, limit, after=after)]:
            assert len(page) <= limit
            pages.append(page)
            after = page[-1]
        assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
        assert sum(pages, []) == skus  # no sku twice, none left out


def test_a_reservation_holds_every_line_at_catalogue_prices(inventory_db):
    add_product(inventory_db, "A", 5, "1.10")
    add_product(inventory_db, "B", 2, "2.20")
    reservation, decided_now = stock.reserve(
        inventory_db, "o1", [{"sku": "A", "quantity": 5}, {"sku": "B", "quantity": 1}]
    )
    inventory_db.commit()
    assert (reservation.status, list(reservation.shortages), decided_now) == ("reserved", [], True)
    assert [(line.sku, line.quantity, line.unit_price) for line in reservation.lines] == [
        ("A", 5, Decimal("1.10")),
        ("B", 1, Decimal("2.20")),
    ]
    assert (stock_of(inventory_db, "A"), stock_of(inventory_db, "B")) == (0, 1)


def test_a_reservation_is_all_or_nothing(inventory_db):
    add_product(inventory_db, "A", 5)
    add_product(inventory_db, "B", 1)
    reservation, _ = stock.reserve(
        inventory_db, "o1", [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 2}, {"sku": "Z", "quantity": 1}]
    )
    inventory_db.commit()
    assert reservation.status == "refused"
    assert reservation.shortages == [
        {"sku": "B", "requested": 2, "available": 1},
        {"sku": "Z", "requested": 1, "available": 0},
    ]
    assert reservation.reason == "insufficient stock (B: 2 requested, 1 available; Z: unknown product)"
    assert (stock_of(inventory_db, "A"), stock_of(inventory_db, "B")) == (5, 1)


def test_an_order_is_reserved_once_however_often_it_is_asked(inventory_db):
    add_product(inventory_db, "A", 5)
    stock.reserve(inventory_db, "o1", [{"sku": "A", "quantity": 2}])
    inventory_db.commit()
    reservation, decided_now = stock.reserve(inventory_db, "o1", [{"sku": "A", "quantity": 2}])
    inventory_db.commit()
    assert (reservation.status, decided_now) == ("reserved", False)
    assert stock_of(inventory_db, "A") == 3


def test_releasing_gives_the_held_stock_back_once(inventory_db):
    add_product(inventory_db, "A", 5)
    stock.reserve(inventory_db, "o1", [{"sku": "A", "quantity": 2}])
    assert stock.release(inventory_db, "o1")[1] is True
    assert stock.release(inventory_db, "o1")[1] is False
    inventory_db.commit()
    assert stock_of(inventory_db, "A") == 5


def test_an_order_cancelled_before_its_reservation_never_holds_stock(inventory_db):
    add_product(inventory_db, "A", 5)
    reservation, released_now = stock.release(inventory_db, "o1")
    assert (reservation.status, released_now) == ("released", False)
    reservation, decided_now = stock.reserve(inventory_db, "o1", [{"sku": "A", "quantity": 2}])
    inventory_db.commit()
    assert (reservation.status, decided_now) == ("released", False)
    assert stock_of(inventory_db, "A") == 5


def test_a_sale_consumes_the_held_stock_and_cannot_be_released(inventory_db):
    add_product(inventory_db, "A", 5)
    stock.reserve(inventory_db, "o1", [{"sku": "A", "quantity": 2}])
    assert stock.complete_sale(inventory_db, "o1")[1] is True
    assert stock.complete_sale(inventory_db, "o1")[1] is False
    assert stock.release(inventory_db, "o1")[1] is False
    inventory_db.commit()
    assert stock_of(inventory_db, "A") == 3


def test_concurrent_reservations_never_oversell(clean_databases):
    """Twenty orders race for five units in separate transactions; exactly five win."""
    with clean_databases.session("inventory") as session:
        add_product(session, "LAST", 5)

    def reserve(order_id):
        with clean_databases.session("inventory") as session:
            reservation, _ = stock.reserve(session, order_id, [{"sku": "LAST", "quantity": 1}])
            status = reservation.status
            eventlet.sleep(0.01)  # hold the row lock while the others queue up behind it
            session.commit()
            return status

    pool = eventlet.GreenPool(20)
    statuses = list(pool.imap(reserve, [f"o{n}" for n in range(20)]))
    assert statuses.count("reserved") == 5 and statuses.count("refused") == 15
    assert clean_databases.scalar("inventory", "SELECT stock FROM products WHERE sku = 'LAST'") == 0


def test_restock_past_the_stock_limit_is_refused_counting_held_units(inventory_db):
    add_product(inventory_db, stock_level=MAX_STOCK - 10)
    stock.reserve(inventory_db, "o-held", [{"sku": "TEA-1", "quantity": 5}])
    inventory_db.commit()
    with pytest.raises(StockLimitExceeded):
        stock.restock(inventory_db, "TEA-1", 11)
    inventory_db.rollback()
    assert stock.restock(inventory_db, "TEA-1", 10).stock == MAX_STOCK - 5
    inventory_db.commit()
    stock.release(inventory_db, "o-held")  # the held units come back without passing the limit
    inventory_db.commit()
    assert stock_of(inventory_db, "TEA-1") == MAX_STOCK


def test_releasing_a_refused_or_unknown_reservation_holds_and_changes_nothing(inventory_db):
    add_product(inventory_db, stock_level=1)
    stock.reserve(inventory_db, "o-refused", [{"sku": "TEA-1", "quantity": 2}])
    inventory_db.commit()
    assert stock.release(inventory_db, "o-refused")[1] is False
    assert stock.release(inventory_db, "o-never-seen")[1] is False
    inventory_db.commit()
    assert stock_of(inventory_db, "TEA-1") == 1


def test_reservations_made_together_take_stock_in_their_order_as_one_at_a_time_would(inventory_db):
    add_product(inventory_db, "A", 3, "1.10")
    add_product(inventory_db, "B", 1, "2.20")
    changes = stock.reserve_all(
        inventory_db,
        [
            ("o1", [{"sku": "A", "quantity": 2}]),
            ("o2", [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}]),  # only 1 of A left
            ("o3", [{"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 1}]),
        ],
    )
    inventory_db.commit()
    assert [(change.subject.order_id, change.subject.status, change.happened) for change in changes] == [
        ("o1", "reserved", True),
        ("o2", "refused", True),
        ("o3", "reserved", True),
    ]
    assert changes[1].subject.shortages == [{"sku": "A", "requested": 2, "available": 1}]
    assert [(line.sku, line.unit_price) for line in changes[2].subject.lines] == [
        ("A", Decimal("1.10")),
        ("B", Decimal("2.20")),
    ]
    assert (stock_of(inventory_db, "A"), stock_of(inventory_db, "B")) == (0, 0)


def test_an_order_twice_in_reservations_made_together_is_decided_once(inventory_db):
    add_product(inventory_db, "A", 5)
    stock.reserve(inventory_db, "o-before", [{"sku": "A", "quantity": 1}])
    inventory_db.commit()
    changes = stock.reserve_all(
        inventory_db,
        [
            ("o-before", [{"sku": "A", "quantity": 1}]),
            ("o1", [{"sku": "A", "quantity": 2}]),
            ("o1", [{"sku": "A", "quantity": 2}]),
        ],
    )
    inventory_db.commit()
    assert [(change.subject.order_id, change.happened) for change in changes] == [
        ("o-before", False),
        ("o1", True),
        ("o1", False),
    ]
    assert changes[1].subject is changes[2].subject
    assert stock_of(inventory_db, "A") == 2
