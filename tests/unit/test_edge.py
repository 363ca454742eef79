import re

import pytest

from harness.repository import ROOT
from shop_common.operations.config import load_config
from shop_common.operations.edge import EDGE_ERRORS, error_pages, gateway_servers, render, settings

TEMPLATE = (ROOT / "deploy" / "nginx" / "nginx.conf.template").read_text()


def rendered(tmp_path):
    return render(TEMPLATE, settings(load_config(), tmp_path))


def test_every_place_of_the_template_is_filled_from_the_configuration(tmp_path, monkeypatch):
    for name in ("EDGE_ADDRESS", "WEB_SERVER_ADDRESS", "EDGE_HEADER_TIMEOUT", "EDGE_CONNECTIONS_PER_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    config = rendered(tmp_path)
    assert "{{" not in config
    assert "listen 127.0.0.1:8000 " in config
    assert "server 127.0.0.1:8001 max_fails=0;" in config
    assert "client_header_timeout 10s;" in config and "client_max_body_size 1048576;" in config
    assert "limit_conn per_address 50;" in config
    assert f"pid {tmp_path}/nginx.pid;" in config


def test_a_setting_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGE_CONNECTIONS_PER_ADDRESS", "7")
    monkeypatch.setenv("WEB_SERVER_ADDRESS", "gateway-a:8001, gateway-b:8001")
    config = rendered(tmp_path)
    assert "limit_conn per_address 7;" in config
    assert re.findall(r"server (\S+) max_fails=0;", config) == ["gateway-a:8001", "gateway-b:8001"]


def test_a_place_without_a_value_is_an_error():
    with pytest.raises(KeyError, match="MISSING"):
        render("listen {{MISSING}};", {})


def test_no_gateway_is_an_error():
    with pytest.raises(ValueError):
        gateway_servers(" , ")


def test_every_error_of_the_edge_is_answered_as_json_with_the_request_id():
    pages = error_pages()
    for error in EDGE_ERRORS:
        assert f"error_page {error.status} ={error.status} /.edge-errors/{error.status};" in pages
        assert f'return {error.status} \'{{"error": "{error.code}", ' in pages
    assert "error_page 494 =431 /.edge-errors/431;" in pages
    assert pages.count("add_header X-Request-ID $shop_request_id always;") == len(EDGE_ERRORS)
    assert {400, 408, 413, 414, 429, 431, 502, 503, 504} <= {error.status for error in EDGE_ERRORS}
