"""Who may import whom.

- ``shop_common`` is layered one way, from the bottom: ``internals`` (the one module that touches libraries' private
  names), ``vocabulary``, ``identity``, ``persistence``, ``messaging``, ``observability``, ``operations``. A module
  imports from its own layer and those below it, never from one above.
- The gateway depends on ``shop_common`` alone; a domain service depends on another only through that service's
  ``events`` module (its published contract); ``shop_common`` on no service.
- A service's ``events`` module imports of its own service only plain modules: ones that import nothing of the
  shop's (its statuses), so another service that reads the contract loads none of its rules, models or code.
"""

import ast
from pathlib import Path

import pytest

import shop_common
from shop_common.operations.services import SERVICES

CHECKOUT = Path(shop_common.__file__).resolve().parents[1]
PACKAGES = {service.package for service in SERVICES}
LAYERS = ("internals", "vocabulary", "identity", "persistence", "messaging", "observability", "operations")


def imports_in(path):
    """The modules ``path`` imports from, as dotted names (``from a.b import c``: ``a.b.c``)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def imports_of(package):
    for path in (CHECKOUT / package).rglob("*.py"):
        yield from ((path, module) for module in imports_in(path))


def layer_of(module):
    """The layer of a ``shop_common`` module, from its dotted name."""
    return LAYERS.index(module.split(".")[1].removesuffix(".py"))


def shop_common_modules():
    return sorted(path for path in (CHECKOUT / "shop_common").rglob("*.py") if path.name != "__init__.py")


def foreign_imports(package):
    """Imports of other service packages from ``package``, other than their ``events`` modules."""
    return sorted(
        {
            (str(path.relative_to(CHECKOUT)), module)
            for path, module in imports_of(package)
            if module.split(".")[0] in PACKAGES - {package} and module.split(".")[1:2] != ["events"]
        }
    )


def test_every_module_of_shop_common_is_in_a_layer():
    assert [
        path.relative_to(CHECKOUT).parts[1]
        for path in shop_common_modules()
        if path.relative_to(CHECKOUT).parts[1].removesuffix(".py") not in LAYERS
    ] == []


@pytest.mark.parametrize("path", shop_common_modules(), ids=lambda path: str(path.relative_to(CHECKOUT)))
def test_a_module_of_shop_common_imports_nothing_from_a_layer_above_its_own(path):
    own = layer_of(".".join(path.relative_to(CHECKOUT).parts))
    above = sorted(
        module for module in imports_in(path) if module.startswith("shop_common.") and layer_of(module) > own
    )
    assert above == []


def test_the_gateway_depends_on_shop_common_alone():
    assert [
        (path, module) for path, module in imports_of("gateway") if module.split(".")[0] in PACKAGES - {"gateway"}
    ] == []


@pytest.mark.parametrize("package", sorted(PACKAGES - {"gateway"}))
def test_a_domain_service_uses_another_only_through_its_events(package):
    assert foreign_imports(package) == []


def test_shop_common_depends_on_no_service():
    assert [(path, module) for path, module in imports_of("shop_common") if module.split(".")[0] in PACKAGES] == []


@pytest.mark.parametrize(
    "package", sorted(package for package in PACKAGES if (CHECKOUT / package / "events.py").exists())
)
def test_a_contract_imports_of_its_own_service_only_modules_that_import_nothing_of_the_shop(package):
    shop = PACKAGES | {"shop_common"}
    own = {
        module.rsplit(".", 1)[0]
        for module in imports_in(CHECKOUT / package / "events.py")
        if module.split(".")[0] == package
    }
    heavy = sorted(
        module
        for module in own
        if any(
            imported.split(".")[0] in shop
            for imported in imports_in((CHECKOUT / Path(*module.split("."))).with_suffix(".py"))
        )
    )
    assert heavy == []
