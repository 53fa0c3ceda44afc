"""Date windows with a lookback for daily ad reports.

Ad platforms restate recent days (late conversions, invalid-click refunds), so each run asks
again for the last `lookback_days` already loaded; rows are merged on (campaign, date), so a
restated day replaces the old values instead of adding a row. The last day loaded is kept in the
resource's dlt state, which dlt commits only with a successful load.
"""

from datetime import date, timedelta

import dlt

LAST_DAY_KEY = "last_day_loaded"


def report_window(initial_start: date, lookback_days: int, today: date | None = None) -> tuple[date, date]:
    """The first and last day (inclusive) to request in this run."""
    last = dlt.current.resource_state().get(LAST_DAY_KEY)
    start = initial_start if last is None else date.fromisoformat(last) - timedelta(days=lookback_days - 1)
    end = (today or date.today()) - timedelta(days=1)  # today's numbers are still moving
    return max(start, initial_start), end


def remember_last_day(day: date) -> None:
    dlt.current.resource_state()[LAST_DAY_KEY] = day.isoformat()


def days(start: date, end: date):
    current = start
    while current <= end:
        yield current
        current += timedelta(days=1)
