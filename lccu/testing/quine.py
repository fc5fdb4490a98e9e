"""A gzip quine: a ``.gz`` file that decompresses to itself, byte for byte.

The construction is Russ Cox's ("Zip Files All The Way Down", research.swtch.com/zip,
2010), written here from its description: DEFLATE is a tiny language of two instructions,
print the next n bytes (a stored block, :func:`lit`) and repeat the last n bytes (a copy at
distance n in a fixed-Huffman block, :func:`rep`), each coded in exactly 5 bytes, and a
program of 32 of them prints the gzip header, itself and the trailer. Two details are
gzip's own: the header carries a file name so that it is 15 bytes (a repeat of 20 bytes
fits 5 bytes; one of 15 does not), and the stream ends with an empty final stored block that
belongs to the copied trailer. The trailer's CRC-32 appears inside the data it checks; CRC
is affine over GF(2), so the value that is its own checksum is solved for directly.
Checked by Python's :mod:`gzip` and GNU ``gzip -dc`` in the tests.

:func:`zip_quine` is the same program in a zip (Cox's r.zip): the prefix is the member's
local file header, the suffix the final empty block, the central directory and the end
record; both headers carry the CRC-32 and the sizes. Checked by Python's :mod:`zipfile`,
``unzip -p`` and ``bsdtar -xOf`` in the tests.
"""

from __future__ import annotations

import itertools
import struct
import zlib

UNIT = 5  # every instruction is 5 bytes
_LEN_BASE = (3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83,
             99, 115, 131, 163, 195, 227, 258)
_LEN_EXTRA = (0,) * 8 + (1,) * 4 + (2,) * 4 + (3,) * 4 + (4,) * 4 + (5,) * 4 + (0,)
_DIST_BASE = (1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
              1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577)
_DIST_EXTRA = (0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11,
               11, 12, 12, 13, 13)


class _Bits:
    """A DEFLATE bit string: fields least significant bit first, Huffman codes most."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def field(self, value: int, count: int) -> None:
        self.bits += [(value >> i) & 1 for i in range(count)]

    def code(self, value: int, count: int) -> None:
        self.bits += [(value >> (count - 1 - i)) & 1 for i in range(count)]

    def block_header(self, final: bool) -> None:
        self.field(int(final), 1)
        self.field(1, 2)  # fixed Huffman codes

    def copy(self, length: int, distance: int) -> None:
        i = max(k for k, base in enumerate(_LEN_BASE) if base <= length)
        symbol = 257 + i  # 257..279: 7-bit codes, 280..285: 8-bit codes
        if symbol <= 279:
            self.code(symbol - 256, 7)
        else:
            self.code(0xC0 + symbol - 280, 8)
        self.field(length - _LEN_BASE[i], _LEN_EXTRA[i])
        j = max(k for k, base in enumerate(_DIST_BASE) if base <= distance)
        self.code(j, 5)
        self.field(distance - _DIST_BASE[j], _DIST_EXTRA[j])

    def end_of_block(self) -> None:
        self.code(0, 7)

    def to_bytes(self) -> bytes:
        bits = self.bits
        return bytes(sum(b << i for i, b in enumerate(bits[k:k + 8]))
                     for k in range(0, len(bits), 8))


def lit(n: int, final: bool = False) -> bytes:
    """Print the next ``n`` bytes: a stored block's 5-byte header."""
    return bytes([int(final)]) + struct.pack("<HH", n, n ^ 0xFFFF)


def rep(n: int) -> bytes:
    """Repeat the last ``n`` bytes, in exactly 5 bytes: the copy, split in pieces if need
    be, then empty fixed blocks, until the bits fill 40 (possible for n in 17..20, 65, 66
    and 258 only)."""
    for pieces in (1, 2):
        for split in itertools.product(range(3, 259), repeat=pieces - 1):
            lengths = [*split, n - sum(split)]
            if not all(3 <= length <= 258 for length in lengths):
                continue
            for empties in range(3):
                bits = _Bits()
                bits.block_header(False)
                for length in lengths:
                    bits.copy(length, n)
                bits.end_of_block()
                for _ in range(empties):
                    bits.block_header(False)
                    bits.end_of_block()
                if len(bits.bits) == 8 * UNIT:
                    return bits.to_bytes()
    raise ValueError(f"a repeat of {n} bytes does not fit {UNIT} bytes")


def _program(header: bytes, trailer: bytes) -> bytes:
    """Cox's self-reproducing program for prefix ``header`` and suffix ``trailer``."""
    p, s, four = len(header) + UNIT, len(trailer) + UNIT, 4 * UNIT
    return b"".join([
        lit(p), header, lit(p), rep(p),
        lit(UNIT), rep(p),
        lit(UNIT), lit(UNIT),
        lit(four), rep(p), lit(UNIT), lit(UNIT), lit(four),
        rep(four),
        lit(four), rep(four), lit(four), rep(four), lit(four),
        rep(four),
        lit(four), rep(four), lit(0), lit(0), lit(s),
        rep(four),
        lit(0), lit(0),
        lit(s), rep(s), trailer,
        rep(s),
    ])


