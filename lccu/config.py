"""Every setting of lccu in one typed object, read from the environment and a TOML file.

Precedence: the environment variable ``LCCU_<NAME>``, then the key ``<name>`` of the
``[lccu]`` table in the TOML file (``LCCU_CONFIG``, else ``$LCCU_HOME/lccu.toml``), then the
default. An empty variable counts as unset. With nothing set, lccu runs on one machine:
SQLite and a local evidence directory under ``LCCU_HOME``, stages in-process.

A variable or key lccu does not know, and a value of the wrong type or out of range, is a
:class:`~lccu.errors.ConfigError` naming it (exit 2 on the command line): a typo such as
``LCCU_SEGMENT_SIZ`` must not leave the default silently in force. The only ``LCCU_*``
variables that are not settings are listed in :data:`NOT_SETTINGS`.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass as std_dataclass
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import ConfigDict, Field, ValidationError, field_validator
from pydantic.dataclasses import dataclass

from lccu.archive.limits import ExpansionLimits
from lccu.errors import ConfigError

PREFIX = "LCCU_"
MIB = 1024 * 1024
#: ``LCCU_*`` variables that are not settings: where the settings file is, and what the test
#: fixtures and benchmarks read (names starting with LCCU_TEST_ or LCCU_BENCH_ too)
NOT_SETTINGS = {
    "LCCU_CONFIG": "path of the TOML settings file",
    "LCCU_CORPUS": "test corpus folder (lccu.testing.corpus)",
}
HARNESS_PREFIXES = ("LCCU_TEST_", "LCCU_BENCH_")
#: settings whose value is never printed; URLs have their password masked
SECRETS = frozenset({"s3_secret_key", "web_secret", "passphrase", "new_passphrase",
                     "unit_passphrase", "archive_secret"})
URLS = frozenset({"database_url", "redis_url"})
#: settings that only the environment can give (the TOML file is found through them)
ENVIRONMENT_ONLY = frozenset({"home"})
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MASK = "********"
_ARCHIVE = ExpansionLimits()  # the archive engine's own defaults


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class Settings:
    """Everything lccu reads from its environment, resolved and checked once.

    Each field is ``LCCU_<FIELD>`` in the environment and ``<field>`` in ``lccu.toml``; the
    descriptions are what ``lccu config show`` and the README tables say."""

    home: Path = Field(description="SQLite database, keys, anchors, local evidence store")
    database_url: str = Field(description="case database (SQLAlchemy URL)")
    user: str | None = Field(None, description="acting user (or --as)")
    key_dir: Path = Field(Path(), description="private signing keys")
    passphrase: str | None = Field(None, description="passphrase of the acting user's "
                                   "signing key (else asked in a terminal)")
    new_passphrase: str | None = Field(None, description="passphrase a new signing key is "
                                       "encrypted with (`lccu user add`, `lccu user "
                                       "rotate-key`, `lccu key passphrase`, `lccu key "
                                       "protect`; else asked; none: refused, no key is "
                                       "stored in clear)")
    unit_passphrase: str | None = Field(None, description="passphrase of the unit key, "
                                        "held by the unit's admins (else asked in a "
                                        "terminal; none: the unit key is not created)")
    key_kdf: Literal["standard", "test"] = Field(
        "standard", description="argon2id cost of new key files: standard, or test (cheap, "
        "for test suites only)")
    unit_public_key: str | None = Field(
        None, pattern=r"^[0-9a-fA-F]{64}$", description="the unit key's public half as noted "
        "in the unit's procedures (`lccu unit key`); custody verify checks the key registry "
        "against it (default: the unit key in the key directory)")
    anchor_dir: Path = Field(Path(), description="custody head anchors")
    evidence_dir: Path = Field(Path(), description="local evidence store (embedded mode)")
    s3_endpoint: str | None = Field(None, description="S3 evidence store host:port")
    s3_access_key: str | None = Field(None, description="S3 access key")
    s3_secret_key: str | None = Field(None, description="S3 secret key")
    s3_bucket: str = Field("lccu-evidence", min_length=3, description="evidence bucket")
    s3_derived_bucket: str | None = Field(None, description="bucket of derived files "
                                          "(default: the evidence bucket)")
    s3_secure: bool = Field(True, description="TLS to the S3 store")
    s3_region: str | None = Field(None, description="S3 region")
    s3_retention_mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(
        "GOVERNANCE", description="object-lock mode of evidence objects")
    s3_retention_days: int = Field(3650, ge=1, description="object-lock retention in days")
    s3_timeout: float = Field(60.0, gt=0, le=3600, description="seconds one S3 request may "
                              "wait for the server (to connect, for each read) before the "
                              "server counts as stalled and the request fails (not retried)")
    redis_url: str | None = Field(None, description="Dramatiq broker of shared workers")
    rules: tuple[Path, ...] = Field((), description="extra YARA rule files or directories "
                                    "(:-separated)")
    debug: bool = Field(False, description="tracebacks for internal errors (exit 3)")
    segment_size: int = Field(1024 * MIB, ge=MIB, description="carve/YARA segment of a "
                              "processing run, bytes (at least 1 MiB)")
    lease_seconds: int = Field(60, ge=1, description="stage lease; renewed every lease/4")
    max_attempts: int = Field(8, ge=1, description="claims before a stage with transient "
                              "errors fails")
    yara_threads: int = Field(2, ge=1, le=64, description="YARA threads per segment job")
    fs_budget_seconds: float = Field(1800.0, ge=0, description="wall-clock budget of one "
                                     "file-system listing (0: none)")
    broker_namespace: str = Field("dramatiq", min_length=1, description="Redis key prefix")
    broker_heartbeat_ms: int = Field(60000, ge=1, description="when Redis requeues a dead "
                                     "worker's tokens")
    broker_maintenance: int = Field(1000, ge=0, le=1_000_000, description="per million Redis "
                                    "commands, how often that is checked")
    worker_processes: int = Field(1, ge=1, le=64, description="lccu worker --processes")
    worker_threads: int = Field(1, ge=1, le=64, description="lccu worker --threads")
    worker_max_restarts: int = Field(5, ge=0, le=1000, description="lccu worker "
                                     "--max-restarts")
    worker_restart_window: float = Field(60.0, gt=0, description="lccu worker "
                                         "--restart-window, seconds")
    worker_restart_delay: float = Field(1.0, gt=0, description="lccu worker --restart-delay, "
                                        "seconds")
    archive_max_depth: int = Field(_ARCHIVE.max_depth, ge=0, description="archive members "
                                   "of members opened this deep")
    archive_max_total_bytes: int = Field(_ARCHIVE.max_total_bytes, ge=0, description="bytes "
                                         "expanded per top-level container")
    archive_max_members: int = Field(_ARCHIVE.max_members, ge=0, description="members listed "
                                     "per container")
    archive_max_ratio: int = Field(_ARCHIVE.max_ratio, ge=0, description="expanded/compressed "
                                   "size of one member")
    archive_ratio_floor: int = Field(_ARCHIVE.ratio_floor, ge=0, description="members smaller "
                                     "than this are never stopped for their ratio")
    archive_secret: str | None = Field(
        None, pattern=r"^[0-9a-fA-F]{64}$", description="AES-256 key (64 hex digits) sealing a "
        "run's case password list in the derived store; every worker of the unit needs the "
        "same (default: a random key kept in LCCU_HOME/archive/secret)")
    archive_max_member_in_memory: int = Field(_ARCHIVE.max_member_in_memory, ge=0,
                                              description="largest member read whole (PDF "
                                              "streams)")
    source_timezone: str | None = Field(None, description="IANA time zone of source machines "
                                        "when an item records none (Europe/Brussels)")
    zone_source_timezones: tuple[tuple[str, str], ...] = Field(
        (), description="per police zone default source time zone: ZONE=IANA pairs separated "
        "by ';' (a TOML table in lccu.toml)")
    worker_metrics_port: int = Field(0, ge=0, le=65535, description="lccu worker: port of "
                                     "the Prometheus endpoint (0: none)")
    worker_metrics_host: str = Field("127.0.0.1", min_length=1, description="lccu worker: "
                                     "address the Prometheus endpoint listens on")
    web_secret: str | None = Field(None, description="cookie signing key (default: a random "
                                   "key kept in LCCU_HOME/web/secret)")
    web_secure_cookies: bool | None = Field(None, description="Secure cookies (default: on "
                                            "unless serving on loopback)")
    web_max_upload_bytes: int = Field(4 * 1024**4, ge=1, description="largest upload")
    web_idle_minutes: float = Field(30.0, gt=0, le=7 * 24 * 60, description="a web session "
                                    "unused this long is ended")
    web_trusted_proxies: tuple[Network, ...] = Field(
        (), description="peers whose X-Forwarded-For is believed (comma-separated)")
    web_token_days: int = Field(90, ge=1, le=365, description="lifetime of a new API token "
                                "that asks for none")
    web_max_uploads: int = Field(8, ge=1, le=1000, description="uploads in progress on the "
                                 "web server")
    web_uploads_per_user: int = Field(2, ge=1, le=1000, description="uploads in progress per "
                                      "user")
    web_uploads_per_zone: int = Field(4, ge=1, le=1000, description="uploads in progress per "
                                      "zone of the uploader")
    web_upload_idle_minutes: float = Field(30.0, gt=0, le=24 * 60, description="an upload "
                                           "receiving nothing this long is abandoned")
    upload_grace_minutes: float = Field(60.0, gt=0, le=30 * 24 * 60, description="partial "
                                        "files, unfinished S3 multipart uploads and staging "
                                        "copies of an intake that stopped (server killed) are "
                                        "removed once this old, unless the intake still "
                                        "renews its lease")

    @field_validator("rules", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(Path(p) for p in value.split(os.pathsep) if p)
        return value

    @field_validator("s3_retention_mode", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("web_trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        parts = value.split(",") if isinstance(value, str) else value
        if not isinstance(parts, list | tuple):
            return value
        networks: list[Network] = []
        for part in parts:
            if isinstance(part, ipaddress.IPv4Network | ipaddress.IPv6Network):
                networks.append(part)
            elif str(part).strip():
                try:
                    networks.append(ipaddress.ip_network(str(part).strip(), strict=False))
                except ValueError:
                    raise ValueError(f"{str(part).strip()!r} is not an IP address or "
                                     "network") from None
        return tuple(networks)

    @field_validator("source_timezone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        return _check_zone(value) if value else None

    @field_validator("zone_source_timezones", mode="before")
    @classmethod
    def _zone_pairs(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            pairs = list(value.items())
        elif isinstance(value, str):
            pairs = []
            for part in (p for p in value.split(";") if p.strip()):
                zone, sep, name = part.partition("=")
                if not sep or not zone.strip():
                    raise ValueError(f"{part.strip()!r} is not ZONE=IANA")
                pairs.append((zone.strip(), name.strip()))
        else:
            return value
        return tuple((str(zone), _check_zone(str(name))) for zone, name in pairs)

    def default_timezone(self, zone: str | None) -> str | None:
        """The source time zone for an item of police ``zone`` that records none."""
        return dict(self.zone_source_timezones).get(zone or "", self.source_timezone)

    @property
    def embedded(self) -> bool:
        """True when no servers are configured: SQLite, local store, in-process actors."""
        return self.s3_endpoint is None and self.redis_url is None


def _check_zone(name: str) -> str:
    from lccu.fs.times import source_zone

    try:
        source_zone(name)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return name.strip()


NAMES = tuple(f.name for f in fields(Settings))


def env_name(field: str) -> str:
    return PREFIX + field.upper()


@std_dataclass(frozen=True)
class Source:
    """Where one setting's value came from: ``environment``, ``file`` (``detail``: its path)
    or ``default``."""

    kind: str
    detail: str = ""

    def describe(self, field: str, shown: str) -> str:
        """The setting and its value as the user wrote it, for an error message."""
        if self.kind == "environment":
            return f"{env_name(field)}={shown!r} in the environment"
        if self.kind == "file":
            return f"{field} = {shown!r} in {self.detail}"
        return f"{field} = {shown!r}"


def _toml_path(environ: Mapping[str, str], home: Path) -> tuple[Path, bool]:
    explicit = environ.get("LCCU_CONFIG")
    return (Path(explicit), True) if explicit else (home / "lccu.toml", False)


def _load_toml(path: Path, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigError(f"LCCU_CONFIG points to {path}, which does not exist")
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(f"{path}: cannot read the settings file: {exc}") from exc
    if set(data) - {"lccu"}:
        extra = ", ".join(sorted(set(data) - {"lccu"}))
        raise ConfigError(f"{path}: unknown top-level key(s) {extra}; lccu reads only the "
                          "[lccu] table")
    section = data.get("lccu", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [lccu] must be a table")
    return section


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    return f" (did you mean {close[0]}?)" if close else ""


def _check_names(environ: Mapping[str, str], toml: Mapping[str, Any], path: Path) -> None:
    known_env = [env_name(n) for n in NAMES]
    for key, value in environ.items():
        if not key.startswith(PREFIX) or value == "" or key in NOT_SETTINGS:
            continue
        if key.startswith(HARNESS_PREFIXES) or key in known_env:
            continue
        raise ConfigError(f"unknown setting {key} in the environment{_suggest(key, known_env)};"
                          " `lccu config show` lists the settings")
    file_keys = [n for n in NAMES if n not in ENVIRONMENT_ONLY]
    for key in toml:
        if key in ENVIRONMENT_ONLY:
            raise ConfigError(f"{path}: {key} can only be set in the environment "
                              f"({env_name(key)}), the settings file is found through it")
        if key not in file_keys:
            raise ConfigError(f"{path}: unknown setting {key!r}{_suggest(key, file_keys)}; "
                              "`lccu config show` lists the settings")


def _shown(field: str, value: Any) -> str:
    """A value as an error message or `lccu config show` may print it."""
    if value is None:
        return ""
    if field in SECRETS:
        return MASK
    if field in URLS and isinstance(value, str):
        return mask_url(value)
    if isinstance(value, tuple | list):
        sep = os.pathsep if field == "rules" else ","
        return sep.join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def mask_url(url: str) -> str:
    """``scheme://user:********@host/...``: the password of a database or Redis URL hidden."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:" if parts.username else ":"
    return urlunsplit(parts._replace(netloc=f"{user}{MASK}@{host}"))


