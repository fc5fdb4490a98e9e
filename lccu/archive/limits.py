"""The limits that keep a hostile archive from exhausting disk, memory or time.

Each limit is a setting (environment variable or ``[lccu]`` key of the TOML file, read by
:func:`expansion_limits`) with a default that lets ordinary evidence through: a zip bomb is
stopped by the byte budget or the compression ratio, 42.zip-style nesting by the depth, a
million-entry archive by the member count. A stop is a finding in the report, never a crash.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from lccu.errors import ConfigError

GIB = 1024 * 1024 * 1024
MIB = 1024 * 1024


@dataclass(frozen=True)
class ExpansionLimits:
    """How far, how wide and how big expansion may go (all counted per top-level file)."""

    #: members of members: a container at this depth is listed but not opened
    max_depth: int = 5
    #: bytes written for all members under one top-level container, nested ones included
    max_total_bytes: int = 8 * GIB
    #: members listed per container; the rest are not read
    max_members: int = 100_000
    #: expanded size / compressed size of one member, checked once it passed ``ratio_floor``
    max_ratio: int = 1000
    #: members smaller than this are never stopped for their ratio
    ratio_floor: int = 1 * MIB
    #: formats whose library only hands out whole members (PDF streams) are not read above
    #: this size; every other format is streamed in chunks whatever the member's size
    max_member_in_memory: int = 64 * MIB

    def as_dict(self) -> dict[str, int]:
        """What the report and the ``processed`` custody event record."""
        return asdict(self)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"archive limit {f.name} must be a whole number >= 0, "
                                  f"not {value!r}")


#: setting name (``LCCU_ARCHIVE_<NAME>`` or ``archive_<name>`` in lccu.toml) -> field
SETTINGS = {f"archive_{f.name}": f.name for f in fields(ExpansionLimits)}


def expansion_limits(values: dict[str, Any] | None = None) -> ExpansionLimits:
    """The limits from ``values`` (setting name -> value), else from lccu's settings
    (``LCCU_ARCHIVE_MAX_DEPTH`` ..., checked there); unset ones keep their default. A value
    that is not a whole number is a :class:`ConfigError` naming the setting."""
    if values is None:
        from lccu.config import current_settings

        settings = current_settings()
        return ExpansionLimits(**{field: getattr(settings, name)
                                  for name, field in SETTINGS.items()})
    source = values
    chosen: dict[str, int] = {}
    for name, value in source.items():
        if name not in SETTINGS:
            raise ConfigError(f"unknown archive setting {name!r}; known: {', '.join(SETTINGS)}")
        try:
            chosen[SETTINGS[name]] = int(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"LCCU_{name.upper()} must be a whole number, not {value!r}") \
                from exc
    return ExpansionLimits(**chosen)
