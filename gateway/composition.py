"""Composing answers from several services. Plain Python, no I/O."""


def with_product_names(orders, products):
    """Orders whose lines carry each product's ``name``; ``products`` None leaves them as they are."""
    if products is None:
        return orders
    names = {product["sku"]: product["name"] for product in products}
    return [
        {**order, "items": [{**item, "name": names.get(item["sku"])} for item in order["items"]]} for order in orders
    ]


def skus_of(orders):
    return sorted({item["sku"] for order in orders for item in order["items"]})
