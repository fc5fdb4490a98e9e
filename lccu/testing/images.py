"""Build small disk images with planted files, for tests and for analysts' own checks.

``build_mbr_fat32_ext4`` makes a ~56 MiB raw disk: an MBR (written with ``struct``), one
FAT32 partition (``mkfs.vfat`` + mtools), one ext4 partition (``mkfs.ext4 -d`` +
``debugfs -w -R rm``), some files deleted on each, and a JPEG and a PNG written only into
the unpartitioned space at the end. No root access is needed. File contents are derived
from a seed, so the manifest's hashes are the same on every run.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lccu.errors import ConfigError

SECTOR = 512
MIB = 1024 * 1024
FAT_START, FAT_SIZE = 1 * MIB, 34 * MIB
EXT_START, EXT_SIZE = FAT_START + FAT_SIZE, 16 * MIB
TAIL_SIZE = 2 * MIB
DISK_SIZE = EXT_START + EXT_SIZE + TAIL_SIZE


@dataclass(frozen=True)
class PlantedFile:
    """A file put into a built image: where it lives and what its bytes hash to.

    ``partition_offset`` is the byte offset of the partition holding it (None for raw
    placement); ``path`` is its path inside that file system; ``raw_offset`` is its byte
    offset in the image for files written outside any partition.
    """

    name: str
    sha256: str
    size: int
    deleted: bool
    fs_type: str | None = None
    partition_offset: int | None = None
    path: str | None = None
    raw_offset: int | None = None
    md5: str = ""
    sha1: str = ""

    @classmethod
    def of(cls, name: str, content: bytes, deleted: bool, *, fs_type: str | None = None,
           partition_offset: int | None = None, path: str | None = None,
           raw_offset: int | None = None) -> PlantedFile:
        """A planted file with the hashlib MD5, SHA-1 and SHA-256 of ``content``."""
        return cls(name, hashlib.sha256(content).hexdigest(), len(content), deleted,
                   fs_type, partition_offset, path, raw_offset,
                   md5=hashlib.md5(content).hexdigest(), sha1=hashlib.sha1(content).hexdigest())


@dataclass
class PlantedManifest:
    """Everything a test needs to check an engine against a built image."""

    image: Path
    size: int
    partitions: list[dict[str, int | str]] = field(default_factory=list)
    files: list[PlantedFile] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"image": str(self.image), "size": self.size, "partitions": self.partitions,
                "files": [asdict(f) for f in self.files]}


def _run(args: list[str]) -> None:
    """Run a tool by argument list (never a shell), with a clear error if it is missing."""
    if shutil.which(args[0]) is None:
        raise ConfigError(f"{args[0]} is not installed; install dosfstools, mtools and e2fsprogs")
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1", E2FSPROGS_FAKE_TIME="1700000000")
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=60, env=env)
    except subprocess.CalledProcessError as exc:
        raise ConfigError(
            f"{args[0]} failed while building a test image: {exc.stderr.decode(errors='replace')}"
        ) from exc


def minimal_jpeg(rng: random.Random) -> bytes:
    """A valid baseline 8x8 grey JPEG (one flat block) with a seeded ASCII comment."""
    comment = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(3000)).encode()

    def seg(marker: int, body: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body

    dqt = b"\x00" + bytes([1] * 64)
    sof = struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00"
    # One 1-bit code each: DC category 0 and AC end-of-block.
    dht_dc = b"\x00" + bytes([1] + [0] * 15) + b"\x00"
    dht_ac = b"\x10" + bytes([1] + [0] * 15) + b"\x00"
    sos = b"\x01\x01\x00\x00\x3f\x00"
    return (b"\xff\xd8" + seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + seg(0xFE, comment) + seg(0xDB, dqt) + seg(0xC0, sof) + seg(0xC4, dht_dc)
            + seg(0xC4, dht_ac) + seg(0xDA, sos) + b"\x3f" + b"\xff\xd9")


def minimal_png(rng: random.Random, width: int = 48, height: int = 48) -> bytes:
    """A valid RGB PNG of seeded random pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


def _mbr(partitions: list[tuple[int, int, int]], disk_id: int) -> bytes:
    """A DOS MBR with up to four ``(type, start_sector, sector_count)`` primary entries."""
    table = b""
    for kind, start, count in partitions:
        chs = b"\xfe\xff\xff"  # "use LBA" placeholder CHS
        table += struct.pack("<B3sB3sII", 0x00, chs, kind, chs, start, count)
    table = table.ljust(64, b"\x00")
    return bytes(440) + struct.pack("<IH", disk_id, 0) + table + b"\x55\xaa"


def _text(rng: random.Random, lines: int) -> bytes:
    words = ["case", "zone", "evidence", "phone", "laptop", "seized", "report", "hash", "image"]
    return "".join(" ".join(rng.choice(words) for _ in range(8)) + "\n"
                   for _ in range(lines)).encode()


