"""Reads ``config.yaml`` the way ``nameko run`` does, ``${ENV_VAR:default}`` included."""

from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = ROOT / "config.yaml"


def load_config(path=DEFAULT_CONFIG_PATH):
    setup_yaml_parser()
    with open(path) as config_file:
        return yaml.safe_load(config_file)
