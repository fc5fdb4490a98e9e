"""The links of a processing report's page to its exported files (lccu.report.linked): which
are copied, and the page without them (``lccu report --no-files``)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from lccu.report import render_html
from lccu.report.linked import linked_names, not_copied_note, without_file_links

FILE_LINK = re.compile(r'<a href="([^"#][^"]*)"')


def test_linked_names_are_plain_relative_paths_only() -> None:
    """Fragments, schemes, hosts, absolute paths and dot parts are never copied; a quoted
    name is unquoted; each name once."""
    page = (
        '<a href="#summary">s</a><a href="files/vol0/a%20b.png" download>x</a>'
        '<a href="files/vol0/a%20b.png" download>again</a><a href="../outside">o</a>'
        '<a href="/etc/passwd">p</a><a href="https://example.org/x">w</a>'
        '<a href="//host/share">h</a><a href="files//x">e</a><a href="carved/./x">d</a>'
    )
    assert linked_names(page) == ["files/vol0/a b.png"]


def test_page_without_file_links(report: dict[str, Any], out_dir: Path) -> None:
    """Rendered by the real template (with a deleted file whose exported name holds markup):
    every link to a file becomes its text, escaped as it was; the section links stay; the
    note (Dutch, then English) follows the header and names the command."""
    record = copy.deepcopy(report)
    deleted = next(f for f in record["files"] if f["exported"] and not f["allocated"])
    deleted["exported"] = 'files/vol0/<a href="x">evil</a>.png'
    page = render_html(record, out_dir)
    assert FILE_LINK.findall(page)
    note = not_copied_note("EVIDENCE-ID", "RUN-ID", "E1.html")
    shown = without_file_links(page, note)
    assert not FILE_LINK.findall(shown)
    assert 'href="#summary"' in shown
    assert "files/vol0/&lt;a href=&#34;x&#34;&gt;evil&lt;/a&gt;.png" in shown
    assert '<span class="not-copied">carved/00031744.jpg</span>' in shown
    head, _, rest = shown.partition("</header>\n")
    assert rest.startswith(note) and note not in head
    assert note.index('lang="nl"') < note.index('lang="en"')
    assert "lccu report EVIDENCE-ID --run RUN-ID --format html -o MAP/E1.html" in note
