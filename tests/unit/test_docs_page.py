"""The documentation page (``gateway.docs_page``): Swagger UI from the gateway's own assets, nothing else."""

import re

import pytest

from gateway.docs_page import DOCS_ASSETS, docs_asset, docs_page
from shop_common.vocabulary.errors import NotFound


def test_the_docs_page_loads_only_its_own_assets():
    page = docs_page()
    assert page.mimetype == "text/html"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html
    referenced = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert referenced and all(url.startswith("docs/") and url[len("docs/") :] in DOCS_ASSETS for url in referenced)


def test_only_the_listed_assets_are_served():
    assert docs_asset("swagger-ui-bundle.js").mimetype == "text/javascript"
    assert docs_asset("swagger-ui.css").mimetype == "text/css"
    for name in ("index.html", "../contract.py", "swagger-initializer.js", "oauth2-redirect.html"):
        with pytest.raises(NotFound):
            docs_asset(name)
