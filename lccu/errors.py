"""One exception tree for lccu.

Every error an analyst or operator can meet derives from :class:`LccuError`; the CLI is
the only place where one becomes an exit code and a one-line message. Errors also inherit
from the matching builtin so that generic handlers (``except PermissionError``) keep working.
"""

from __future__ import annotations

from collections.abc import Mapping


class LccuError(Exception):
    """Base of every error lccu raises on purpose.

    ``key`` and ``params`` (optional) name the message for readers who do not read the
    English text: the web shows ``err_<key>`` of its dictionary in the page's language with
    ``params`` filled in; the CLI and the REST API show the English message as it is.
    """

    exit_code = 2
    #: already written to the audit log as a refusal (by the access gate, or by the intake
    #: that refused it): whoever sees it next does not audit it again (audited once)
    audited = False

    def __init__(
        self, *args: object, key: str | None = None, params: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(*args)
        self.key = key
        self.params: dict[str, object] = dict(params or {})


class ConfigError(LccuError, ValueError):
    """The configuration (environment, TOML file) is missing or inconsistent."""


class SchemaMismatch(ConfigError):
    """The case database's schema is older or newer than this lccu: the message names the
    command that fixes it (``lccu db upgrade``, or installing the matching lccu)."""


class NotFound(LccuError, LookupError):
    """A zone, user, case or evidence item that does not exist (or is not visible)."""


class AlreadyExists(LccuError, ValueError):
    """Creating something whose unique name or number is already taken."""


class InvalidInput(LccuError, ValueError):
    """Input that is malformed: a hash of the wrong length, an empty file, a bad name."""


class InputTooLarge(InvalidInput):
    """More bytes than this way in takes (an upload over the server's limit, or more than
    its declared size); nothing was kept."""


class AccessDenied(LccuError, PermissionError):
    """The acting user may not do this; the refusal itself has been written to the audit log."""

    exit_code = 1


class NotVisible(NotFound, AccessDenied):
    """A refusal that answers as :class:`NotFound`, word for word: the object is in a case
    of another zone that is not shared with the actor's, and any other answer would tell
    that it exists (and whose it is). The gate audits it as refused, with the real reason;
    the exit code, HTTP status and message are those of an unknown reference, and an
    ``except PermissionError`` still catches it."""

    exit_code = 2


class CustodyError(LccuError):
    """The chain of custody could not be written or read."""


class VerificationFailed(CustodyError):
    """A custody log, export file or evidence hash did not verify."""

    exit_code = 1


class KeyStoreError(LccuError):
    """A signing key is missing, unreadable or has unsafe permissions."""


class StorageError(LccuError, OSError):
    """The evidence store (local directory or S3) failed or refused an operation."""


class StoreUnavailable(StorageError):
    """The store could not be reached after bounded retries; nothing was recorded."""


class IntegrityError(StorageError):
    """Bytes read back do not match the hashes recorded for them."""

    exit_code = 1


class DeclaredHashMismatch(LccuError, ValueError):
    """The bytes handed in do not hash to the acquisition hashes declared for them.

    Raised before the store commits, so nothing was stored: the copy handed in is not the
    acquired image (a broken transfer, the wrong file) and must not become evidence.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        mismatched: list[str],
        declared: dict[str, str],
        observed: dict[str, str],
        key: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, key=key, params=params)
        self.mismatched, self.declared, self.observed = mismatched, declared, observed


class ImageFormatError(LccuError, ValueError):
    """An evidence image is truncated, corrupt or of an unknown format."""


class FileSystemError(LccuError):
    """A volume or file system could not be read."""


class CarveError(LccuError):
    """Carving failed on a segment."""


class ScanError(LccuError):
    """YARA rules could not be compiled or a scan failed."""


class RuleError(ScanError):
    """A YARA rule file is invalid; the message names the file and line."""


class TaskError(LccuError):
    """A processing stage failed."""


class PermanentTaskError(TaskError):
    """A processing stage failed for a reason retrying cannot fix (corrupt image, bad rules)."""
