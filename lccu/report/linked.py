"""The exported files a stored processing report (HTML) links, and the page without them.

A run's ``report-<run>.html`` sits in the derived store beside the files it exported, and
links them by relative paths (``<stage>/files/...``). ``lccu report EVIDENCE --format html``
copies the page out of lccu, and with it those files (:func:`plan_copy`,
:func:`copy_files`) unless asked not to; then :func:`without_file_links` turns each link
into plain text and says on the page, in Dutch and English, that the files were not copied
and how to get them, so that no link dangles.

The page is lccu's own template output, autoescaped: evidence-derived text in it holds no
``<``, so a link element is always markup the template wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from markupsafe import escape

from lccu.errors import LccuError

#: an ``href`` that is not a fragment (``#summary``): the page's links to its files
_HREF = re.compile(r'href="([^"#][^"]*)"')
#: a whole link to something other than a fragment, and its text
_LINK = re.compile(r'<a href="[^"#][^"]*"[^>]*>([^<]*)</a>')
_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class PlannedFile:
    """One exported file to copy: its name relative to the page, its store key, size."""

    name: str
    key: str
    size: int


def linked_names(page: str) -> list[str]:
    """The relative paths (URL-unquoted) of the files ``page`` links, each once, in order.
    A link that is not a plain relative path inside the page's folder (a scheme, a host,
    an absolute path, an empty, ``.`` or ``..`` part) is left out."""
    names: list[str] = []
    for href in dict.fromkeys(_HREF.findall(page)):
        parts = urlsplit(href)
        name = unquote(parts.path)
        if parts.scheme or parts.netloc or not name or name.startswith(("/", "\\")):
            continue
        if any(part in ("", ".", "..") for part in name.split("/")):
            continue
        names.append(name)
    return names


def plan_copy(store: Any, key: str, page: str, folder: Path) -> list[PlannedFile]:
    """The files of ``page`` (stored under ``key``) to copy into ``folder``: each linked
    name that resolves inside ``folder``, is not there yet, and that the store holds
    (a link the store lacks stays broken, as it is in the store), with its size."""
    base = key.rpartition("/")[0]
    folder = folder.resolve()
    planned: list[PlannedFile] = []
    for name in linked_names(page):
        target = (folder / name).resolve()
        if not target.is_relative_to(folder) or target.exists():
            continue
        stored = f"{base}/{name}" if base else name
        try:
            with store.open_derived(stored) as fh:
                size = int(fh.size)
        except (LccuError, OSError):
            continue
        planned.append(PlannedFile(name, stored, size))
    return planned


def copy_files(store: Any, planned: Sequence[PlannedFile], folder: Path) -> tuple[int, int]:
    """Copy ``planned`` files from the store into ``folder`` (same relative paths); returns
    how many files and bytes were written. One that fails leaves no half copy behind."""
    folder = folder.resolve()
    files = written = 0
    for item in planned:
        target = (folder / item.name).resolve()
        if not target.is_relative_to(folder) or target.exists():
            continue  # checked again: the folder may have changed since the plan
        size = 0
        try:
            with store.open_derived(item.key) as fh:
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("xb") as out:
                    while chunk := fh.read(_CHUNK):
                        out.write(chunk)
                        size += len(chunk)
        except (LccuError, OSError):
            target.unlink(missing_ok=True)
            continue
        files += 1
        written += size
    return files, written


def not_copied_note(evidence: str, run: str, page_name: str) -> str:
    """The page's note (Dutch, then English) that its files were not copied, naming the
    command that writes the page with them."""
    command = f"lccu report {evidence} --run {run} --format html -o MAP/{page_name}"
    command_en = f"lccu report {evidence} --run {run} --format html -o DIR/{page_name}"
    return (
        '<div class="note" role="note" id="files-not-copied">'
        f'<p lang="nl"><strong>Bestanden niet meegekopieerd.</strong> De geëxporteerde '
        "bestanden waarnaar dit rapport verwijst, zijn bij het wegschrijven niet mee "
        "gekopieerd (<code>--no-files</code>): hun paden staan hieronder als tekst, niet als "
        "koppeling. Ze blijven in de opslag van lccu. Haal ze op met "
        f"<code>{escape(command)}</code> (zonder <code>--no-files</code>; de bestanden komen "
        "naast het rapport), of download één bestand op zijn pagina in de webtoepassing.</p>"
        f'<p lang="en"><strong>Files not copied.</strong> The exported files this report '
        "names were not copied when it was written (<code>--no-files</code>): their paths "
        "below are text, not links. They stay in lccu's store. Get them with "
        f"<code>{escape(command_en)}</code> (without <code>--no-files</code>; the files are "
        "written beside the report), or download one file from its page in the web app.</p>"
        "</div>\n"
    )


def without_file_links(page: str, note: str) -> str:
    """``page`` with every link to a file (not to a fragment of the page) as its plain
    text, and ``note`` right after the page's header (else at the start of its body)."""
    unlinked = _LINK.sub(lambda m: f'<span class="not-copied">{m.group(1)}</span>', page)
    for anchor in ("</header>\n", "</header>", "<body>\n", "<body>"):
        at = unlinked.find(anchor)
        if at >= 0:
            at += len(anchor)
            return unlinked[:at] + note + unlinked[at:]
    return note + unlinked
