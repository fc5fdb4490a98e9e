"""Unit-wide hash sets: known files (NSRL) to set aside, notable ones to put first.

:mod:`~lccu.hashsets.formats` reads the files (one module per format),
:mod:`~lccu.hashsets.store` keeps the versions in a database, :mod:`~lccu.hashsets.lookup`
marks a report's files with the sets they are in. The library's access-checked and audited
entry points are the :class:`~lccu.evidence.lab.Lab` methods ``hashset_*``.
"""

from __future__ import annotations

from lccu.hashsets.store import KINDS, HashSetInfo, HashSetStore

__all__ = ["KINDS", "HashSetInfo", "HashSetStore"]
