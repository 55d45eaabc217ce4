"""Run a command against throwaway, real PostgreSQL and Redis servers.

    python tests/servers.py -- pytest ...

Starts both servers on free loopback ports in a temporary directory, exports ``DATABASE_URL``,
``REDIS_URL`` and ``CELERY_BROKER_URL`` to the command, and stops and removes them afterwards, whatever
the command's outcome (Ctrl-C and SIGTERM included). Missing server packages are installed with apt-get
when running as root; otherwise the script says exactly what to install and exits non-zero.

PostgreSQL refuses to run as root, so as root its binaries run through ``runuser -u postgres`` in a
directory owned by that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PG_USER = "postgres"
CHROMIUM = "/usr/bin/chromium"
DB_NAME = "backoffice"


def log(message: str) -> None:
    print(f"[test-servers] {message}", file=sys.stderr, flush=True)


def is_root() -> bool:
    return os.geteuid() == 0


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian keeps them in /usr/lib/postgresql/N/bin)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name), reverse=True
    )
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def ensure_packages() -> None:
    missing = []
    if postgres_bindir() is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    # The browser tests drive Debian's Chromium through Playwright (no browser download).
    if not Path(CHROMIUM).exists():
        missing.append("chromium")
    # Korean text in screenshots needs a Hangul font; without one every syllable renders as a box.
    if not Path("/usr/share/fonts/truetype/nanum").exists():
        missing.append("fonts-nanum")
    if not missing:
        return
    if is_root() and shutil.which("apt-get"):
        log(f"installing {' '.join(missing)} with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env)
        return
    sys.exit(
        "The test suite needs real PostgreSQL and Redis servers and Chromium, and these are missing: "
        f"{', '.join(missing)}.\nInstall them with:  sudo apt-get install -y {' '.join(missing)}\n"
        "(the packages only need to be installed; make test starts and stops its own servers)."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"Nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *command] if is_root() else command


@contextlib.contextmanager
def postgres_server(root: Path) -> Iterator[str]:
    bindir = postgres_bindir()
    assert bindir is not None
    workdir = root / "postgres"
    workdir.mkdir()
    if is_root():
        shutil.chown(root, user=PG_USER)
        shutil.chown(workdir, user=PG_USER)
        root.chmod(0o755)
    data = workdir / "data"
    port = free_port()
    subprocess.run(
        as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                PG_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # Durability is pointless for a throwaway test server and costs most of the run time.
    options = (
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(workdir / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        subprocess.run(
            as_postgres([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", PG_USER, DB_NAME]),
            check=True,
        )
        log(f"PostgreSQL {bindir.parent.name} on 127.0.0.1:{port}")
        yield f"postgres://{PG_USER}@127.0.0.1:{port}/{DB_NAME}"
    finally:
        subprocess.run(
            as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


@contextlib.contextmanager
def redis_server(root: Path) -> Iterator[str]:
    workdir = root / "redis"
    workdir.mkdir()
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--logfile",
            str(workdir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        log(f"Redis on 127.0.0.1:{port}")
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_packages()

    # SIGTERM (CI cancelling the job) must still run the finally blocks that stop the servers.
    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    root = Path(tempfile.mkdtemp(prefix="backoffice-test-servers-"))
    try:
        with postgres_server(root) as database_url, redis_server(root) as redis_url:
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": f"{redis_url}/0",
                "CELERY_BROKER_URL": f"{redis_url}/1",
                # Tells the test suite that real servers are promised: a test needing one fails, never skips.
                "BACKOFFICE_TEST_SERVERS": "1",
            }
            return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        return 130
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
