"""Tables the web layer adds (migrations 0003, 0004, 0007): passwords, browser sessions,
API tokens.

Secrets are never stored: passwords as argon2 hashes, session ids and API tokens as SHA-256
of a 256-bit random value (a fast hash is enough for values nobody can guess).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lccu.evidence.models import Base


class WebCredential(Base):
    __tablename__ = "web_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))
    changed_at: Mapped[str] = mapped_column(String(40))


class WebSession(Base):
    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str] = mapped_column(String(40))
    revoked_at: Mapped[str | None] = mapped_column(String(40))
    # migration 0004: for the idle timeout; refreshed at most once a minute, not per request
    last_seen_at: Mapped[str | None] = mapped_column(String(40))


class ApiToken(Base):
    __tablename__ = "web_api_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(40))
    last_used_at: Mapped[str | None] = mapped_column(String(40))
    revoked_at: Mapped[str | None] = mapped_column(String(40))
    # migration 0007: a token ends at expires_at, and when its user's password, role or
    # zone changes (issued_role / issued_zone_id are what it was issued under)
    expires_at: Mapped[str | None] = mapped_column(String(40))
    issued_role: Mapped[str | None] = mapped_column(String(20))
    issued_zone_id: Mapped[int | None] = mapped_column(Integer)
    revoked_why: Mapped[str | None] = mapped_column(String(100))
