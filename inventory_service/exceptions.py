from shop_common.errors import Conflict, NotFound


class ProductNotFound(NotFound):
    def __init__(self, sku):
        super().__init__(f"product {sku} not found", {"sku": sku})


class ProductAlreadyExists(Conflict):
    def __init__(self, sku):
        super().__init__(f"product {sku} already exists", {"sku": sku})
