"""A small MBR disk whose volumes are encrypted three ways, beside one readable FAT volume.

Partitions (512-byte sectors, as ``mmls`` numbers its rows: 000 table, 001 gap):

- row 002: FAT16 (``mkfs.vfat`` + mtools) holding ``/HELLO.TXT``: analysed as usual;
- row 003: a BitLocker volume as its boot sector shows it (``-FVE-FS-`` at byte 3, the rest
  random like ciphertext);
- row 004: a LUKS2 volume made by ``cryptsetup luksFormat`` on a file (no mapping, no root);
- row 005: random bytes, no signature (what VeraCrypt or a raw dm-crypt volume looks like).

No root access is needed; the random parts come from a seed.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lccu.testing.images import MIB, SECTOR, _mbr

HELLO = b"hello from the readable volume\n"
PASSPHRASE = b"lccu-test-passphrase"


@dataclass(frozen=True)
class EncryptedDisk:
    image: Path
    #: mmls row -> (start byte, length, what it holds)
    volumes: dict[int, tuple[int, int, str]]


def _run(*args: str, data: bytes | None = None) -> None:
    if shutil.which(args[0]) is None:
        raise RuntimeError(f"{args[0]} is needed (scripts/install.sh installs it)")
    subprocess.run(list(args), input=data, check=True, capture_output=True, timeout=60)


def bitlocker_volume(size: int, rng: random.Random) -> bytes:
    """A volume whose boot sector carries the BitLocker signature, the rest random."""
    boot = bytearray(rng.randbytes(SECTOR))
    boot[0:11] = b"\xeb\x58\x90-FVE-FS-"
    boot[11:13] = SECTOR.to_bytes(2, "little")
    boot[510:512] = b"\x55\xaa"
    return bytes(boot) + rng.randbytes(size - SECTOR)


def luks_volume(path: Path, size: int) -> None:
    """``cryptsetup luksFormat`` (LUKS2, small header and key derivation) on a file."""
    with path.open("wb") as fh:
        fh.truncate(size)
    _run("cryptsetup", "luksFormat", "--batch-mode", "--type", "luks2", "--pbkdf", "argon2id",
         "--pbkdf-memory", "32", "--pbkdf-force-iterations", "4", "--pbkdf-parallel", "1",
         "--luks2-metadata-size", "16k", "--luks2-keyslots-size", "256k", "--key-file", "-",
         str(path), data=PASSPHRASE)  # fmt: skip


def build_encrypted_disk(path: Path, seed: int = 3) -> EncryptedDisk:
    """Write the disk described in the module docstring to ``path``."""
    rng = random.Random(seed)
    fat_start, fat_size = 1 * MIB, 4 * MIB
    layout = [(0x06, fat_start, fat_size, "fat16"),
              (0x07, fat_start + fat_size, 2 * MIB, "BitLocker"),
              (0x83, fat_start + fat_size + 2 * MIB, 2 * MIB, "LUKS2"),
              (0x83, fat_start + fat_size + 4 * MIB, 2 * MIB, "unidentified")]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="lccu-enc-") as tmp_name:
        tmp = Path(tmp_name)
        fat = tmp / "fat.img"
        _run("mkfs.vfat", "-F", "16", "-s", "1", "-C", str(fat), str(fat_size // 1024))
        hello = tmp / "hello.txt"
        hello.write_bytes(HELLO)
        _run("mcopy", "-i", str(fat), str(hello), "::/HELLO.TXT")
        luks = tmp / "luks.img"
        luks_volume(luks, 2 * MIB)
        parts = [fat.read_bytes(), bitlocker_volume(2 * MIB, rng), luks.read_bytes(),
                 rng.randbytes(2 * MIB)]  # fmt: skip
    end = layout[-1][1] + layout[-1][2]
    with path.open("wb") as disk:
        disk.truncate(end + MIB)
        disk.write(_mbr([(kind, start // SECTOR, size // SECTOR)
                         for kind, start, size, _ in layout], 0x4C434356))  # fmt: skip
        for (_kind, start, _size, _what), data in zip(layout, parts, strict=True):
            disk.seek(start)
            disk.write(data)
    return EncryptedDisk(
        path, {2 + i: (start, size, what) for i, (_k, start, size, what) in enumerate(layout)}
    )
