"""Build archives and documents with known members, for tests, demos and benchmarks.

Each archive is made by an independent tool where one exists (Info-ZIP ``zip``, 7-Zip's
``7zz``, ``gcab``, ``xorriso``, Python's :mod:`zipfile`/:mod:`tarfile`, pikepdf), from
seeded payloads, and listed in a manifest with the SHA-256 of every member put in: the
oracle the expansion tests compare with. RAR cannot be made with free tools; the RAR
samples are small files from libarchive's test suite (``tests/data/ORIGIN.md``).
"""

from __future__ import annotations

import hashlib
import io
import random
import shutil
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lccu.errors import ConfigError
from lccu.testing import samples

CASE_PASSWORD = "s3cret-case"  # supplied for the case in the tests
OTHER_PASSWORD = "not-on-the-list"  # used for an archive the case list cannot open
RAR_SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "data"


@dataclass
class BuiltArchive:
    """One archive written into the folder, and what is inside it."""

    name: str  # file name in the folder (its extension may lie)
    format: str  # what lccu must detect it as
    #: member path inside the archive, nested ones joined with `` -> ``, to its SHA-256
    members: dict[str, str] = field(default_factory=dict)
    password: str | None = None
    encrypted: bool = False
    #: dictionary-free facts for the test: ``time_kind`` of its members, ``hostile`` ...
    notes: dict[str, str] = field(default_factory=dict)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tool(*args: str, cwd: Path) -> None:
    if shutil.which(args[0]) is None:
        raise ConfigError(f"{args[0]} is not installed; scripts/install.sh installs it")
    subprocess.run(list(args), cwd=cwd, check=True, capture_output=True, timeout=300)


def _payloads(seed: int) -> dict[str, bytes]:
    rng = random.Random(seed)
    return {
        "photo.jpg": samples.jpeg(rng, 20_000),
        "picture.png": samples.png(rng),
        "notes.txt": b"meeting at the harbour, bring the keys\n" * 40,
    }


