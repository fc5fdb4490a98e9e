"""Settings of the web layer, read from ``LCCU_WEB_*`` variables (the library's Settings
stay untouched)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lccu.config import Settings
from lccu.errors import ConfigError

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
DEFAULT_MAX_UPLOAD = 4 * 1024**4  # a large disk image; chunks stream into the store
DEFAULT_IDLE_MINUTES = 30.0
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class WebConfig:
    secret_key: str
    secure_cookies: bool = True
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    upload_chunk_bytes: int = 16 * 1024 * 1024  # what the upload page sends per request
    session_hours: int = 10
    login_failures: int = 5
    login_window_seconds: int = 300
    idle_minutes: float = DEFAULT_IDLE_MINUTES  # a session unused this long is ended
    trusted_proxies: tuple[Network, ...] = ()  # peers whose X-Forwarded-For is believed
    token_days: int = 90  # lifetime of a new API token unless it asks for less (1..365)
    max_uploads: int = 8  # uploads in progress on the server (each buffers up to 2 chunks)
    uploads_per_user: int = 2
    uploads_per_zone: int = 4
    upload_idle_minutes: float = 30.0  # an upload receiving nothing this long is abandoned


def _secret(settings: Settings, env: Mapping[str, str]) -> str:
    """The cookie signing key: ``LCCU_WEB_SECRET`` or a random key kept in LCCU_HOME."""
    if env.get("LCCU_WEB_SECRET"):
        return env["LCCU_WEB_SECRET"]
    path = Path(settings.home) / "web" / "secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_web_config(settings: Settings, *, host: str | None = None,
                    env: Mapping[str, str] | None = None) -> WebConfig:
    """Secure cookies are on unless serving on loopback, or ``LCCU_WEB_SECURE_COOKIES``."""
    environ = os.environ if env is None else env
    secure = host not in LOOPBACK if host else True
    flag = environ.get("LCCU_WEB_SECURE_COOKIES", "").strip().lower()
    if flag:
        if flag not in {"0", "1", "true", "false", "yes", "no", "on", "off"}:
            raise ConfigError("LCCU_WEB_SECURE_COOKIES must be true or false")
        secure = flag in {"1", "true", "yes", "on"}
    try:
        max_upload = int(environ.get("LCCU_WEB_MAX_UPLOAD_BYTES") or DEFAULT_MAX_UPLOAD)
    except ValueError as exc:
        raise ConfigError("LCCU_WEB_MAX_UPLOAD_BYTES must be a whole number of bytes") from exc
    return WebConfig(secret_key=_secret(settings, environ), secure_cookies=secure,
                     max_upload_bytes=max_upload, idle_minutes=_idle_minutes(environ),
                     trusted_proxies=parse_networks(environ.get("LCCU_WEB_TRUSTED_PROXIES", "")),
                     token_days=_whole(environ, "LCCU_WEB_TOKEN_DAYS", 90, 1, 365, "days"),
                     max_uploads=_whole(environ, "LCCU_WEB_MAX_UPLOADS", 8, 1, 1000,
                                        "uploads"),
                     uploads_per_user=_whole(environ, "LCCU_WEB_UPLOADS_PER_USER", 2, 1, 1000,
                                             "uploads"),
                     uploads_per_zone=_whole(environ, "LCCU_WEB_UPLOADS_PER_ZONE", 4, 1, 1000,
                                             "uploads"),
                     upload_idle_minutes=_whole(environ, "LCCU_WEB_UPLOAD_IDLE_MINUTES", 30, 1,
                                                24 * 60, "minutes"))


def _whole(environ: Mapping[str, str], name: str, default: int, low: int, high: int,
           unit: str) -> int:
    """A whole-number setting within [low, high], or :class:`ConfigError` naming it."""
    text = environ.get(name, "").strip()
    try:
        value = int(text) if text else default
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number of {unit} from {low} to {high}")
    return value


def _idle_minutes(environ: Mapping[str, str]) -> float:
    text = environ.get("LCCU_WEB_IDLE_MINUTES", "").strip()
    try:
        minutes = float(text) if text else DEFAULT_IDLE_MINUTES
    except ValueError:
        minutes = -1.0
    if not 0 < minutes <= 7 * 24 * 60:
        raise ConfigError("LCCU_WEB_IDLE_MINUTES must be a number of minutes above 0")
    return minutes


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.1, 192.168.0.0/24"`` as networks (a bare address is a /32 or /128)."""
    networks: list[Network] = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError as exc:
            raise ConfigError(f"LCCU_WEB_TRUSTED_PROXIES: {part.strip()!r} is not an IP "
                              "address or network") from exc
    return tuple(networks)
