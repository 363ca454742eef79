"""Pieces every shop service shares: configuration, errors, logging, events, persistence helpers."""
