"""Products as staff add them, over HTTP: the catalogue a load orders from."""

import requests

from harness.accounts import bearer
from harness.shipping import WEIGHT_GRAMS


def add_products(stack, stock, price="4.20"):
    """Each product of ``stock`` ({sku: units}) added by staff at ``price``, named after its sku."""
    staff = bearer(stack.accounts.staff_token())
    for sku, units in stock.items():
        requests.post(
            f"{stack.url}/products",
            headers=staff,
            timeout=10,
            json={
                "sku": sku,
                "name": f"Product {sku}",
                "price": price,
                "stock": units,
                "weight_grams": WEIGHT_GRAMS,
            },
        ).raise_for_status()
