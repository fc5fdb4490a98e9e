"""Encrypted volumes: named as such, never left as "no file system" or analysed as noise.

A BitLocker volume (``-FVE-FS-`` at byte 3 of its boot sector, where NTFS has ``NTFS``) and
a LUKS volume (``LUKS\\xba\\xbe`` at byte 0, version 1 or 2) are recognised by their
signatures before The Sleuth Kit is asked, so their ciphertext is never walked as a file
system. A volume TSK cannot open whose bytes look random (Shannon entropy near 8 bits per
byte in every sample: VeraCrypt, a raw dm-crypt volume, an unknown scheme) is reported as
looking encrypted. Either way the volume is not analysed and a warning says so: without
the key its contents cannot be read, and an examiner must know to ask for it.
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

BITLOCKER = b"-FVE-FS-"
LUKS = b"LUKS\xba\xbe"
#: the name a volume of an unidentified scheme gets in ``volumes[].encryption``
UNIDENTIFIED = "unidentified"
SAMPLE = 64 * 1024
SAMPLES = 4
#: bits per byte above which a sample looks encrypted (random 64 KiB: about 7.997; text,
#: code and file systems stay far below; compressed data can come close)
THRESHOLD = 7.99

Read = Callable[[int, int], bytes]


@dataclass(frozen=True)
class Encryption:
    """How a volume is encrypted (``scheme`` as in the report) and the evidence for it."""

    scheme: str
    reason: str

    def warning(self, where: str) -> str:
        """The report warning: ``BitLocker-encrypted, not analysed (...)``."""
        if self.scheme == UNIDENTIFIED:
            return f"looks encrypted ({self.reason}), not analysed; {where}"
        return f"{self.scheme}-encrypted, not analysed ({self.reason}); {where}"


def signature(boot: bytes) -> Encryption | None:
    """BitLocker or LUKS from the first bytes of a volume, else ``None``."""
    if boot[3:11] == BITLOCKER:
        return Encryption("BitLocker", "BitLocker signature -FVE-FS- in the boot sector; the "
                          "recovery key or password is needed to read it")  # fmt: skip
    if boot[:6] == LUKS and len(boot) >= 8:
        version = struct.unpack_from(">H", boot, 6)[0]
        name = f"LUKS{version}" if version in (1, 2) else "LUKS"
        return Encryption(name, f"{name} header at the start of the volume; a passphrase or "
                          "key file is needed to read it")  # fmt: skip
    return None


def entropy(data: bytes) -> float:
    """Shannon entropy of ``data`` in bits per byte (0 for empty data)."""
    if not data:
        return 0.0
    total = len(data)
    return -sum(c / total * math.log2(c / total) for c in Counter(data).values())


def looks_random(read: Read, offset: int, length: int) -> Encryption | None:
    """``Encryption(UNIDENTIFIED)`` when every sample of ``[offset, offset + length)`` (the
    start, then spread evenly) is near 8 bits per byte, else ``None``."""
    if length < SAMPLE:
        return None
    step = (length - SAMPLE) // max(1, SAMPLES - 1)
    lowest = 8.0
    for index in range(SAMPLES):
        data = read(offset + index * step, SAMPLE)
        if len(data) < SAMPLE // 2:
            break  # past the end of a truncated image: judge by what was there
        lowest = min(lowest, entropy(data))
        if lowest < THRESHOLD:
            return None
    if lowest == 8.0:
        return None  # nothing read
    return Encryption(UNIDENTIFIED, f"no file system The Sleuth Kit recognises and its bytes "
                      f"look random: at least {lowest:.3f} bits per byte in {SAMPLES} samples "
                      "of 64 KiB")  # fmt: skip
