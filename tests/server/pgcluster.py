#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A throwaway PostgreSQL 15 cluster for the tests (Debian's package).

    with PgCluster() as pg:
        url = pg.create_db("store")     # postgresql://…@127.0.0.1:PORT/store
        pg.restart()
        pg.psql("store", "SELECT 1")

The cluster lives in a temporary folder owned by the `postgres` system
user when the tests run as root (initdb refuses root), listens on
127.0.0.1 only, on a free port, with its socket in its own folder, trust
authentication for 127.0.0.1 only, and no fsync (nothing in it outlives
the test). It is stopped and removed at the end, also on failure. Every
wait is bounded.

`postgres` runs as a child of the test, in its process group (no pg_ctl,
which moves it to a session of its own): meson's timeout, a SIGTERM to
the group and a SIGKILL half a second later, takes it down with the
test. Its port stays reserved (a socket bound to it, not listening)
from the moment it stops until it has started again, so that nothing
else takes it meanwhile.

As a program it runs a command with the cluster up and its URL (a user,
a password that trust ignores and that must never be shown, no database
name) in CAMPUSCUT_TEST_PG_URL; without PostgreSQL installed, it runs the
command without the variable (test-store then skips its PostgreSQL
cases):

    python3 tests/server/pgcluster.py -- build/tests/server/test-store
"""
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PG_BIN = os.environ.get("CAMPUSCUT_PG_BIN", "/usr/lib/postgresql/15/bin")
PSQL = "/usr/bin/psql"
START_TIMEOUT = 60          # seconds for it to start or stop
# a password that trust accepts and that the tests look for in logs
PASSWORD = "pg-secret-never-shown"
# how each stop mode is asked of the postmaster
STOP_SIGNALS = {"smart": signal.SIGTERM, "fast": signal.SIGINT,
                "immediate": signal.SIGQUIT}


class PgError(Exception):
    pass


def installed():
    return os.path.exists(os.path.join(PG_BIN, "initdb"))


def reserve_port(port=0):
    """A socket bound to 127.0.0.1:port (0: a free one), not listening:
    the kernel hands the port to no one else, and postgres (which binds
    with SO_REUSEADDR too) may still bind it."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    return s


class PgCluster:
    def __init__(self):
        if not installed():
            raise PgError(f"no PostgreSQL in {PG_BIN} (Debian: apt-get "
                          "install postgresql-15; scripts/bootstrap.sh "
                          "--with-tests)")
        self.as_root = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix="campuscut-pg-")
        self.data = os.path.join(self.dir, "data")
        self.sockets = os.path.join(self.dir, "s")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = None
        self.proc = None
        try:
            os.mkdir(self.sockets, 0o700)
            if self.as_root:
                pw = pwd.getpwnam("postgres")
                for d in (self.dir, self.sockets):
                    os.chown(d, pw.pw_uid, pw.pw_gid)
                # the folder must be reachable by postgres from /
                if self._run(["test", "-w", self.dir],
                             check=False).returncode != 0:
                    raise PgError(f"the postgres user cannot reach "
                                  f"{self.dir}: set TMPDIR to a folder it "
                                  "can traverse")
            self._run([os.path.join(PG_BIN, "initdb"), "-D", self.data,
                       "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
                       "--no-sync", "--auth=trust"])
            with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
                f.write("local all all trust\n"
                        "host all all 127.0.0.1/32 trust\n")
            self.start()
        except BaseException:
            self.close()
            raise

    def _user(self):
        """Popen's arguments that run a program as postgres (as root)."""
        if not self.as_root:
            return {}
        pw = pwd.getpwnam("postgres")
        return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}

    def _run(self, argv, check=True, timeout=START_TIMEOUT):
        p = subprocess.run(argv, capture_output=True, timeout=timeout,
                           cwd=self.dir, **self._user())
        if check and p.returncode != 0:
            raise PgError(f"{' '.join(argv)}: exit {p.returncode}\n"
                          f"{p.stdout.decode()}{p.stderr.decode()}")
        return p

    def _ready(self):
        return self._run([os.path.join(PG_BIN, "pg_isready"), "-q", "-h",
                          "127.0.0.1", "-p", str(self.port), "-t", "2"],
                         check=False, timeout=10).returncode == 0

    def start(self):
        """Starts it on the port it had, or a free one."""
        reserved = reserve_port(self.port or 0)
        try:
            self.port = reserved.getsockname()[1]
            with open(self.log, "a") as log:
                self.proc = subprocess.Popen(
                    [os.path.join(PG_BIN, "postgres"), "-D", self.data,
                     "-c", "listen_addresses=127.0.0.1", "-p", str(self.port),
                     "-k", self.sockets, "-c", "fsync=off",
                     "-c", "full_page_writes=off",
                     "-c", "max_connections=60"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    cwd=self.dir, **self._user())
            deadline = time.monotonic() + START_TIMEOUT
            while not self._ready():
                if self.proc.poll() is not None or \
                        time.monotonic() > deadline:
                    self._stop("immediate")
                    raise PgError("PostgreSQL did not start:\n"
                                  + self.log_text())
                time.sleep(0.1)
        finally:
            reserved.close()

    def _stop(self, mode):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(STOP_SIGNALS[mode])
            try:
                self.proc.wait(START_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(START_TIMEOUT)
        self.proc = None

    def stop(self, mode="fast"):
        self._stop(mode)

    @contextlib.contextmanager
    def down(self, mode="fast"):
        """Stopped for the with block, then started again (also when the
        block fails) on the same port, which nothing else can take
        meanwhile (connections to it are refused)."""
        self._stop(mode)
        reserved = reserve_port(self.port)
        try:
            try:
                yield
            finally:
                self.start()
        finally:
            reserved.close()

    def restart(self, mode="fast"):
        with self.down(mode):
            pass

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def url(self, db="", password=True):
        auth = f"postgres:{PASSWORD}" if password else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{db}"

    def psql(self, db, sql):
        """Runs sql; its output, unaligned and without headers."""
        p = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v",
                            "ON_ERROR_STOP=1", "-d", self.url(db, False),
                            "-c", sql], capture_output=True, timeout=60)
        if p.returncode != 0:
            raise PgError(f"psql {sql!r}: {p.stderr.decode()}")
        return p.stdout.decode().strip()

    def create_db(self, name):
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self):
        """Stops it (immediately if a fast stop fails) and removes it."""
        try:
            self._stop("fast")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print("usage: pgcluster.py -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    child = None

    def on_term(*args):
        if child:
            child.send_signal(signal.SIGTERM)
        sys.exit(143)
    # meson's timeout is SIGTERM: the cluster still goes, even if it
    # comes while initdb runs
    signal.signal(signal.SIGTERM, on_term)
    if not installed():
        print(f"no PostgreSQL in {PG_BIN}: the command runs without it",
              file=sys.stderr)
        return subprocess.call(argv[2:])
    with PgCluster() as pg:
        env = dict(os.environ, CAMPUSCUT_TEST_PG_URL=pg.url())
        child = subprocess.Popen(argv[2:], env=env)
        rc = child.wait()
        if rc != 0:
            print("PostgreSQL's log:\n" + pg.log_text()[-4000:])
        return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
