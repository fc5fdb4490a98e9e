"""The HTML page: escaping of evidence-derived text, the path guard, caps and embedding."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from report_pictures import png_bytes

from lccu.report import render_html, summarize

HOSTILE = "<script>alert(1)</script>"


class _Collector(HTMLParser):
    """Collects tags, attributes and text as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Collector:
    parser = _Collector()
    parser.feed(page)
    parser.close()
    return parser


def _deleted(path: str, exported: str | None = None, mime: str = "image/png") -> dict[str, Any]:
    return {
        "volume": 0,
        "path": path,
        "inode": None,
        "size": 10,
        "allocated": False,
        "kind": "file",
        "mtime": None,
        "atime": None,
        "ctime": None,
        "crtime": None,
        "file_name_times": None,
        "timestomp": None,
        "sha256": None,
        "mime": mime,
        "description": None,
        "exported": exported,
    }


def test_hostile_file_name_is_text(report: dict[str, Any], out_dir: Path) -> None:
    """A file, rule and error named <script>... show as text and never become elements."""
    report["files"].append(_deleted(f"/{HOSTILE}.jpg", mime=HOSTILE))
    report["yara"][0]["rule"] = HOSTILE
    report["yara"][0]["meta"] = {HOSTILE: f'"><img src=x onerror=alert(2)>{HOSTILE}'}
    report["errors"].append({"where": HOSTILE, "message": f"</td></tr></table>{HOSTILE}"})
    report["case"]["title"] = HOSTILE
    page = render_html(report, out_dir)
    parsed = _parse(page)
    assert [t for t, _ in parsed.tags if t in {"script", "iframe", "object"}] == []
    assert all("onerror" not in attrs for _, attrs in parsed.tags)
    assert sum(HOSTILE in chunk for chunk in parsed.text) >= 5
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _cells(page: str, section: str, column: int) -> list[str]:
    """The text of one column of a section's table, markup stripped."""
    body = page[page.index(f'<section id="{section}"') :]
    body = body[: body.index("</section>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)[1:]  # skip the header row
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in rows]
    return [re.sub(r"<[^>]+>", "", c[column]) for c in cells]


def test_carved_duplicate_shows_allocated_file(report: dict[str, Any], out_dir: Path) -> None:
    """The carved table names the allocated file a carved item copies as volume:path, inode."""
    report["carved"][2]["duplicate_of"] = {"volume": 0, "path": "/passwords.txt~", "inode": None}
    assert _cells(render_html(report, out_dir), "carved", 6) == [
        "",
        "0:/DCIM/holiday.png, inode 18",
        "0:/passwords.txt~",  # no inode: none shown
    ]


def test_yara_where_column(report: dict[str, Any], out_dir: Path) -> None:
    """YARA hits show the owning or scanned file, "unallocated", or the carved item."""
    report["yara"].append({**report["yara"][3], "file": None})
    assert _cells(render_html(report, out_dir), "yara", 2) == [
        "0:/passwords.txt, inode 15 (file scan)",
        "0:/passwords.txt, inode 15 (image scan)",
        "carved item at 31,744",
        "unallocated (image scan)",
        "no file system read (image scan)",
    ]


def test_hostile_file_reference_is_text(report: dict[str, Any], out_dir: Path) -> None:
    """A hostile path in duplicate_of or yara[].file is escaped and made visible."""
    hostile = f"/{HOSTILE}\u202e.png"
    report["carved"][1]["duplicate_of"]["path"] = hostile
    report["yara"][0]["file"]["path"] = hostile
    report["yara"][1]["file"]["path"] = hostile
    page = render_html(report, out_dir)
    assert "script" not in {t for t, _ in _parse(page).tags}
    assert "\u202e" not in page
    shown = "/&lt;script&gt;alert(1)&lt;/script&gt;\u27e8U+202E\u27e9.png"
    assert page.count(shown) == 3


def test_bidi_and_control_characters_are_shown(report: dict[str, Any], out_dir: Path) -> None:
    """A right-to-left override or newline in a name is made visible, not applied."""
    report["files"].append(_deleted("/invoice\u202egpj.exe"))
    report["files"].append(_deleted("/two\nlines"))
    page = render_html(report, out_dir)
    assert "\u202e" not in page
    assert "/invoice\u27e8U+202E\u27e9gpj.exe" in page
    assert "/two\u27e8U+000A\u27e9lines" in page


def test_page_is_self_contained(report: dict[str, Any], out_dir: Path) -> None:
    """No script, no external URL: every src is a data: URI, every other link an anchor or
    an exported file of the report (relative, inside its folder), and the CSP forbids the
    network."""
    parsed = _parse(render_html(report, out_dir))
    exported = {f["exported"] for f in report["files"] if f.get("exported")} | {
        c["exported"] for c in report["carved"] if c.get("exported")}
    links = 0
    for _, attrs in parsed.tags:
        assert attrs.get("src") is None or str(attrs["src"]).startswith("data:image/")
        value = attrs.get("href")
        if value is not None and not value.startswith("#"):
            assert value in exported and ":" not in value and ".." not in value, value
            links += 1
    assert links > 0
    assert "script" not in {t for t, _ in parsed.tags}
    csp = [a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in (csp[0] or "")


def _images(page: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in _parse(page).tags if tag == "img"]


def test_exported_pictures_are_embedded(report: dict[str, Any], out_dir: Path) -> None:
    """Extracted and carved pictures are embedded byte for byte, deleted ones first."""
    images = _images(render_html(report, out_dir))
    expected = [
        out_dir / "files/vol0/19-IMG_0001.png",
        out_dir / "files/vol0/18-holiday.png",
        out_dir / "carved/00031744.jpg",
    ]
    assert len(images) == 3
    for attrs, path in zip(images, expected, strict=True):
        mime, _, data = (attrs["src"] or "").partition(";base64,")
        assert mime == ("data:image/jpeg" if path.suffix == ".jpg" else "data:image/png")
        assert base64.b64decode(data) == path.read_bytes()
    assert images[0]["alt"] == "Deleted picture: /DCIM/.trash/IMG_0001.png"
    assert images[1]["alt"] == "Picture: /DCIM/holiday.png"
    assert images[2]["alt"] == "Carved picture at offset 31,744"


def test_dotdot_export_path_is_not_followed(report: dict[str, Any], tmp_path: Path) -> None:
    """An exported path with '..' or an absolute path never embeds a file outside DIR."""
    out_dir = tmp_path / "scan-out"
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes(8, 8, (1, 2, 3)))
    report["files"].append(_deleted("/evil1.png", exported="../secret.png"))
    report["files"].append(_deleted("/evil2.png", exported="files/../../secret.png"))
    report["files"].append(_deleted("/evil3.png", exported=str(secret)))
    page = render_html(report, out_dir)
    secret_b64 = base64.b64encode(secret.read_bytes()).decode()
    assert secret_b64 not in page
    assert len(_images(page)) == 3
    assert "3 refused: exported path points outside the output folder." in page


def test_symlink_out_of_dir_is_not_followed(report: dict[str, Any], tmp_path: Path) -> None:
    """A symlink inside DIR that points outside it is refused like a '..' path."""
    out_dir = tmp_path / "scan-out"
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes(8, 8, (1, 2, 3)))
    (out_dir / "files/link.png").symlink_to(secret)
    report["files"].append(_deleted("/link.png", exported="files/link.png"))
    page = render_html(report, out_dir)
    assert base64.b64encode(secret.read_bytes()).decode() not in page
    assert "1 refused" in page


