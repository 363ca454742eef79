"""Timezone-aware UTC time, the only kind of time the shop uses."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
