"""The one place that reads "today", so which openings are open is decided once per build.

Reproducible builds set ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC); everyone else gets the
current UTC date.
"""

from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    """Return today's UTC date, or the date of ``SOURCE_DATE_EPOCH`` when it is set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
        except (ValueError, OverflowError, OSError) as error:
            raise ValueError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970"
            ) from error
    return dt.datetime.now(tz=dt.UTC).date()