def _zipfile(path: Path, items: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in items.items():
            archive.writestr(name, data)


def _tar(path: Path, mode: str, items: dict[str, bytes]) -> None:
    with tarfile.open(path, mode) as archive:  # type: ignore[call-overload]
        for name, data in items.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            archive.addfile(info, io.BytesIO(data))


def docx(picture: bytes) -> bytes:
    """A minimal Word document whose body shows one embedded PNG (word/media/image1.png)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="png" ContentType="image/png"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'))
        archive.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.'
                         'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
                         '<w:t>see picture</w:t></w:r></w:p></w:body></w:document>')
        archive.writestr("word/_rels/document.xml.rels", (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId5" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/image" '
            'Target="media/image1.png"/></Relationships>'))
        archive.writestr("word/media/image1.png", picture)
    return buf.getvalue()


def pdf_with_image(jpeg: bytes, attachment: bytes, attachment_name: str) -> bytes:
    """A one-page PDF drawing ``jpeg`` (a /DCTDecode image stream) with a file attached."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    image = pikepdf.Stream(pdf, jpeg)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = 64, 64, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.DCTDecode
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pikepdf.Stream(pdf, b"q 100 0 0 100 50 50 cm /Im0 Do Q")
    pdf.attachments[attachment_name] = pikepdf.AttachedFileSpec(pdf, attachment)
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def build_archive_set(folder: Path, seed: int = 19, *, extra: bool = True) -> list[BuiltArchive]:
    """Write the archives the acceptance tests need into ``folder``; returns the manifest.

    ``extra`` adds the formats beyond the acceptance list (CAB, ISO 9660, ODT, PDF, RAR,
    tar.bz2 and .zst, a bare gzip)."""
    folder.mkdir(parents=True, exist_ok=True)
    p = _payloads(seed)
    work = folder / ".work"
    work.mkdir(exist_ok=True)
    for name, data in p.items():
        (work / name).write_bytes(data)
    h = {name: sha256(data) for name, data in p.items()}
    built: list[BuiltArchive] = []

    _zipfile(folder / "plain.zip", {"photo.jpg": p["photo.jpg"], "notes.txt": p["notes.txt"]})
    built.append(BuiltArchive("plain.zip", "zip", {"photo.jpg": h["photo.jpg"],
                                                   "notes.txt": h["notes.txt"]},
                              notes={"time_kind": "local"}))
    _tool("zip", "-q", "../renamed.boo", "picture.png", cwd=work)  # Info-ZIP: UT field
    built.append(BuiltArchive("renamed.boo", "zip", {"picture.png": h["picture.png"]},
                              notes={"time_kind": "utc"}))
    _tool("zip", "-q", "-fz", "../big64.zip", "photo.jpg", cwd=work)
    built.append(BuiltArchive("big64.zip", "zip", {"photo.jpg": h["photo.jpg"]},
                              notes={"zip64": "yes"}))
    _tool("7zz", "a", "-bd", "../set.7z", "photo.jpg", "notes.txt", cwd=work)
    built.append(BuiltArchive("set.7z", "7z", {"photo.jpg": h["photo.jpg"],
                                               "notes.txt": h["notes.txt"]}))
    _tar(folder / "bundle.tar.gz", "w:gz", {"pics/photo.jpg": p["photo.jpg"],
                                            "pics/picture.png": p["picture.png"]})
    built.append(BuiltArchive("bundle.tar.gz", "gzip", {"pics/photo.jpg": h["photo.jpg"],
                                                        "pics/picture.png": h["picture.png"]}))
    _tar(folder / "wallet.tar.xz", "w:xz", {"wallet/notes.txt": p["notes.txt"]})
    built.append(BuiltArchive("wallet.tar.xz", "xz", {"wallet/notes.txt": h["notes.txt"]}))
    (folder / "report.docx").write_bytes(docx(p["picture.png"]))
    built.append(BuiltArchive("report.docx", "ooxml",
                              {"word/media/image1.png": h["picture.png"]}))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("deep/photo.jpg", p["photo.jpg"])
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("inner.zip", inner.getvalue())
    _tar(folder / "nested.tar.gz", "w:gz", {"outer.zip": outer.getvalue()})
    built.append(BuiltArchive("nested.tar.gz", "gzip", {
        "outer.zip": sha256(outer.getvalue()),
        "outer.zip -> inner.zip": sha256(inner.getvalue()),
        "outer.zip -> inner.zip -> deep/photo.jpg": h["photo.jpg"]}))
    _tool("7zz", "a", "-bd", "-tzip", f"-p{CASE_PASSWORD}", "-mem=AES256", "../locked.zip",
          "photo.jpg", cwd=work)
    built.append(BuiltArchive("locked.zip", "zip", {"photo.jpg": h["photo.jpg"]},
                              password=CASE_PASSWORD, encrypted=True))
    _tool("zip", "-q", "-P", OTHER_PASSWORD, "../sealed.zip", "notes.txt", "picture.png",
          cwd=work)
    built.append(BuiltArchive("sealed.zip", "zip", {"notes.txt": h["notes.txt"],
                                                    "picture.png": h["picture.png"]},
                              password=OTHER_PASSWORD, encrypted=True))
    if extra:
        built += _extra_formats(folder, work, p, h)
    shutil.rmtree(work)
    return built


def _extra_formats(folder: Path, work: Path, p: dict[str, bytes],
                   h: dict[str, str]) -> list[BuiltArchive]:
    built: list[BuiltArchive] = []
    _tool("7zz", "a", "-bd", f"-p{CASE_PASSWORD}", "-mhe=on", "../hidden.7z", "notes.txt",
          cwd=work)
    built.append(BuiltArchive("hidden.7z", "7z", {"notes.txt": h["notes.txt"]},
                              password=CASE_PASSWORD, encrypted=True))
    _tool("gcab", "-c", "../setup.cab", "photo.jpg", "notes.txt", cwd=work)
    built.append(BuiltArchive("setup.cab", "cab", {"photo.jpg": h["photo.jpg"],
                                                   "notes.txt": h["notes.txt"]},
                              notes={"time_kind": "local"}))
    disc = work / "disc"
    disc.mkdir()
    (disc / "PHOTO.JPG").write_bytes(p["photo.jpg"])
    _tool("xorriso", "-as", "mkisofs", "-quiet", "-o", "../disc.iso", "disc", cwd=work)
    built.append(BuiltArchive("disc.iso", "iso9660", {"PHOTO.JPG": h["photo.jpg"]}))
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
        archive.writestr("Pictures/10000000.png", p["picture.png"])
    (folder / "memo.odt").write_bytes(odt.getvalue())
    built.append(BuiltArchive("memo.odt", "odf", {"Pictures/10000000.png": h["picture.png"]}))
    (folder / "scan.pdf").write_bytes(pdf_with_image(p["photo.jpg"], p["notes.txt"],
                                                     "notes.txt"))
    built.append(BuiltArchive("scan.pdf", "pdf", {"image": h["photo.jpg"],
                                                  "notes.txt": h["notes.txt"]}))
    _tar(folder / "logs.tar.bz2", "w:bz2", {"notes.txt": p["notes.txt"]})
    built.append(BuiltArchive("logs.tar.bz2", "bzip2", {"notes.txt": h["notes.txt"]}))
    _tool("zstd", "-q", "-o", "../notes.txt.zst", "notes.txt", cwd=work)
    built.append(BuiltArchive("notes.txt.zst", "zstd", {"notes.txt": h["notes.txt"]}))
    _tool("gzip", "-k", "-n", "picture.png", cwd=work)
    shutil.move(work / "picture.png.gz", folder / "picture.png.gz")
    built.append(BuiltArchive("picture.png.gz", "gzip", {"picture.png": h["picture.png"]}))
    return built + rar_samples(folder)


def rar_samples(folder: Path, names: tuple[str, ...] = ("rar5-zip-in-rar.rar",
                                                         "rar4-unicode.rar")) -> list[BuiltArchive]:
    """Copy the RAR samples (libarchive's test files); their members' bytes are checked
    against The Unarchiver's extraction, so the manifest lists names only."""
    members = {"rar5-zip-in-rar.rar": {"payload/real_after.txt": "",
                                       "payload/inner.zip -> THIS_IS_INSIDE_THE_ZIP.txt": ""},
               "rar4-unicode.rar": {}}
    for name in names:
        shutil.copyfile(RAR_SAMPLES / name, folder / name)
    return [BuiltArchive(name, "rar", members[name], notes={"oracle": "unar"}) for name in names]


def build_hostile_set(folder: Path) -> list[BuiltArchive]:
    """Archives that attack an extractor: a high-ratio member, 42.zip-style nesting, names
    with ``../`` and absolute paths, a symlink member."""
    folder.mkdir(parents=True, exist_ok=True)
    zeros = bytes(32 * 1024 * 1024)
    _zipfile(folder / "ratio-bomb.zip", {"zeros.bin": zeros})
    leaf = io.BytesIO()
    with zipfile.ZipFile(leaf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("0.bin", bytes(8 * 1024 * 1024))
    level = leaf.getvalue()
    for _ in range(3):  # 4 x 4 x 4 zips of 8 MiB zeros: 512 MiB when fully expanded
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
            for i in range(4):
                archive.writestr(f"{i}.zip", level)
        level = buf.getvalue()
    (folder / "nest-bomb.zip").write_bytes(level)
    _zipfile(folder / "escape.zip", {"../../x.txt": b"written outside?\n",
                                     "/tmp/lccu-absolute.txt": b"absolute\n"})
    with tarfile.open(folder / "links.tar", "w") as archive:
        info = tarfile.TarInfo("shadow-link")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/shadow"
        archive.addfile(info)
        data = b"up one\n"
        info = tarfile.TarInfo("../up.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return [
        BuiltArchive("ratio-bomb.zip", "zip", notes={"stops": "max_ratio"}),
        BuiltArchive("nest-bomb.zip", "zip", notes={"stops": "max_total_bytes"}),
        BuiltArchive("escape.zip", "zip", {"../../x.txt": sha256(b"written outside?\n"),
                                           "/tmp/lccu-absolute.txt": sha256(b"absolute\n")}),
        BuiltArchive("links.tar", "tar", {"../up.txt": sha256(b"up one\n")}),
    ]


@dataclass
class ArchiveDisk:
    """A FAT image holding the archive sets: allocated ones under ``/archive`` and
    ``/hostile``, a deleted zip, and a zip written after the file system (carved)."""

    image: Path
    archives: list[BuiltArchive]  # under /archive
    hostile: list[BuiltArchive]  # under /hostile
    deleted: BuiltArchive  # /deleted/gone.zip, deleted
    carved: BuiltArchive
    carved_offset: int


def _mtools(*args: str) -> None:
    if shutil.which(args[0]) is None:
        raise ConfigError(f"{args[0]} is not installed; install dosfstools and mtools")
    subprocess.run(list(args), check=True, capture_output=True, timeout=120,
                   env={"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})


def build_archive_disk(path: Path, fs_mib: int = 24, *, hostile: bool = True) -> ArchiveDisk:
    """Write the disk to ``path``; the folders it is built from are kept beside it.
    ``hostile=False`` leaves out ``/hostile`` (the bombs cost time to stop)."""
    base = path.parent / f"{path.name}.src"
    archives = build_archive_set(base / "archive", extra=False)
    archives += rar_samples(base / "archive", ("rar5-zip-in-rar.rar",))
    attacks = build_hostile_set(base / "hostile") if hostile else []
    payloads = _payloads(20)
    gone = base / "gone.zip"
    _zipfile(gone, {"kept/photo.jpg": payloads["photo.jpg"]})
    deleted = BuiltArchive("gone.zip", "zip", {"kept/photo.jpg": sha256(payloads["photo.jpg"])})
    tail = base / "tail.zip"
    _zipfile(tail, {"lost/picture.png": payloads["picture.png"]}, zipfile.ZIP_STORED)
    carved = BuiltArchive("tail.zip", "zip",
                          {"lost/picture.png": sha256(payloads["picture.png"])})
    fs_size = fs_mib * 1024 * 1024
    path.unlink(missing_ok=True)
    _mtools("mkfs.vfat", "-C", "-n", "ARCHIVES", "--invariant", str(path), str(fs_mib * 1024))
    for folder, items in (("archive", archives), ("hostile", attacks)):
        if not items:
            continue
        _mtools("mmd", "-i", str(path), f"::/{folder}")
        for item in items:
            _mtools("mcopy", "-i", str(path), str(base / folder / item.name),
                    f"::/{folder}/{item.name}")
    _mtools("mmd", "-i", str(path), "::/deleted")
    _mtools("mcopy", "-i", str(path), str(gone), "::/deleted/gone.zip")
    _mtools("mdel", "-i", str(path), "::/deleted/gone.zip")
    offset = fs_size + 64 * 1024
    with path.open("r+b") as disk:
        disk.seek(offset)
        disk.write(tail.read_bytes())
        disk.write(bytes(64 * 1024))
    return ArchiveDisk(path, archives, attacks, deleted, carved, offset)
