"""Order lines as plain dicts ``{sku, quantity}``."""


def merge_lines(items):
    """One line per sku, quantities of repeated skus added up, first-seen order kept."""
    quantities = {}
    for item in items:
        quantities[item["sku"]] = quantities.get(item["sku"], 0) + item["quantity"]
    return [{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items()]
