"""The YARA-X scanner process of :mod:`lccu.scan.xpool` (``python -m lccu.scan.xworker``).

It receives the serialized rules once, then scan requests: the segment is in one of the
shared memory files whose descriptors it was given (the request names it), cut by the parent
to the segment's length, and the request says where it lies in the image and which part of
it the segment owns. YARA-X
scans that file in place (``scan_file`` maps it): no private copy of the segment. It
answers with the hit records (JSON, never pickle: a scanner that a hostile image subverted
must not be able to run code in the parent) and exits when the parent closes the request
pipe.
"""

from __future__ import annotations

import io
import json
import mmap
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from lccu.scan.engines import EngineError, ScanTimeout, match_yarax
from lccu.scan.matching import to_hits


def serve(requests: Connection, answers: Connection, buffers: dict[int, int]) -> None:
    """Answer scan requests until the parent closes the pipe."""
    import yara_x

    rules = yara_x.Rules.deserialize_from(io.BytesIO(requests.recv_bytes()))
    answers.send_bytes(b"ready")
    while True:
        try:
            request = json.loads(requests.recv_bytes())
        except EOFError:
            return
        fd = buffers[request["buffer"]]
        with _mapped(fd, request["length"]) as memory:
            answer = scan(rules, f"/proc/self/fd/{fd}", memory, request)
        answers.send_bytes(json.dumps(answer).encode())


@contextmanager
def _mapped(fd: int, length: int) -> Iterator[mmap.mmap | bytes]:
    """The segment, mapped per request at the length the parent cut the file to (between
    requests the file may be shorter or longer)."""
    if length <= 0:
        yield b""
        return
    with mmap.mmap(fd, length, prot=mmap.PROT_READ) as memory:
        yield memory


def scan(rules: Any, path: str, memory: mmap.mmap | bytes,
         request: dict[str, Any]) -> dict[str, Any]:
    """Hits of one segment, kept and limited exactly as the in-process scan keeps them."""
    start, end, base = request["start"], request["end"], request["base"]
    try:
        found = match_yarax(rules, path=path, externals=request.get("externals"),
                            timeout=request["timeout"])
    except ScanTimeout:
        return {"error": "timeout"}
    except EngineError as exc:
        return {"error": str(exc)}
    hits, total = to_hits(found.rules, source="image", base=base,
                          keep=lambda o: start <= o < end, keep_stringless=False,
                          limit=request.get("limit"),
                          read=lambda off, n: memory[off : min(off + n, request["length"])])
    return {"hits": [h.to_dict() for h in hits], "total": total, "too_many": found.too_many}


def main(argv: list[str]) -> int:
    requests_fd, answers_fd = int(argv[0]), int(argv[1])
    buffers: dict[int, int] = {}
    for spec in argv[2].split(","):
        index, fd = (int(x) for x in spec.split(":"))
        buffers[index] = fd
    serve(Connection(requests_fd, writable=False), Connection(answers_fd, readable=False),
          buffers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
