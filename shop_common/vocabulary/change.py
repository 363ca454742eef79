"""What an operation did, in one shape for every service. Plain Python."""

from typing import NamedTuple


class Change(NamedTuple):
    """``subject`` as it is now, and whether it ``happened`` just now.

    ``happened`` is False when there was nothing to do: the change was made
    before (a repeated call, a redelivered event) or no longer applies (a
    late event). Only a change that happened publishes its event.
    """

    subject: object
    happened: bool
