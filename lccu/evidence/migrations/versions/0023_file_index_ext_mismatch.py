"""The file browser's "extension mismatch" filter as a stored, indexed column (issue 20):
the condition (the sniffed MIME type against what the extension promises, an ``OR`` over
every known extension) could use no index, so an item where few files mismatch read every
row of its run to fill a page and count: 10,330 ms a page with 1,000,000 files and 5
mismatches in bench/files.py (load 10-12). The rows already indexed are filled in here
from the rule as it was written when this migration was (:data:`EXPECTED`, a frozen copy
of ``lccu/evidence/file_types.py``); rows indexed later get the value from that module.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_EXE = ("application/x-dosexec", "application/vnd.microsoft.portable-executable",
        "application/x-msdownload")
_OOXML = "application/vnd.openxmlformats-officedocument."
_OLE = ("application/msword", "application/vnd.ms-", "application/cdfv2",
        "application/x-ole-storage")
EXPECTED: dict[str, tuple[str, ...]] = {
    "jpg": ("image/jpeg",), "jpeg": ("image/jpeg",), "png": ("image/png",),
    "gif": ("image/gif",), "bmp": ("image/bmp", "image/x-ms-bmp"), "tif": ("image/tiff",),
    "tiff": ("image/tiff",), "webp": ("image/webp",), "heic": ("image/heic", "image/heif"),
    "pdf": ("application/pdf",), "zip": ("application/zip",),
    "gz": ("application/gzip", "application/x-gzip"), "7z": ("application/x-7z-compressed",),
    "rar": ("application/x-rar", "application/vnd.rar", "application/x-rar-compressed"),
    "mp3": ("audio/mpeg",), "wav": ("audio/x-wav", "audio/wav"), "mp4": ("video/mp4",),
    "avi": ("video/x-msvideo",), "mov": ("video/quicktime",), "exe": _EXE, "dll": _EXE,
    "txt": ("text/",), "csv": ("text/", "application/csv"), "log": ("text/",),
    "html": ("text/html",), "htm": ("text/html",),
    "docx": (_OOXML, "application/zip"), "xlsx": (_OOXML, "application/zip"),
    "pptx": (_OOXML, "application/zip"), "doc": _OLE, "xls": _OLE, "ppt": _OLE,
}
UNINFORMATIVE = ("application/x-empty", "inode/x-empty")
INDEX = "ix_file_index_run_ext_mismatch"


def _mismatch(table: sa.TableClause) -> sa.ColumnElement[bool]:
    mime = sa.func.lower(table.c.mime)

    def agrees(accepted: tuple[str, ...]) -> sa.ColumnElement[bool]:
        return sa.or_(*(mime.startswith(a, autoescape=True) if a.endswith(("/", ".", "-"))
                        else mime == a for a in accepted))

    disagrees = sa.or_(*(sa.and_(table.c.ext == ext, sa.not_(agrees(accepted)))
                         for ext, accepted in EXPECTED.items()))
    told = sa.and_(table.c.mime.is_not(None), table.c.ext.is_not(None),
                   table.c.mime.not_in(UNINFORMATIVE))
    return sa.and_(told, disagrees)


def upgrade() -> None:
    with op.batch_alter_table("file_index") as batch:
        batch.add_column(sa.Column("ext_mismatch", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    table = sa.table("file_index", sa.column("ext"), sa.column("mime"),
                     sa.column("ext_mismatch", sa.Boolean()))
    op.execute(table.update().where(_mismatch(table)).values(ext_mismatch=sa.true()))
    op.create_index(INDEX, "file_index", ["run_id", "ext_mismatch"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="file_index")
    with op.batch_alter_table("file_index") as batch:
        batch.drop_column("ext_mismatch")
