"""Dates as reports give them: a year, a month, a day or an interval, never more precise."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

# Used with fullmatch: a `$` would also accept a final line break ("2022-03-02\n").
_PART = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_SLASHED = re.compile(r"[0-9]{1,2}[/.][0-9]{1,2}[/.][0-9]{2,4}")  # 03/02/2022, 2.3.22
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


class DateError(ValueError):
    """A date an editor wrote that is not a real calendar date or interval."""


@dataclass(frozen=True)
class PartialDate:
    """A date at the precision it was reported: `2022`, `2022-03`, `2022-03-02` or `a/b`."""

    text: str
    start: date
    end: date
    precision: str  # year, month, day, interval

    def label(self) -> str:
        """Human form at the reported precision: "March 2022", never "1 March 2022"."""
        if self.precision != "interval":
            return _label(self.text)
        first, last = self.text.split("/")
        return f"{_label(first)} – {_label(last)}"


def _label(text: str) -> str:
    parts = text.split("-")
    if len(parts) == 1:
        return parts[0]
    month = MONTHS[int(parts[1]) - 1]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    return f"{int(parts[2])} {month} {parts[0]}"


def _bounds(text: str) -> tuple[date, date, str]:
    match = _PART.fullmatch(text)
    if not match:
        raise DateError(f"'{text}' is not a date; write YYYY, YYYY-MM, YYYY-MM-DD "
                        "or an interval START/END")
    year_s, month_s, day_s = match.groups()
    year = int(year_s)
    if year < 1:
        raise DateError(f"'{text}': year 0000 does not exist")
    if month_s is None:
        return date(year, 1, 1), date(year, 12, 31), "year"
    month = int(month_s)
    if not 1 <= month <= 12:
        raise DateError(f"'{text}': month {month_s} does not exist")
    last = calendar.monthrange(year, month)[1]
    if day_s is None:
        return date(year, month, 1), date(year, month, last), "month"
    day = int(day_s)
    if not 1 <= day <= last:
        raise DateError(f"'{text}': {MONTHS[month - 1]} {year} has {last} days")
    return date(year, month, day), date(year, month, day), "day"


def parse_date(value: str | int) -> PartialDate:
    """Parse a reported date; raise DateError with a message an editor can act on."""
    text = str(value).strip() if isinstance(value, int) else value
    if not isinstance(text, str):
        raise DateError("a date is text such as 2022-03-02")
    if _SLASHED.fullmatch(text):
        raise DateError(f"'{text}' is not a date in the form YYYY-MM-DD; write it as "
                        "year-month-day (e.g. 2022-03-02), since 03/02 means March or "
                        "February depending on the country")
    if "/" in text:
        first, _, last = text.partition("/")
        try:
            start, _, _ = _bounds(first)
            _, end, _ = _bounds(last)
        except DateError as error:
            raise DateError(f"in the interval '{text}': {error}") from None
        if start > end:
            raise DateError(f"interval '{text}' ends before it starts; write START/END")
        return PartialDate(text, start, end, "interval")
    start, end, precision = _bounds(text)
    return PartialDate(text, start, end, precision)