def test_content_not_claimed_type_decides(report: dict[str, Any], out_dir: Path) -> None:
    """A file declared image/png that holds SVG/HTML is not embedded."""
    fake = out_dir / "files/fake.png"
    fake.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    report["files"].append(_deleted("/fake.png", exported="files/fake.png"))
    page = render_html(report, out_dir)
    assert len(_images(page)) == 3
    assert "data:image/svg" not in page
    assert "1 not a JPEG, PNG, GIF or BMP by content." in page


def test_thumbnail_limits(report: dict[str, Any], out_dir: Path) -> None:
    """Pictures beyond the count limit or the size limit are left out with a note."""
    big = out_dir / "files/big.png"
    big.write_bytes(png_bytes(200, 200, (9, 9, 9)) + b"\x00" * 5000)
    report["files"].append(_deleted("/big.png", exported="files/big.png"))
    page = render_html(report, out_dir, max_thumbnails=2, max_thumbnail_bytes=4096)
    assert len(_images(page)) == 2
    assert "Showing 2 of 4 pictures." in page
    assert "1 larger than 4.0 KiB" in page
    assert "1 not shown (limit reached)" in page


def test_tables_are_capped_with_note(report: dict[str, Any], out_dir: Path) -> None:
    """Large tables show only max_rows rows and say how many exist in report.json."""
    already = sum(not f["allocated"] for f in report["files"])
    for i in range(7000):
        report["files"].append(_deleted(f"/unalloc/f{i:05d}.bin", mime="application/octet-stream"))
    report["summary"] = summarize(report)
    page = render_html(report, out_dir)
    deleted_rows = re.findall(r"/unalloc/f\d{5}\.bin", page)
    assert len(deleted_rows) == 5000 - already  # the sample's deleted entries come first
    assert f"Showing the first 5,000 of {7000 + already:,} deleted files; see report.json" in page
    small = render_html(report, out_dir, max_rows=10)
    assert "Showing the first 10 of 3 carved files" not in small
    assert f"Showing the first 10 of {7000 + already:,} deleted files" in small


