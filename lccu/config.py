"""Configuration from environment variables and an optional TOML file, in one place.

Precedence: environment variable, then the TOML file (``LCCU_CONFIG`` or
``$LCCU_HOME/lccu.toml``), then the embedded default. With nothing set, lccu runs on one
machine: SQLite and a local evidence directory under ``LCCU_HOME``, actors in-process.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_data_path

from lccu.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _load_toml(home: Path) -> dict[str, Any]:
    explicit = os.environ.get("LCCU_CONFIG")
    path = Path(explicit) if explicit else home / "lccu.toml"
    if not path.exists():
        if explicit:
            raise ConfigError(f"LCCU_CONFIG points to {path}, which does not exist")
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    section = data.get("lccu", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [lccu] must be a table")
    return section


def _as_bool(name: str, value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


@dataclass(frozen=True)
class Settings:
    """Everything lccu reads from its environment, resolved once."""

    home: Path
    database_url: str
    user: str | None = None
    key_dir: Path = field(default_factory=Path)
    anchor_dir: Path = field(default_factory=Path)
    evidence_dir: Path = field(default_factory=Path)
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "lccu-evidence"
    s3_derived_bucket: str | None = None
    s3_secure: bool = True
    s3_region: str | None = None
    s3_retention_mode: str = "GOVERNANCE"
    s3_retention_days: int = 3650
    redis_url: str | None = None
    rules: tuple[Path, ...] = ()

    @property
    def embedded(self) -> bool:
        """True when no servers are configured: SQLite, local store, in-process actors."""
        return self.s3_endpoint is None and self.redis_url is None


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings now (tests call this after changing the environment)."""
    environ = dict(os.environ if env is None else env)
    home = Path(environ.get("LCCU_HOME") or user_data_path("lccu", appauthor=False)).expanduser()
    toml = _load_toml(home) if env is None else {}

    def get(name: str, default: Any = None) -> Any:
        key = f"LCCU_{name.upper()}"
        if key in environ and environ[key] != "":
            return environ[key]
        return toml.get(name, default)

    db_url = get("database_url") or f"sqlite:///{home / 'lccu.sqlite3'}"
    rules_value = get("rules")
    if isinstance(rules_value, list):
        rules = tuple(Path(p) for p in rules_value)
    elif rules_value:
        rules = tuple(Path(p) for p in str(rules_value).split(os.pathsep) if p)
    else:
        rules = ()
    try:
        retention_days = int(get("s3_retention_days", 3650))
    except ValueError as exc:
        raise ConfigError("LCCU_S3_RETENTION_DAYS must be a whole number of days") from exc
    mode = str(get("s3_retention_mode", "GOVERNANCE")).upper()
    if mode not in {"GOVERNANCE", "COMPLIANCE"}:
        raise ConfigError("LCCU_S3_RETENTION_MODE must be GOVERNANCE or COMPLIANCE")
    return Settings(
        home=home,
        database_url=str(db_url),
        user=get("user"),
        key_dir=Path(get("key_dir") or home / "keys"),
        anchor_dir=Path(get("anchor_dir") or home / "anchors"),
        evidence_dir=Path(get("evidence_dir") or home / "evidence"),
        s3_endpoint=get("s3_endpoint"),
        s3_access_key=get("s3_access_key"),
        s3_secret_key=get("s3_secret_key"),
        s3_bucket=str(get("s3_bucket", "lccu-evidence")),
        s3_derived_bucket=get("s3_derived_bucket"),
        s3_secure=_as_bool("LCCU_S3_SECURE", get("s3_secure", True)),
        s3_region=get("s3_region"),
        s3_retention_mode=mode,
        s3_retention_days=retention_days,
        redis_url=get("redis_url"),
        rules=rules,
    )
