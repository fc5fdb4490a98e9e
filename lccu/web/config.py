"""Settings of the web layer, taken from the ``web_*`` fields of :class:`lccu.config.Settings`
(``LCCU_WEB_*``), where they are typed and checked with every other setting."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from lccu.config import Settings

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
    video_previews: int = 2  # videos' large previews made at once (one ffmpeg each)
    video_preview_wait: float = 3.0  # seconds a preview waits for a slot before a 503


def _secret(settings: Settings) -> str:
    """The cookie signing key: ``LCCU_WEB_SECRET`` or a random key kept in LCCU_HOME."""
    if settings.web_secret:
        return settings.web_secret
    path = Path(settings.home) / "web" / "secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_web_config(settings: Settings, *, host: str | None = None) -> WebConfig:
    """Secure cookies are on unless serving on loopback, or ``LCCU_WEB_SECURE_COOKIES``."""
    secure = host not in LOOPBACK if host else True
    if settings.web_secure_cookies is not None:
        secure = settings.web_secure_cookies
    return WebConfig(
        secret_key=_secret(settings),
        secure_cookies=secure,
        max_upload_bytes=settings.web_max_upload_bytes,
        idle_minutes=settings.web_idle_minutes,
        trusted_proxies=settings.web_trusted_proxies,
        token_days=settings.web_token_days,
        max_uploads=settings.web_max_uploads,
        uploads_per_user=settings.web_uploads_per_user,
        uploads_per_zone=settings.web_uploads_per_zone,
        upload_idle_minutes=settings.web_upload_idle_minutes,
    )