def test_mime_chart_counts_regular_files(report: dict[str, Any], out_dir: Path) -> None:
    """The SVG chart has one bar per MIME type with the count of regular files."""
    page = render_html(report, out_dir)
    bars = dict(re.findall(r"<rect [^>]*><title>([^<]+): (\d+)</title>", page))
    assert bars == {
        "application/pdf": "4",
        "text/plain": "2",
        "image/png": "2",
        "(unknown)": "2",
        "text/csv": "1",
        "application/x-empty": "1",
    }


def test_empty_report_renders(report: dict[str, Any], out_dir: Path) -> None:
    """A scan that found nothing still gives a readable page saying so."""
    for key in ("volumes", "files", "carved", "yara", "errors"):
        report[key] = []
    report["case"] = None
    report["evidence"] = None
    report["summary"] = summarize(report)
    page = render_html(report, out_dir)
    for phrase in (
        "No deleted files found.",
        "No carved files.",
        "No YARA hits.",
        "No errors recorded.",
        "No exported pictures to show.",
    ):
        assert phrase in page


def test_error_message_newlines_kept_but_names_marked(
    report: dict[str, Any], out_dir: Path
) -> None:
    """Our multi-line error messages keep their line breaks; the 'where' field does not."""
    report["errors"] = [{"where": "vol\n1", "message": "first line\nsecond line"}]
    report["summary"] = summarize(report)
    page = render_html(report, out_dir)
    assert "first line\nsecond line" in page
    assert "vol\u27e8U+000A\u27e91" in page


def test_rule_file_cut_per_rule_names_both_engines(report: dict[str, Any], out_dir: Path) -> None:
    """A rule file cut per rule is listed with its engine and, beside it, libyara with its
    version and the rules that ran there."""
    report["yara_rules"] = {
        "identity": "a" * 64,
        "files": [
            {
                "namespace": "zone_cut",
                "path": "/rules/zone_cut.yar",
                "sha256": "b" * 64,
                "engine": "yara-x",
                "engine_version": "1.23.0",
                "reason": "YARA-X hits differ from libyara's on generated data for 1 rule(s)",
                "differing_rules": ["xor_word"],
                "split": {"engine": "libyara", "engine_version": "4.5.4", "rules": ["xor_word"]},
            }
        ],
        "skipped": [],
    }
    text = " ".join(" ".join(_parse(render_html(report, out_dir)).text).split())
    assert "yara-x 1.23.0; libyara 4.5.4 for xor_word" in text
