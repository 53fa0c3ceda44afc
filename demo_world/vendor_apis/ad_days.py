"""The days an ad platform serves, and the restatements it makes to recent ones.

Shared by the local Google Ads, Meta and LinkedIn APIs. An `AdCalendar` is the platform's "today":
days before it are served, days from it on are not reported yet. It starts at the world's as-of
date and tests move it: `hide_days_after(day)` pretends the world stopped earlier, `advance_days(n)`
lets n more days arrive. A `DailyTable` holds one platform table sorted by day, so a date range is
two binary searches; `restate` rewrites the metrics of the last visible days the way ad platforms
revise recent days (late conversions, refunds for invalid clicks). `AdDaysMixin` gives an API the
public helpers on top of both.
"""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
import pandas as pd

DayLike = dt.date | str


def to_date(value: DayLike) -> dt.date:
    """A date from a date, datetime or 'YYYY-MM-DD' text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class AdCalendar:
    """A platform's "today": the first day it does not serve yet."""

    def __init__(self, first_day: dt.date, end: dt.date):
        self.first_day = first_day
        self.end = end  # the world's as-of date: it holds no data from this day on
        self.today = end

    @property
    def last_visible_day(self) -> dt.date:
        return self.today - dt.timedelta(days=1)

    def hide_days_after(self, day: DayLike) -> None:
        self.today = max(self.first_day, min(to_date(day) + dt.timedelta(days=1), self.end))

    def advance_days(self, days: int = 1) -> dt.date:
        if days < 0:
            raise ValueError("days must not be negative; use hide_days_after to go back")
        self.today = min(self.today + dt.timedelta(days=days), self.end)
        return self.last_visible_day


class DailyTable:
    """One platform table sorted by day; a date range is a slice found by binary search."""

    def __init__(self, frame: pd.DataFrame, date_column: str, calendar: AdCalendar):
        frame = frame.sort_values(date_column, kind="stable").reset_index(drop=True)
        self.frame = frame
        self.date_column = date_column
        self.calendar = calendar
        dates = pd.to_datetime(frame[date_column], format="%Y-%m-%d").to_numpy().astype("datetime64[D]")
        self._ordinals = dates.astype(np.int64) + dt.date(1970, 1, 1).toordinal()

    def span(self, since: DayLike | None = None, until: DayLike | None = None) -> slice:
        """Positions of the visible rows with since <= date <= until (both optional)."""
        low = to_date(since).toordinal() if since is not None else -1
        high = self.calendar.today.toordinal() - 1
        if until is not None:
            high = min(high, to_date(until).toordinal())
        start = int(np.searchsorted(self._ordinals, low, side="left"))
        stop = int(np.searchsorted(self._ordinals, high, side="right"))
        return slice(start, max(start, stop))

    def visible(self, since: DayLike | None = None, until: DayLike | None = None) -> pd.DataFrame:
        return self.frame.iloc[self.span(since, until)]

    def restate(self, days: int, factor: float, quanta: dict[str, float]) -> int:
        """Multiplies the columns of the last `days` visible days by `factor`, rounding each to its
        quantum (1 for counts, 10_000 for micros that stay whole cents, 0.01 for fractions).
        Returns how many rows were rewritten."""
        if days < 1:
            raise ValueError("restate needs at least one day")
        rows = self.span(self.calendar.today - dt.timedelta(days=days))
        for column, quantum in quanta.items():
            position = self.frame.columns.get_loc(column)
            old = self.frame.iloc[rows, position].to_numpy()
            new = np.round(old.astype(np.float64) * factor / quantum) * quantum
            if np.issubdtype(old.dtype, np.integer):
                new = new.round().astype(old.dtype)
            self.frame.iloc[rows, position] = new
        return rows.stop - rows.start


class AdDaysMixin:
    """Visibility and restatement helpers for an API with `calendar`, `daily` and `RESTATED`."""

    calendar: AdCalendar
    daily: DailyTable
    RESTATED: dict[str, float]  # daily column -> rounding quantum
    _lock: threading.Lock

    @property
    def today(self) -> dt.date:
        """The first day not served yet (the world's as-of date until tests move it)."""
        return self.calendar.today

    def hide_days_after(self, day: DayLike) -> None:
        """Days after `day` are not served (not reported yet) until advance_days reveals them."""
        with self._lock:
            self.calendar.hide_days_after(day)

    def advance_days(self, days: int = 1) -> dt.date:
        """Reveals `days` more days (never past the world's end); returns the last served day."""
        with self._lock:
            return self.calendar.advance_days(days)

    def restate(self, days: int, factor: float = 1.1) -> int:
        """Rewrites cost, impressions, clicks and conversions of the last `days` served days by
        `factor`, as platforms restate recent days. Returns the number of daily rows changed."""
        with self._lock:
            return self.daily.restate(days, factor, self.RESTATED)
