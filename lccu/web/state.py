"""What the app shares between requests: one Database, the settings and the web services."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from lccu.config import Settings
from lccu.evidence.db import Database
from lccu.evidence.lab import Lab
from lccu.web.auth import LoginLimiter, Principal, Sessions, Tokens
from lccu.web.config import WebConfig
from lccu.web.processing import Processor
from lccu.web.thumbs import PreviewSlots
from lccu.web.uploads import UploadArea

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class WebState:
    settings: Settings
    config: WebConfig
    db: Database
    sessions: Sessions
    tokens: Tokens
    limiter: LoginLimiter
    uploads: UploadArea
    templates: Jinja2Templates
    processor: Processor
    #: the videos' large previews made at once in this process (each runs ffmpeg)
    video_previews: PreviewSlots
    #: signing keys unlocked in a browser session (at login with the password, or with the
    #: key's own passphrase in the unlock form), by the session's hash: in this server's
    #: memory only, never written, dropped when the session ends (logout, idle timeout,
    #: expiry, revocation); API tokens hold none
    unlocked: dict[str, tuple[str, Ed25519PrivateKey]] = field(default_factory=dict)
    _swept: float = 0.0

    @classmethod
    def build(cls, settings: Settings, config: WebConfig) -> WebState:
        db = Database(settings.database_url)
        env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
        templates = Jinja2Templates(env=env)
        state = cls(
            settings,
            config,
            db,
            Sessions(db, config.secret_key, config.session_hours, config.idle_minutes),
            Tokens(db, config.token_days),
            LoginLimiter(config.login_failures, config.login_window_seconds),
            UploadArea(
                config.max_upload_bytes,
                max_active=config.max_uploads,
                per_user=config.uploads_per_user,
                per_zone=config.uploads_per_zone,
                chunk_bytes=config.upload_chunk_bytes,
                idle_seconds=config.upload_idle_minutes * 60,
            ),
            templates,
            Processor(lambda actor: Lab(settings, actor, db)),
            PreviewSlots(config.video_previews, config.video_preview_wait),
        )
        state.sessions.on_end = state.lock
        return state

    def lab(self, who: Principal) -> Lab:
        """A Lab for one request; it shares the app's Database (never closed per request).
        It signs with the key unlocked in the caller's browser session, or, for a script's
        token, with the key the request's ``X-Key-Passphrase`` header unlocks (for that
        request only); never with a passphrase from the server's environment."""
        lab = Lab(self.settings, who.actor, self.db)
        username = who.actor.username
        words = who.key_passphrase if who.via == "token" else None
        lab.keys.passphrase = (lambda name: words if name == username else None) if words else None
        lab.keys.unit_passphrase = None
        held = self.unlocked.get(who.session_hash or "") if who.via == "session" else None
        if held is not None and held[0] == username:
            lab.keys.hold(username, held[1])
        self.sweep()
        return lab

    def key_unlocked(self, who: Principal) -> bool:
        """Whether the caller's browser session holds their unlocked signing key."""
        held = self.unlocked.get(who.session_hash or "")
        return held is not None and held[0] == who.actor.username

    def unlock(self, session_hash: str | None, username: str, passphrase: str) -> bool:
        """Unlock ``username``'s signing key with ``passphrase`` for one browser session (at
        login with the password just checked, or from the unlock form); False when it does
        not open the key, or the key is missing or left in clear."""
        from lccu.errors import KeyStoreError
        from lccu.evidence.keys import KeyLocked, KeyStore

        if not session_hash:
            return False
        try:
            key = KeyStore(self.settings.key_dir).unlock(username, passphrase)
        except (KeyLocked, KeyStoreError):
            return False
        self.unlocked[session_hash] = (username, key)
        return True

    def lock(self, session_hash: str | None) -> None:
        """A session ended: forget the key it unlocked."""
        self.unlocked.pop(session_hash or "", None)

    def sweep(self, *, every: float = 30.0) -> None:
        """Drop the keys of sessions that ended unseen (idle or expired while their browser
        was closed): at most every ``every`` seconds, one query."""
        now = time.monotonic()
        if not self.unlocked or now - self._swept < every:
            return
        self._swept = now
        live = self.sessions.live(set(self.unlocked))
        for ended in set(self.unlocked) - live:
            self.lock(ended)
