"""Calendar months in the cooperative's time zone (RULES §5: "Months run in the cooperative's
time zone"). A month is the date of its first day; its bounds are aware datetimes."""

from datetime import date, datetime, timedelta

from django.utils import timezone


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def last_day(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the month as aware datetimes in the cooperative's time zone."""
    zone = timezone.get_default_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    following = add_months(month, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=zone)


def current_month(now: datetime | None = None) -> date:
    return month_of(timezone.localdate(now or timezone.now()))


def parse(text: str) -> date:
    """"YYYY-MM" -> the month; ValueError for anything else."""
    if not isinstance(text, str) or len(text) != 7 or text[4] != "-":
        raise ValueError("A month is written YYYY-MM.")
    year, month = text.split("-")
    if not (year.isdigit() and month.isdigit()):
        raise ValueError("A month is written YYYY-MM.")
    return date(int(year), int(month), 1)


def label(month: date) -> str:
    return f"{month:%Y-%m}"


def between(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months
