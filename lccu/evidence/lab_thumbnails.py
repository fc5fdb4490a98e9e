"""The thumbnails processing stored (issue 20), for the gallery: ``lab.stored_thumbnail``.

A run's thumbnails stage (:mod:`lccu.tasks.thumbnails`) stored a PNG (or a note saying why
there is none) per picture and video, named by the SHA-256 of the file's content, in the
derived store. Serving one reads that small file only, never the evidence. Runs processed
before the stage existed have none: the caller then makes one on request.
"""

from __future__ import annotations

from dataclasses import dataclass

from lccu.errors import NotFound
from lccu.evidence.file_index import FileInfo
from lccu.evidence.lab_files import LabFiles

#: the largest stored thumbnail read back (a PNG of 256x256 RGBA is far smaller)
MAX_STORED = 1024 * 1024


@dataclass(frozen=True)
class StoredThumbnail:
    """A file's stored thumbnail (``png``), or why it has none (``note``)."""

    file: FileInfo
    png: bytes | None
    note: str | None


class LabThumbnails(LabFiles):
    """``lab.stored_thumbnail``."""

    def stored_thumbnail(self, evidence: str, file_id: int) -> StoredThumbnail | None:
        """The thumbnail the file's run stored, or the note why it has none; None when the
        run has no thumbnails stage (processed before it existed): nothing is audited
        then, and the caller makes one on request (deciding and auditing that itself).
        Audited once as ``file.read`` (purpose ``thumbnail``, ``stored``)."""
        from lccu.evidence.fair_queue import stage_results
        from lccu.storage import open_store

        with self.db.session() as session:
            case, item, row = self._file_row(session, evidence, file_id, "file.read")
            stage = stage_results(session, row.run_id).get("thumbnails")
            if not stage:
                return None
            info = self._with_tags(session, [row])[0]
            self._allow(
                "file.read",
                case=case,
                object_type="evidence",
                object_id=item.id,
                detail={
                    "file": row.id,
                    "path": row.path,
                    "run": row.run_id,
                    "sha256": row.sha256,
                    "purpose": "thumbnail",
                    "stored": True,
                },
            )
            done = stage[0].result_key if stage[0].state == "done" else None
        if done is None:
            return StoredThumbnail(
                info, None, "not thumbnailed: the run's thumbnails stage did not finish"
            )
        if not info.sha256:
            return StoredThumbnail(info, None, "not thumbnailed: the run read no content")
        folder = done.rsplit("/", 1)[0]  # <evidence id>/<stage dir>
        store = open_store(self.settings)
        try:
            try:
                with store.open_derived(f"{folder}/thumbs/{info.sha256}.png") as fh:
                    return StoredThumbnail(info, fh.read(MAX_STORED), None)
            except NotFound:
                pass
            try:
                with store.open_derived(f"{folder}/thumbs/{info.sha256}.txt") as fh:
                    note = fh.read(2000).decode("utf-8", "replace")
            except NotFound:
                note = "not thumbnailed: not a picture or a video"
            return StoredThumbnail(info, None, note)
        finally:
            store.close()
