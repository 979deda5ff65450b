"""Shipped configuration (package data): the example settings, the default certificate template."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
EXAMPLE_SETTINGS = CONFIG_DIR / "qianfa.example.toml"
CERTIFICATE_TEMPLATE = CONFIG_DIR / "certificate" / "template.toml"
