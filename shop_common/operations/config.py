"""Reads ``config.yaml`` the way ``nameko run`` does, ``${ENV_VAR:default}`` included.

The file is the one ``SHOP_CONFIG`` names, else ``config.yaml`` in the working directory (where ``nameko run
--config config.yaml`` finds it too): nothing reads the source checkout's own path at run time.
"""

import os

import yaml
from nameko.cli.main import setup_yaml_parser


def config_path():
    return os.environ.get("SHOP_CONFIG", "config.yaml")


def load_config(path=None):
    setup_yaml_parser()
    with open(path or config_path()) as config_file:
        return yaml.safe_load(config_file)
