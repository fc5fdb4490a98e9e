"""What the app shares between requests: one Database, the settings and the web services."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from lccu.config import Settings
from lccu.evidence.access import Actor
from lccu.evidence.db import Database
from lccu.evidence.lab import Lab
from lccu.web.auth import LoginLimiter, Sessions, Tokens
from lccu.web.config import WebConfig
from lccu.web.processing import Processor
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
    #: signing keys unlocked at web login with the user's password, held in this server's
    #: memory only (never written) until logout
    unlocked: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, config: WebConfig) -> WebState:
        db = Database(settings.database_url)
        env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
        templates = Jinja2Templates(env=env)
        return cls(settings, config, db,
                   Sessions(db, config.secret_key, config.session_hours,
                            config.idle_minutes), Tokens(db, config.token_days),
                   LoginLimiter(config.login_failures, config.login_window_seconds),
                   UploadArea(config.max_upload_bytes, max_active=config.max_uploads,
                              per_user=config.uploads_per_user,
                              per_zone=config.uploads_per_zone,
                              chunk_bytes=config.upload_chunk_bytes,
                              idle_seconds=config.upload_idle_minutes * 60),
                   templates, Processor(lambda actor: Lab(settings, actor, db)))

    def lab(self, actor: Actor) -> Lab:
        """A Lab for one request; it shares the app's Database (never closed per request)
        and signs with the key the user's login unlocked, if any."""
        lab = Lab(self.settings, actor, self.db)
        key = self.unlocked.get(actor.username)
        if key is not None:
            lab.keys.hold(actor.username, key)
        return lab

    def unlock(self, username: str, password: str) -> bool:
        """At login: unlock the user's encrypted signing key with the password just checked
        (a key encrypted with another passphrase stays locked: signing is then refused)."""
        from lccu.errors import KeyStoreError
        from lccu.evidence.keys import KeyLocked, KeyStore

        keys = KeyStore(self.settings.key_dir, passphrase=lambda _name: password)
        if not keys.is_encrypted(username):
            return False
        try:
            self.unlocked[username] = keys.load(username)
        except (KeyLocked, KeyStoreError):  # a wrong passphrase, or a key left in clear
            return False
        return True

    def lock(self, username: str) -> None:
        """At logout: forget the unlocked key."""
        self.unlocked.pop(username, None)
