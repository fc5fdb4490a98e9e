"""lccu.testing.corpus: locating the shared corpus."""

from __future__ import annotations

import hashlib

import pytest

from lccu.errors import ConfigError
from lccu.testing.corpus import corpus_dir, corpus_file


def test_default_corpus_holds_pytsk_image_with_published_sha256() -> None:
    """corpus_file finds pytsk/image.raw and its bytes hash to GROUND_TRUTH's SHA-256."""
    path = corpus_file("pytsk", "image.raw")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == (
        "a9c0220b1dadd1812fc4bbe137f495d2c3b88c7b33b5a4de545d201fd31b3bc0"
    )


def test_env_var_overrides_corpus_dir(tmp_path, monkeypatch) -> None:
    """LCCU_CORPUS redirects corpus_dir, and a missing file there is a clear ConfigError."""
    monkeypatch.setenv("LCCU_CORPUS", str(tmp_path))
    assert corpus_dir() == tmp_path.resolve()
    with pytest.raises(ConfigError, match="LCCU_CORPUS"):
        corpus_file("pytsk", "image.raw")
