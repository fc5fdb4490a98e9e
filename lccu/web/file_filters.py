"""The file table's query parameters (issue 20), one dependency for the item's table and
the case's: type, the yes/no filters, origin, path text, one YARA rule, notable or known
files (hash sets), a size range, a date range of the modification time, and the sort.

A form sends empty fields as empty strings, so the numbers and dates arrive as text and
are checked here; a date range is whole days in UTC (``until`` included).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query

from lccu.errors import InvalidInput
from lccu.evidence.lab_files import SORTS, FileFilter

Choice = Annotated[str, Query(pattern="^(|yes|no)$")]
Source = Annotated[str, Query(pattern="^(|file|carved|member)$")]
Sort = Annotated[str, Query(pattern="^(" + "|".join(SORTS) + ")$")]
_SIZE = r"^\d{0,15}$"
_DATE = r"^(|\d{4}-\d{2}-\d{2})$"


def _choice(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def yes_no_filter(mime: str, deleted: str, tagged: str, hits: str, q: str,
                  source: str, mismatch: str = "") -> FileFilter:  # fmt: skip
    """The filter of the table's simple fields (yes/no, type, origin, path text)."""
    return FileFilter(deleted=_choice(deleted), tagged=_choice(tagged), hits=_choice(hits),
                      mime=mime or None, name=q or None, source=source or None,
                      ext_mismatch=_choice(mismatch))  # fmt: skip


def link_query(**given: Any) -> dict[str, Any]:
    """The parameters a page's links keep: the empty ones left out."""
    return {k: v for k, v in given.items() if v not in ("", None, False)}


def _day(name: str, text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    except ValueError:
        raise InvalidInput(
            f"{name} must be a date (YYYY-MM-DD)", key="not_a_date", params={"text": text[:40]}
        ) from None


class TableFilters:
    """Every filter of the file table and its sort, as the URL gives them."""

    def __init__(
        self,
        mime: Annotated[str, Query(max_length=100)] = "",
        deleted: Choice = "",
        tagged: Choice = "",
        hits: Choice = "",
        mismatch: Choice = "",
        q: Annotated[str, Query(max_length=200)] = "",
        source: Source = "",
        rule: Annotated[str, Query(max_length=200)] = "",
        kind: Annotated[str, Query(pattern="^(|notable|known)$")] = "",
        min_size: Annotated[str, Query(pattern=_SIZE)] = "",
        max_size: Annotated[str, Query(pattern=_SIZE)] = "",
        since: Annotated[str, Query(pattern=_DATE)] = "",
        until: Annotated[str, Query(pattern=_DATE)] = "",
        sort: Sort = "path",
        desc: bool = False,
    ) -> None:
        self.mime, self.deleted, self.tagged, self.hits = mime, deleted, tagged, hits
        self.mismatch, self.q, self.source = mismatch, q.strip(), source
        self.rule, self.kind = rule.strip(), kind
        self.min_size, self.max_size = min_size, max_size
        self.since, self.until = since, until
        self.sort, self.desc = sort, desc

    def file_filter(self) -> FileFilter:
        """What the library filters on (:class:`InvalidInput` for an impossible date)."""
        start, last = _day("since", self.since), _day("until", self.until)
        end = last + timedelta(days=1) if last else None
        simple = yes_no_filter(self.mime, self.deleted, self.tagged, self.hits, self.q,
                               self.source, self.mismatch)  # fmt: skip
        return replace(
            simple,
            yara_rule=self.rule or None,
            hashset_kind=self.kind or None,
            min_size=int(self.min_size) if self.min_size else None,
            max_size=int(self.max_size) if self.max_size else None,
            modified_between=(start, end) if start or end else None,
        )

    def shown(self) -> dict[str, Any]:
        """The values as the form shows them again."""
        return dict(vars(self))

    def query(self) -> dict[str, Any]:
        """The values the pager's links keep (empty ones and the default sort left out)."""
        return link_query(**{**self.shown(), "sort": self.sort if self.sort != "path" else ""})


class ApiFilters:
    """The REST API's file filters (the item's and the case's list): the library's
    :class:`FileFilter` as typed query parameters, every filter of the web table among
    them (the hash set kind, a size range, a modification time range)."""

    def __init__(
        self,
        mime: Annotated[str | None, Query(max_length=100)] = None,
        deleted: bool | None = None,
        tagged: bool | None = None,
        hits: bool | None = None,
        ext_mismatch: bool | None = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        ext: Annotated[str | None, Query(max_length=40)] = None,
        sha256: Annotated[str | None, Query(max_length=64)] = None,
        md5: Annotated[str | None, Query(max_length=32)] = None,
        yara_rule: Annotated[str | None, Query(max_length=200)] = None,
        source: Annotated[str | None, Query(pattern="^(file|carved|member)$")] = None,
        hashset_kind: Annotated[str | None, Query(pattern="^(notable|known)$")] = None,
        min_size: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
        max_size: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
        modified_since: datetime | None = None,
        modified_before: datetime | None = None,
    ) -> None:
        between = (modified_since, modified_before)
        self.filter = FileFilter(
            mime=mime, deleted=deleted, tagged=tagged, hits=hits, ext_mismatch=ext_mismatch,
            name=q, ext=ext, sha256=sha256, md5=md5, yara_rule=yara_rule, source=source,
            hashset_kind=hashset_kind, min_size=min_size, max_size=max_size,
            modified_between=between if any(b is not None for b in between) else None,
        )  # fmt: skip