def build_mbr_fat32_ext4(path: str | os.PathLike[str], seed: int = 1) -> PlantedManifest:
    """Write the test disk to ``path`` and return what was planted where."""
    rng = random.Random(seed)
    out = Path(path)
    manifest = PlantedManifest(image=out, size=DISK_SIZE)
    fat_files = {  # path -> (content, deleted)
        "/README.TXT": (_text(rng, 20), False),
        "/docs/report.txt": (_text(rng, 200), False),
        "/photos/holiday.jpg": (minimal_jpeg(rng), False),
        "/data/blob.bin": (rng.randbytes(100_000), False),
        "/secret.txt": (_text(rng, 40), True),
        "/data/old.bin": (rng.randbytes(50_000), True),
        "/trash/letter.txt": (_text(rng, 25), True),  # whole directory deleted (mdeltree)
    }
    ext_files = {
        "/notes.txt": (_text(rng, 30), False),
        "/dir/sub/deep.bin": (rng.randbytes(200_000), False),
        "/dir/picture.png": (minimal_png(rng), False),
        "/dir/gone.bin": (rng.randbytes(65_536), True),
        "/gone.txt": (_text(rng, 10), True),
        "/olddir/draft.txt": (_text(rng, 12), True),  # file and then its directory removed
        # a YARA lead for the demo: the (public) Bitcoin genesis address in a deleted note
        "/payment.txt": (b"send to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa before friday\n"
                         + _text(rng, 5), True),
    }
    tail = [("carve_me.jpg", minimal_jpeg(rng)), ("carve_me.png", minimal_png(rng, 32, 32))]
    with tempfile.TemporaryDirectory(prefix="lccu-img-") as tmp_name:
        tmp = Path(tmp_name)
        fat = tmp / "fat.img"
        with fat.open("wb") as f:
            f.truncate(FAT_SIZE)
        _run(["mkfs.vfat", "-F", "32", "-s", "1", "-S", "512", "-h", str(FAT_START // SECTOR),
              "-i", f"{seed & 0xFFFFFFFF:08x}", "-n", "LCCUFAT", "--invariant", str(fat)])
        made: set[str] = set()
        for fpath, (content, _deleted) in fat_files.items():
            parent = fpath.rsplit("/", 1)[0]
            if parent and parent not in made:
                _run(["mmd", "-i", str(fat), f"::{parent}"])
                made.add(parent)
            src = tmp / "src.bin"
            src.write_bytes(content)
            _run(["mcopy", "-i", str(fat), str(src), f"::{fpath}"])
        for fpath, (_c, deleted) in fat_files.items():
            if deleted and not fpath.startswith("/trash/"):
                _run(["mdel", "-i", str(fat), f"::{fpath}"])
        _run(["mdeltree", "-i", str(fat), "::/trash"])

        tree = tmp / "tree"
        for fpath, (content, _deleted) in ext_files.items():
            target = tree / fpath.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        ext = tmp / "ext.img"
        with ext.open("wb") as f:
            f.truncate(EXT_SIZE)
        _run(["mkfs.ext4", "-q", "-F", "-b", "1024", "-L", "lccu_ext4",
              "-U", "4c434355-0000-4000-8000-00000000000" + str(seed % 10),
              "-E", "hash_seed=4c434355-0000-4000-8000-000000000001", "-d", str(tree), str(ext)])
        for fpath, (_c, deleted) in ext_files.items():
            if deleted:
                _run(["debugfs", "-w", "-R", f"rm {fpath}", str(ext)])
        _run(["debugfs", "-w", "-R", "rmdir /olddir", str(ext)])

        with out.open("wb") as disk:
            disk.truncate(DISK_SIZE)
            disk.write(_mbr([(0x0C, FAT_START // SECTOR, FAT_SIZE // SECTOR),
                             (0x83, EXT_START // SECTOR, EXT_SIZE // SECTOR)], 0x4C434355 + seed))
            for part, start in ((fat, FAT_START), (ext, EXT_START)):
                disk.seek(start)
                with part.open("rb") as src_f:
                    shutil.copyfileobj(src_f, disk, 1024 * 1024)
            offset = EXT_START + EXT_SIZE + 4096
            for name, content in tail:
                disk.seek(offset)
                disk.write(content)
                manifest.files.append(PlantedFile.of(name, content, False, raw_offset=offset))
                offset += (len(content) + 4095) // 4096 * 4096 + 8192
    manifest.partitions = [
        {"start_offset": FAT_START, "length": FAT_SIZE, "fs_type": "fat32", "mbr_type": 0x0C},
        {"start_offset": EXT_START, "length": EXT_SIZE, "fs_type": "ext4", "mbr_type": 0x83},
    ]
    for files, fs_type, start in ((fat_files, "fat32", FAT_START), (ext_files, "ext4", EXT_START)):
        for fpath, (content, deleted) in files.items():
            manifest.files.append(PlantedFile.of(
                fpath.rsplit("/", 1)[1], content, deleted, fs_type=fs_type,
                partition_offset=start, path=fpath))
    return manifest


def build_ext2_directory_loop(path: str | os.PathLike[str]) -> Path:
    """Copy the pytsk corpus ext2 image with ``/a_directory/another_file`` edited into a
    directory entry pointing at ``a_directory`` itself (inode 12): a directory loop."""
    import struct

    from lccu.testing.corpus import corpus_file

    data = bytearray(corpus_file("pytsk", "image.raw").read_bytes())
    # a_directory (inode 12) lives in block 21 (GROUND_TRUTH: sleuthkit image.dd.json).
    block = 21 * 1024
    pos = data.find(b"another_file", block, block + 1024)
    while pos != -1:
        inode, _rec_len, name_len, _ftype = struct.unpack_from("<IHBB", data, pos - 8)
        if inode == 16 and name_len == len(b"another_file"):
            break
        pos = data.find(b"another_file", pos + 1, block + 1024)
    if pos == -1:
        raise ValueError("the corpus image does not have the expected layout")
    struct.pack_into("<I", data, pos - 8, 12)  # inode -> 12 (a_directory itself)
    data[pos - 1] = 2  # file type: directory
    out = Path(path)
    out.write_bytes(bytes(data))
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m lccu.testing.images OUT.img``: build the sample disk and list what it holds."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m lccu.testing.images OUT.img", file=sys.stderr)
        return 2
    manifest = build_mbr_fat32_ext4(args[0])
    for planted in manifest.files:
        where = planted.path or f"raw offset {planted.raw_offset}"
        state = "deleted" if planted.deleted else "present"
        print(f"{planted.sha256}  {planted.fs_type or 'unpartitioned'} {where} ({state})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