def gzip_quine(mtime: int = 1_700_000_000) -> bytes:
    """A gzip file (named ``q.gz`` in its header) whose decompressed content is itself."""
    for stamp in range(mtime, mtime + 256):  # another stamp if the CRC system is singular
        header = b"\x1f\x8b\x08\x08" + struct.pack("<I", stamp) + b"\x00\xff" + b"q.gz\x00"
        size = len(header) + len(_program(header, bytes(13))) + 13

        def whole(crc: int, header: bytes = header, size: int = size) -> bytes:
            trailer = lit(0, final=True) + struct.pack("<II", crc, size)
            return header + _program(header, trailer) + trailer

        base = zlib.crc32(whole(0))
        columns = [zlib.crc32(whole(1 << i)) ^ base for i in range(32)]
        crc = _solve(columns, base)
        if crc is not None and zlib.crc32(whole(crc)) == crc:
            return whole(crc)
    raise ValueError("no CRC-32 fixed point found")


def _solve(columns: list[int], base: int) -> int | None:
    """x with A x + base = x over GF(2) (A's columns given), or None when singular."""
    rows = [[((columns[i] >> r) & 1) ^ (i == r) for i in range(32)] + [(base >> r) & 1]
            for r in range(32)]
    for col in range(32):
        pivot = next((k for k in range(col, 32) if rows[k][col]), None)
        if pivot is None:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for k in range(32):
            if k != col and rows[k][col]:
                rows[k] = [a ^ b for a, b in zip(rows[k], rows[col], strict=True)]
    return sum(rows[r][32] << r for r in range(32))


_PAD_ID = 0xD935  # the zipalign padding extra field: readers skip ids they do not know
# "made by" Unix (3) zip 2.0, so the external attributes below are a regular file, 0644


def _padding(size: int) -> bytes:
    """An extra field of exactly ``size`` bytes (at least 6): alignment 1, then zeros."""
    return struct.pack("<HHH", _PAD_ID, size - 4, 1) + bytes(size - 6)


def zip_quine(name: str = "r.zip", dos_time: int = 0, dos_date: int = 0x5B21) -> bytes:
    """A zip file with one deflated member ``name`` whose content is the zip file itself.

    The member's data is :func:`_program`, whose prefix is the local file header and whose
    suffix is the final empty stored block, the central directory and the end record. A
    repeat fits 5 bytes only for 17..20, 65, 66 or 258 bytes, so the local header is padded
    to 60 bytes (a prefix of 65 with its ``lit``) by an extra field, and the suffix to 253
    bytes (258) by the archive comment. Both headers carry the CRC-32 of the whole file,
    solved for as in :func:`gzip_quine`.
    """
    raw = name.encode()
    header_size, trailer_size = 65 - UNIT, 258 - UNIT
    if header_size - 30 - len(raw) < 6:
        raise ValueError(f"name {name!r} is too long for the quine's 60-byte local header")
    extra = _padding(header_size - 30 - len(raw))
    comment_size = trailer_size - UNIT - (46 + len(raw) + len(extra)) - 22
    comment = b"a zip quine: its only member is this file".ljust(comment_size, b".")
    program_size = len(_program(bytes(header_size), bytes(trailer_size)))
    compressed = program_size + UNIT  # the program, then the final empty stored block
    total = header_size + program_size + trailer_size
    for stamp in range(dos_time, dos_time + 256):
        def whole(crc: int, stamp: int = stamp) -> bytes:
            sizes = struct.pack("<III", crc, compressed, total)
            local = (struct.pack("<IHHHHH", 0x04034B50, 20, 0, 8, stamp, dos_date) + sizes
                     + struct.pack("<HH", len(raw), len(extra)) + raw + extra)
            central = (struct.pack("<IHHHHHH", 0x02014B50, 0x0314, 20, 0, 8, stamp, dos_date)
                       + sizes
                       + struct.pack("<HHHHHII", len(raw), len(extra), 0, 0, 0, 0o100644 << 16,
                                     0)
                       + raw + extra)
            end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central),
                              header_size + compressed, len(comment)) + comment
            trailer = lit(0, final=True) + central + end
            if (len(local), len(trailer)) != (header_size, trailer_size):
                raise AssertionError("zip quine headers have the wrong size")
            return local + _program(local, trailer) + trailer

        base = zlib.crc32(whole(0))
        columns = [zlib.crc32(whole(1 << i)) ^ base for i in range(32)]
        crc = _solve(columns, base)
        if crc is not None and zlib.crc32(whole(crc)) == crc:
            return whole(crc)
    raise ValueError("no CRC-32 fixed point found")
