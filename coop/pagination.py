"""Pagination of the browser pages (the API has coop/api_pagination.py)."""

from dataclasses import dataclass

MAX_PAGE = 100_000


@dataclass
class CountlessPage:
    """A page of results without COUNT(*): counting 100,000 members on every request cost more
    than the page itself, so we fetch one row more than the page to know if there is a next."""

    object_list: list
    number: int
    has_next: bool

    @classmethod
    def of(cls, queryset, number, size: int) -> "CountlessPage":
        try:
            number = min(max(1, int(number)), MAX_PAGE)
        except (TypeError, ValueError):
            number = 1
        offset = (number - 1) * size
        rows = list(queryset[offset:offset + size + 1])
        return cls(object_list=rows[:size], number=number, has_next=len(rows) > size)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1
