"""Who may import whom: the gateway depends on shop_common alone; a domain service depends on another
only through that service's ``events`` module (its published contract); shop_common on no service."""

import ast

import pytest

from harness.repository import ROOT
from shop_common.operations.services import SERVICES

PACKAGES = {service.package for service in SERVICES}


def imports_of(package):
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                yield from ((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                yield from ((path, f"{node.module}.{alias.name}") for alias in node.names)


def foreign_imports(package):
    """Imports of other service packages from ``package``, other than their ``events`` modules."""
    return sorted({(str(path.relative_to(ROOT)), module) for path, module in imports_of(package)
                   if module.split(".")[0] in PACKAGES - {package} and module.split(".")[1:2] != ["events"]})


def test_the_gateway_depends_on_shop_common_alone():
    assert [(path, module) for path, module in imports_of("gateway")
            if module.split(".")[0] in PACKAGES - {"gateway"}] == []


@pytest.mark.parametrize("package", sorted(PACKAGES - {"gateway"}))
def test_a_domain_service_uses_another_only_through_its_events(package):
    assert foreign_imports(package) == []


def test_shop_common_depends_on_no_service():
    assert [(path, module) for path, module in imports_of("shop_common") if module.split(".")[0] in PACKAGES] == []
