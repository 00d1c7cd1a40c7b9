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

As a program it runs a command with the cluster up and its URL (a user,
a password that trust ignores and that must never be shown, no database
name) in CAMPUSCUT_TEST_PG_URL:

    python3 tests/server/pgcluster.py -- build/tests/server/test-store
"""
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
START_TIMEOUT = 60          # seconds for pg_ctl to start or stop it
# a password that trust accepts and that the tests look for in logs
PASSWORD = "pg-secret-never-shown"


class PgError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self):
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            raise PgError(f"no PostgreSQL in {PG_BIN} (Debian: apt-get "
                          "install postgresql-15; scripts/bootstrap.sh "
                          "--with-tests)")
        self.as_root = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix="campuscut-pg-")
        self.data = os.path.join(self.dir, "data")
        self.sockets = os.path.join(self.dir, "s")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = None
        self.running = False
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

    def _run(self, argv, check=True, timeout=START_TIMEOUT):
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        p = subprocess.run(argv, capture_output=True, timeout=timeout,
                           cwd=self.dir)
        if check and p.returncode != 0:
            raise PgError(f"{' '.join(argv)}: exit {p.returncode}\n"
                          f"{p.stdout.decode()}{p.stderr.decode()}")
        return p

    def _pg_ctl(self, *args, check=True):
        return self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data,
                          "-t", str(START_TIMEOUT), *args], check=check,
                         timeout=START_TIMEOUT + 10)

    def start(self):
        """Starts it (on the port it had, or a free one); a port taken
        meanwhile means another try, three at most."""
        for attempt in range(3):
            port = self.port or free_port()
            opts = (f"-c listen_addresses=127.0.0.1 -p {port} "
                    f"-k {self.sockets} -c fsync=off "
                    "-c full_page_writes=off -c max_connections=60")
            p = self._pg_ctl("start", "-w", "-l", self.log, "-o", opts,
                             check=False)
            if p.returncode == 0:
                self.port = port
                self.running = True
                return
            if self.port:
                break
        raise PgError(f"PostgreSQL did not start:\n{self.log_text()}")

    def stop(self, mode="fast"):
        if self.running:
            self._pg_ctl("stop", "-w", "-m", mode, check=False)
            self.running = False

    def restart(self, mode="fast"):
        self.stop(mode)
        self.start()

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
            if self.running:
                if self._pg_ctl("stop", "-w", "-m", "fast",
                                check=False).returncode != 0:
                    self._pg_ctl("stop", "-w", "-m", "immediate",
                                 check=False)
                self.running = False
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
    with PgCluster() as pg:
        env = dict(os.environ, CAMPUSCUT_TEST_PG_URL=pg.url())
        child = subprocess.Popen(argv[2:], env=env)
        # meson's timeout is SIGTERM: the cluster still goes
        signal.signal(signal.SIGTERM,
                      lambda *a: child.send_signal(signal.SIGTERM))
        rc = child.wait()
        if rc != 0:
            print("PostgreSQL's log:\n" + pg.log_text()[-4000:])
        return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
