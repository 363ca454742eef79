"""Timezone-aware UTC time, the only kind of time the shop uses."""

from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
