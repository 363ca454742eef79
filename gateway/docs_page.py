"""``GET /docs``: the published contract (``/openapi.json``) rendered by Swagger UI.

Every asset is served by the gateway itself from the ``swagger-ui-bundle`` package (a fixed list of files), under a
Content-Security-Policy that lets the page load scripts and styles from its own origin only.
"""

import mimetypes
from functools import cache
from importlib import metadata
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path
from werkzeug.wrappers import Response

from gateway.contract import PACKAGE
from shop_common.vocabulary.errors import NotFound

DOCS_ASSETS_URL = "docs/"  # relative to the page (/docs), so the page works behind a path prefix too
DOCS_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PACKAGE_ASSETS = (
    "swagger-ui.css",
    "index.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
)
INITIALIZER = "shop-initializer.js"  # the page's own script: not inline, so no 'unsafe-inline' is needed
DOCS_ASSETS = (*_PACKAGE_ASSETS, INITIALIZER)

_INITIALIZER_SCRIPT = """\
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: new URL("openapi.json", document.baseURI).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
});
"""

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{title} {version}: HTTP API</title>
    <link rel="stylesheet" href="{assets}swagger-ui.css">
    <link rel="stylesheet" href="{assets}index.css">
    <link rel="icon" type="image/png" href="{assets}favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="{assets}favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="{assets}swagger-ui-bundle.js"></script>
    <script src="{assets}swagger-ui-standalone-preset.js"></script>
    <script src="{assets}{initializer}"></script>
  </body>
</html>
"""


def docs_page():
    """The documentation page: Swagger UI rendering ``/openapi.json``."""
    page = _PAGE.format(
        title=PACKAGE, version=metadata.version(PACKAGE), assets=DOCS_ASSETS_URL, initializer=INITIALIZER
    )
    return Response(page, mimetype="text/html", headers=DOCS_SECURITY_HEADERS)


def docs_asset(name):
    """One of the page's assets (``DOCS_ASSETS``); ``NotFound`` for any other name."""
    if name not in DOCS_ASSETS:
        raise NotFound("no such asset", {"asset": name})
    content, mimetype = _asset(name)
    return Response(
        content, mimetype=mimetype, headers={**DOCS_SECURITY_HEADERS, "Cache-Control": "public, max-age=3600"}
    )


@cache
def _asset(name):
    if name == INITIALIZER:
        return _INITIALIZER_SCRIPT.encode(), "text/javascript"
    mimetype = {".js": "text/javascript", ".css": "text/css"}.get(Path(name).suffix) or mimetypes.guess_type(name)[0]
    return (Path(swagger_ui_path) / name).read_bytes(), mimetype
