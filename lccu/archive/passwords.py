"""The case's password list for encrypted archives: read once, never recorded.

The list is the investigator's (passwords found during the investigation, the suspect's
known ones). lccu tries each on encrypted content and records only that "a password from
the case list" opened something, never which one or the list itself.
"""

from __future__ import annotations

from pathlib import Path

from lccu.errors import InvalidInput

MAX_PASSWORDS = 10_000


def read_password_list(path: Path) -> tuple[str, ...]:
    """One password per line (UTF-8, trailing line ends stripped, blank lines skipped)."""
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"password list {path} is not UTF-8 text; save it as UTF-8") from exc
    except OSError as exc:
        raise InvalidInput(f"cannot read the password list {path}: {exc.strerror}") from exc
    passwords = tuple(dict.fromkeys(line.rstrip("\r\n") for line in text.splitlines()
                                    if line.strip()))
    if len(passwords) > MAX_PASSWORDS:
        raise InvalidInput(f"password list {path} has {len(passwords)} entries; at most "
                           f"{MAX_PASSWORDS} are tried (each costs a decryption attempt)")
    return passwords
