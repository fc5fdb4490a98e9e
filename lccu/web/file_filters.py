"""The file table's filters beyond the yes/no ones (issue 20): one YARA rule, notable or
known files (hash sets), a size range and a date range of the modification time.

One dependency serves the item's table and the case's, so both take the same parameters.
A form sends empty fields as empty strings, so the numbers and dates arrive as text and
are checked here; a date range is whole days in UTC (``until`` included).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query

from lccu.errors import InvalidInput
from lccu.evidence.lab_files import FileFilter

_SIZE = r"^\d{0,15}$"
_DATE = r"^(|\d{4}-\d{2}-\d{2})$"


def _day(name: str, text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    except ValueError:
        raise InvalidInput(f"{name} must be a date (YYYY-MM-DD)") from None


class MoreFilters:
    """``rule``, ``kind``, ``min_size``, ``max_size``, ``since``, ``until`` of the table."""

    def __init__(
        self,
        rule: Annotated[str, Query(max_length=200)] = "",
        kind: Annotated[str, Query(pattern="^(|notable|known)$")] = "",
        min_size: Annotated[str, Query(pattern=_SIZE)] = "",
        max_size: Annotated[str, Query(pattern=_SIZE)] = "",
        since: Annotated[str, Query(pattern=_DATE)] = "",
        until: Annotated[str, Query(pattern=_DATE)] = "",
    ) -> None:
        self.rule, self.kind = rule.strip(), kind
        self.min_size, self.max_size = min_size, max_size
        self.since, self.until = since, until

    def applied(self, filt: FileFilter) -> FileFilter:
        """``filt`` with these filters added (:class:`InvalidInput` for an impossible date)."""
        start, last = _day("since", self.since), _day("until", self.until)
        end = last + timedelta(days=1) if last else None
        return replace(
            filt,
            yara_rule=self.rule or None,
            hashset_kind=self.kind or None,
            min_size=int(self.min_size) if self.min_size else None,
            max_size=int(self.max_size) if self.max_size else None,
            modified_between=(start, end) if start or end else None,
        )

    def shown(self) -> dict[str, Any]:
        """The values as the form shows them again (and as the pager's query keeps them)."""
        return {"rule": self.rule, "kind": self.kind, "min_size": self.min_size,
                "max_size": self.max_size, "since": self.since, "until": self.until}  # fmt: skip
