"""The chunk checksum errors libewf met while reading, asked of libewf itself.

libewf checks every chunk it reads (the Adler-32 of an uncompressed chunk, the zlib stream
of a compressed one), hands back zeros for a chunk that fails, and keeps the failing
sector ranges: ``libewf_handle_get_number_of_checksum_errors`` and
``libewf_handle_get_checksum_error``, the list ``ewfverify`` prints. The pyewf binding
does not wrap those two calls, but its extension module is libewf itself and exports
them, so :class:`ChecksumErrors` calls them through :mod:`ctypes` with the
``libewf_handle_t`` pointer the binding's handle object holds (``pyewf_handle_t`` is
``PyObject_HEAD`` followed by that pointer and a file IO pool pointer).

That layout is checked before any call (object size, exported symbols, and the handle's
media size read both ways must agree); a binding that does not match fails loudly rather
than hiding checksum errors.
"""

from __future__ import annotations

import ctypes
from typing import Any

from lccu.errors import ImageFormatError

_POINTER = ctypes.sizeof(ctypes.c_void_p)
_ERROR = ctypes.POINTER(ctypes.c_void_p)


def _library(pyewf: Any) -> ctypes.CDLL:
    library = ctypes.CDLL(pyewf.__file__)
    library.libewf_handle_get_media_size.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint64), _ERROR]
    library.libewf_handle_get_number_of_checksum_errors.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32), _ERROR]
    library.libewf_handle_get_checksum_error.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint64),
        ctypes.POINTER(ctypes.c_uint64), _ERROR]
    library.libewf_error_free.argtypes = [_ERROR]
    return library


class ChecksumErrors:
    """The checksum-error list of one open pyewf handle (call under the handle's lock)."""

    def __init__(self, pyewf: Any, handle: Any) -> None:
        advice = ("this libewf-python build does not let lccu see which chunks failed their "
                  "checksum; install the libewf-python version lccu lists in its "
                  "dependencies")  # fmt: skip
        if type(handle).__basicsize__ != object.__basicsize__ + 2 * _POINTER:
            raise ImageFormatError(f"{advice} (unexpected pyewf handle layout)")
        try:
            self._lib = _library(pyewf)
        except (OSError, AttributeError) as exc:
            raise ImageFormatError(f"{advice} ({exc})") from exc
        self._handle = handle  # keeps the pointer's owner alive
        self._pointer = ctypes.c_void_p.from_address(id(handle) + object.__basicsize__).value
        size = ctypes.c_uint64()
        if (not self._pointer or self._call(self._lib.libewf_handle_get_media_size, size) != 1
                or size.value != int(handle.get_media_size())):
            raise ImageFormatError(f"{advice} (handle check failed)")

    def _call(self, function: Any, *out: Any) -> int:
        error = ctypes.c_void_p()
        result = int(function(self._pointer, *(ctypes.byref(o) if not isinstance(o, int)
                                               else o for o in out), ctypes.byref(error)))
        if error.value:
            self._lib.libewf_error_free(ctypes.byref(error))
        return result

    def count(self) -> int:
        number = ctypes.c_uint32()
        if self._call(self._lib.libewf_handle_get_number_of_checksum_errors, number) != 1:
            raise ImageFormatError("libewf could not list its checksum errors")
        return number.value

    def ranges(self, start: int = 0) -> list[tuple[int, int]]:
        """``(first sector, number of sectors)`` of each error from index ``start`` on."""
        found = []
        for index in range(start, self.count()):
            first, count = ctypes.c_uint64(), ctypes.c_uint64()
            if self._call(self._lib.libewf_handle_get_checksum_error, index, first,
                          count) != 1:  # fmt: skip
                raise ImageFormatError(f"libewf could not give checksum error {index}")
            found.append((first.value, count.value))
        return found
