"""A throwaway PostgreSQL server for tests: initdb in a temporary folder, a free port on 127.0.0.1,
password authentication over TCP, stopped at the end. Needs Debian's `postgresql` package; the
tests skip with the reason when its binaries are missing, except in CI, where that is an error."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

ADMIN_PASSWORD = "admin-pw-for-tests"


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_postgres():
    """Yield the admin connection URL of a fresh server whose files live in a new temporary folder
    (under the system's temporary folder, which the postgres user can reach; pytest's are private)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        import pytest  # only the tests skip; a benchmark checks postgres_bin() first

        reason = "PostgreSQL server binaries (Debian package postgresql) are not installed"
        if os.environ.get("CI"):
            pytest.fail(reason + "; .ci/run installs them")
        pytest.skip(reason)
    # initdb and the server refuse to run as root: run them as the package's postgres user
    as_user = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="revenue-warehouse-pg-"))
    data, sockets, pwfile = folder / "data", folder / "sockets", folder / "pwfile"
    sockets.mkdir()
    pwfile.write_text(ADMIN_PASSWORD)
    if as_user:
        for path in (folder, sockets, pwfile):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = _free_port()
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)  # noqa: E731
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", f"--pwfile={pwfile}",
        "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "server.log"),
        "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1", "start")
    try:
        yield f"postgresql://postgres:{ADMIN_PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
