from shop_common.vocabulary.errors import Conflict, InvalidInput, NotFound


class ProductNotFound(NotFound):
    def __init__(self, sku):
        super().__init__(f"product {sku} not found", {"sku": sku})


class ProductAlreadyExists(Conflict):
    def __init__(self, sku):
        super().__init__(f"product {sku} already exists", {"sku": sku})


class StockLimitExceeded(InvalidInput):
    def __init__(self, sku, units, maximum):
        super().__init__(
            f"product {sku} would hold more than {maximum} units",
            {"quantity": [f"at most {maximum - units} more units of {sku} fit"]},
        )
