"""The byte pipe that joins web upload requests to the store's single read pass."""

from __future__ import annotations

import threading
import time

import pytest

from lccu.errors import InvalidInput
from lccu.storage.pipe import BytePipe


def test_reads_return_written_bytes_in_order_then_end() -> None:
    pipe = BytePipe(10, capacity=100)
    pipe.write(b"abcd")
    pipe.write(b"efghij")
    assert pipe.read(3) == b"abc"
    assert pipe.read(100) == b"defghij"
    pipe.close()
    assert pipe.read(5) == b""  # closed and drained: the end of the stream


def test_end_waits_for_close_even_after_the_last_byte() -> None:
    """A store commits when its stream ends, so the end comes from close(), not the count."""
    pipe = BytePipe(3, capacity=8)
    with pytest.raises(InvalidInput, match="only 0 of 3"):
        pipe.close()
    pipe.write(b"abc")
    assert pipe.read(10) == b"abc"
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read(10)))
    reader.start()
    time.sleep(0.2)
    assert got == []  # still waiting: no end without the go-ahead
    pipe.close()
    reader.join(5)
    assert got == [b""]


def test_writer_waits_while_full_and_resumes_when_read() -> None:
    """Memory stays bounded: a second write waits until the reader makes room."""
    pipe = BytePipe(20, capacity=8)
    pipe.write(b"x" * 8)
    with pytest.raises(TimeoutError):
        pipe.write(b"y", timeout=0.2)
    done = threading.Event()

    def late_write() -> None:
        pipe.write(b"y" * 12)
        done.set()

    writer = threading.Thread(target=late_write)
    writer.start()
    time.sleep(0.1)
    assert not done.is_set()
    assert pipe.read(8) == b"x" * 8
    writer.join(5)
    assert done.is_set() and pipe.read(-1) == b"y" * 12


def test_more_than_the_total_is_refused() -> None:
    pipe = BytePipe(4, capacity=8)
    with pytest.raises(InvalidInput, match="more than the declared 4"):
        pipe.write(b"12345")
    assert pipe.written == 0


def test_failure_reaches_a_waiting_reader_and_later_writers() -> None:
    pipe = BytePipe(100, capacity=8)
    seen: list[BaseException] = []

    def reader() -> None:
        try:
            pipe.read(10)
        except RuntimeError as exc:
            seen.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.1)
    pipe.fail(RuntimeError("store down"))
    thread.join(5)
    assert [str(e) for e in seen] == ["store down"]
    with pytest.raises(RuntimeError, match="store down"):
        pipe.write(b"more")
    pipe.fail(RuntimeError("second"))  # the first error wins
    assert str(pipe.error) == "store down"
