"""The thumbnails stage: once per item, after the files, carve and archives stages, a small
PNG of every picture and a key frame of every video the run exported, stored in the
derived store beside the run's other results (never in the evidence store).

The stage reads the exported copies from the derived store, not the evidence: the gallery
then serves what is stored here without reading the evidence again. Thumbnails are named by
the SHA-256 of their source's content (``<stage dir>/thumbs/<sha256>.png``), which the file
index holds for every file: the gallery finds a file's thumbnail without reading this
result. A source that gets none (a decompression bomb, a damaged picture, a video without
ffmpeg) gets ``<sha256>.txt`` with the reason instead. The result lists each thumbnail and
note with its sources (file: volume, path, inode; carved: offset; member: id), the link
back to the files it shows.
"""

from __future__ import annotations

import io
import mimetypes
from typing import TYPE_CHECKING, Any

from lccu.errors import LccuError
from lccu.thumbnail import ThumbnailError, ffmpeg_version, thumbnail_png, video_stream_png
from lccu.thumbnail.picture import MAX_FILE_BYTES

if TYPE_CHECKING:
    from lccu.tasks.stages import StageContext

#: the largest video copied to a temporary file for ffmpeg (bytes)
MAX_VIDEO_BYTES = 4 * 1024**3
CHUNK = 1024 * 1024


def thumbnail_name(sha256: str, note: bool = False) -> str:
    """Where a source's thumbnail (or its note) is, below the stage's folder."""
    return f"thumbs/{sha256}.{'txt' if note else 'png'}"


def _kind(mime: Any) -> str | None:
    text = str(mime or "").lower()
    return (
        "picture" if text.startswith("image/") else "video" if text.startswith("video/") else None
    )


def candidates(inputs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The exported pictures and videos of a run's stage results by SHA-256 (one thumbnail
    per content), each with its kind, size, exported copy and every source it is."""
    found: dict[str, dict[str, Any]] = {}

    def add(entry: dict[str, Any], mime: Any, source: dict[str, Any]) -> None:
        kind, sha256, exported = _kind(mime), entry.get("sha256"), entry.get("exported")
        if kind is None or not isinstance(sha256, str) or not exported:
            return
        item = found.setdefault(
            sha256,
            {"kind": kind, "size": entry.get("size"), "exported": str(exported), "sources": []},
        )
        item["sources"].append(source)

    for result in inputs.get("files", []):
        for f in result.get("files") or []:
            add(
                f,
                f.get("mime"),
                {
                    "source": "file",
                    "volume": f.get("volume"),
                    "path": f.get("path"),
                    "inode": f.get("inode"),
                },
            )
    for result in inputs.get("carve", []):
        for c in result.get("carved") or []:
            mime = mimetypes.guess_type(f"x.{c.get('type')}")[0]
            add(
                {**c, "size": c.get("length")},
                mime,
                {"source": "carved", "offset": c.get("offset")},
            )
    for result in inputs.get("archives", []):
        for m in result.get("members") or []:
            add(
                m,
                m.get("mime"),
                {"source": "member", "id": m.get("id"), "provenance": m.get("provenance")},
            )
    return found


def _picture(ctx: StageContext, key: str, size: Any) -> bytes:
    if isinstance(size, int) and size > MAX_FILE_BYTES:  # not even opened
        raise ThumbnailError(
            f"the picture is {size} bytes, over {MAX_FILE_BYTES}: "
            "no thumbnail; download it to view it"
        )
    with ctx.store.open_derived(key) as raw:
        return thumbnail_png(io.BufferedReader(raw, CHUNK), size if isinstance(size, int) else None)


def _video(ctx: StageContext, key: str, size: Any) -> bytes:
    if ffmpeg_version() is None:
        raise ThumbnailError(
            "ffmpeg is not installed: videos get no thumbnail (install ffmpeg on the workers)"
        )
    if isinstance(size, int) and size > MAX_VIDEO_BYTES:
        raise ThumbnailError(f"the video is {size} bytes, over {MAX_VIDEO_BYTES}: no thumbnail")
    with ctx.store.open_derived(key) as raw:
        return video_stream_png(raw, limit=MAX_VIDEO_BYTES)


def run_thumbnails(ctx: StageContext) -> dict[str, Any]:
    """Thumbnail every exported picture and video of the run; never fails on one file."""
    found = candidates(ctx.inputs)
    thumbnails: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for sha256, item in sorted(found.items()):
        source_key = f"{ctx.evidence_id}/{item['exported']}"
        make = _picture if item["kind"] == "picture" else _video
        try:
            png = make(ctx, source_key, item["size"])
        except ThumbnailError as exc:
            why = f"not thumbnailed: {exc}"
        except (LccuError, OSError) as exc:  # the exported copy cannot be read
            why = f"not thumbnailed: the exported copy cannot be read: {exc}"
        else:
            name = f"{ctx.stage_dir}/{thumbnail_name(sha256)}"
            ctx.store.put_derived(f"{ctx.evidence_id}/{name}", io.BytesIO(png))
            thumbnails.append(
                {
                    "sha256": sha256,
                    "kind": item["kind"],
                    "thumbnail": name,
                    "bytes": len(png),
                    "sources": item["sources"],
                }
            )
            ctx.tick(1, len(found))
            continue
        name = f"{ctx.stage_dir}/{thumbnail_name(sha256, note=True)}"
        ctx.store.put_derived(f"{ctx.evidence_id}/{name}", io.BytesIO(why.encode()))
        notes.append(
            {
                "sha256": sha256,
                "kind": item["kind"],
                "note": why,
                "file": name,
                "sources": item["sources"],
            }
        )
        ctx.tick(1, len(found))
    if not found:
        ctx.tick(1, 1)
    return {
        "thumbnails": thumbnails,
        "notes": notes,
        "folder": f"{ctx.stage_dir}/thumbs",
        "ffmpeg": ffmpeg_version(),
        "errors": [],
    }