def _home(environ: Mapping[str, str]) -> Path:
    from platformdirs import user_data_path

    return Path(environ.get("LCCU_HOME") or user_data_path("lccu", appauthor=False)).expanduser()


def resolve(env: Mapping[str, str] | None = None) -> tuple[Settings, dict[str, Source]]:
    """The settings and where each value came from (``lccu config show``)."""
    environ = os.environ if env is None else env
    home = _home(environ)
    path, explicit = _toml_path(environ, home)
    toml = _load_toml(path, explicit)
    _check_names(environ, toml, path)
    values: dict[str, Any] = {"home": home}
    sources: dict[str, Source] = {"home": Source("environment" if environ.get("LCCU_HOME")
                                                 else "default")}
    for name in NAMES:
        if name == "home":
            continue
        if environ.get(env_name(name), "") != "":
            values[name], sources[name] = environ[env_name(name)], Source("environment")
        elif name in toml:
            values[name], sources[name] = toml[name], Source("file", str(path))
        else:
            sources[name] = Source("default")
    derived = {"database_url": f"sqlite:///{home / 'lccu.sqlite3'}", "key_dir": home / "keys",
               "anchor_dir": home / "anchors", "evidence_dir": home / "evidence"}
    for name, default in derived.items():
        values.setdefault(name, default)
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, values, sources)) from None
    return settings, sources


def _explain(exc: ValidationError, values: Mapping[str, Any],
             sources: Mapping[str, Source]) -> str:
    """One line per bad value, naming the variable or key and what is expected."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        shown = _shown(field, values.get(field))
        source = sources.get(field, Source("default"))
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{source.describe(field, shown)}: {message}")
    return "bad setting " + "; ".join(lines)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check the settings now (tests pass ``env`` instead of the process's)."""
    return resolve(env)[0]


_current: dict[tuple[Any, ...], Settings] = {}


def current_settings() -> Settings:
    """This process's settings, re-read only when an ``LCCU_*`` variable or the settings file
    changed (for code deep in a stage that is not handed the Settings object)."""
    environ = os.environ
    path, _ = _toml_path(environ, _home(environ))
    try:
        stat = path.stat()
        stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = None
    key = (tuple(sorted((k, v) for k, v in environ.items() if k.startswith(PREFIX))),
           str(path), stamp)
    if key not in _current:
        _current.clear()
        _current[key] = load_settings()
    return _current[key]


def effective(settings: Settings) -> dict[str, str]:
    """``LCCU_<NAME>`` -> value as text, secrets masked (``lccu config show``)."""
    return {env_name(n): _shown(n, getattr(settings, n)) for n in NAMES}
