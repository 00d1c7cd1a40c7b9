#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end tests of `campuscut serve`: the management commands, tokens and
sessions, tus uploads (interrupted, resumed, across a kill -9), the idle
timeout, and requests that must be refused without changing anything.

Each case starts its own server on 127.0.0.1 (port 0: the server prints the
URL it bound) with a temporary data folder, and stops it, even on failure.
Every wait is bounded in time and count. Standard library only.

    CAMPUSCUT_CLI=build/pipelines/campuscut python3 tests/server/test-serve.py [CASE...]

Ends with "Checks: N, Failures: F, Errors: E" (one check per case) and exits
non-zero on any failure.
"""
import base64
import hashlib
import http.client
import json
import os
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback

CLI = os.environ.get("CAMPUSCUT_CLI", "build/pipelines/campuscut")
TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"
START_TIMEOUT = 60          # seconds for a server to print its URL
REQUEST_TIMEOUT = 30        # seconds for one HTTP exchange
# what a server must never write to its log in these tests
SERVER_LOG_PROBLEMS = ("CRITICAL", "WARNING", "runtime error",
                       "AddressSanitizer", "LeakSanitizer")


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_until(cond, timeout, step=0.05, what="condition"):
    """Polls cond() until it is true; at most timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(step)
    raise Failure(f"timed out after {timeout} s waiting for {what}")


class Server:
    """One `campuscut serve` process on a data folder."""

    def __init__(self, data, *args):
        self.data = data
        self.log_path = os.path.join(data + ".log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [CLI, "serve", "--data", data, "--listen", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], START_TIMEOUT)
        line = self.proc.stdout.readline().decode() if ready else ""
        if "listening on http://" not in line:
            self.kill()
            raise Failure(f"server did not start: {line!r}\n{self.stderr()}")
        url = line.split("listening on ")[1].strip()
        hostport = url.split("//")[1].rstrip("/")
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)

    def stderr(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM; the server must end cleanly (exit 0) within 30 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
                raise Failure("server ignored SIGTERM")
        self.proc.stdout.close()
        self.log.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self.proc.stdout.close()
        self.log.close()

    def rss_kb(self, field="VmRSS"):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def sanitized(self):
        with open(f"/proc/{self.proc.pid}/maps") as f:
            return "libasan" in f.read()

    # -- HTTP --------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, token=None,
                cookie=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if cookie:
            h["Cookie"] = cookie
        c = http.client.HTTPConnection(self.host, self.port,
                                       timeout=REQUEST_TIMEOUT)
        chunked = h.get("Transfer-Encoding") == "chunked"
        if chunked:
            del h["Transfer-Encoding"]
        try:
            c.request(method, path, body=body, headers=h,
                      encode_chunked=chunked)
            r = c.getresponse()
            data = r.read()
            return r.status, r.headers, data
        finally:
            c.close()

    def json(self, method, path, **kw):
        status, headers, data = self.request(method, path, **kw)
        return status, headers, json.loads(data) if data else None

    def create(self, token, length, kind="video", filename="clip.mov"):
        meta = "filename %s,kind %s" % (b64(filename), b64(kind))
        status, headers, body = self.request(
            "POST", "/api/uploads", token=token,
            headers={**TUS, "Upload-Length": str(length),
                     "Upload-Metadata": meta})
        check(status == 201, f"create: {status} {body!r}")
        check(headers["Location"].startswith("/api/uploads/"),
              "create: Location")
        return headers["Location"]

    def patch(self, token, loc, offset, data, content_type=OFFSET_TYPE,
              extra=None):
        headers = {**TUS, "Upload-Offset": str(offset),
                   "Content-Type": content_type, **(extra or {})}
        return self.request("PATCH", loc, body=data, token=token,
                            headers=headers)

    def head_offset(self, token, loc):
        status, headers, _ = self.request("HEAD", loc, token=token,
                                          headers=TUS)
        check(status == 200, f"HEAD {loc}: {status}")
        return int(headers["Upload-Offset"])

    def raw(self):
        return socket.create_connection((self.host, self.port), timeout=10)

    def patch_head_bytes(self, token, loc, offset, length):
        return (f"PATCH {loc} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
                f"Upload-Offset: {offset}\r\nContent-Type: {OFFSET_TYPE}\r\n"
                f"Content-Length: {length}\r\n\r\n").encode()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def cli(data, *args):
    p = subprocess.run([CLI, "serve", "--data", data, *args],
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def setup_people(data):
    """Two units, a submitter in each, a reviewer: name -> token."""
    tokens = {}
    check(cli(data, "units", "add", "东城区", "--kind", "district")[0] == 0,
          "units add district")
    check(cli(data, "units", "add", "技师学院", "--kind", "college")[0] == 0,
          "units add college")
    for name, args in (("alice", ["--role", "submitter", "--unit", "东城区"]),
                       ("bob", ["--role", "submitter", "--unit", "技师学院"]),
                       ("rita", ["--role", "reviewer"])):
        rc, out, err = cli(data, "users", "add", name, *args)
        check(rc == 0, f"users add {name}: {rc} {err}")
        tokens[name] = out.strip()
    return tokens


class Case:
    """A temporary data folder and the servers started on it."""

    def __init__(self, tmp, name):
        self.data = os.path.join(tmp, name)
        self.servers = []

    def start(self, *args):
        s = Server(self.data, *args)
        self.servers.append(s)
        return s

    def cleanup(self):
        for s in self.servers:
            if s.alive():
                s.kill()


CASES = []


def case(func):
    CASES.append(func)
    return func


# ---------------------------------------------------------------------------

@case
def test_management_commands(c):
    data = c.data
    tokens = setup_people(data)
    for name, token in tokens.items():
        check(len(token) == 43 and "\n" not in token,
              f"{name}'s token is one line of 43 characters: {token!r}")
    check(len(set(tokens.values())) == 3, "tokens differ")
    rc, out, err = cli(data, "units", "add", "东城区", "--kind", "district")
    check(rc == 1 and "already" in err, f"duplicate unit refused: {rc} {err}")
    rc, _, _ = cli(data, "units", "add", "x", "--kind", "school")
    check(rc == 2, "unknown kind is a usage error")
    rc, _, _ = cli(data, "users", "add", "carl", "--role", "submitter")
    check(rc == 2, "a submitter needs a unit")
    rc, _, _ = cli(data, "users", "add", "carl", "--role", "admin",
                   "--unit", "东城区")
    check(rc == 2, "an admin has no unit")
    rc, _, err = cli(data, "users", "add", "carl", "--role", "submitter",
                     "--unit", "nowhere")
    check(rc == 1 and "nowhere" in err, "unknown unit refused")
    rc, out, _ = cli(data, "units", "list")
    check(rc == 0 and "东城区\tdistrict" in out and "技师学院\tcollege" in out,
          f"units list: {out}")
    rc, out, _ = cli(data, "users", "list")
    check(rc == 0 and "alice\tsubmitter\t东城区" in out
          and "rita\treviewer\t-" in out, f"users list: {out}")
    check(all(t not in out for t in tokens.values()),
          "users list shows no token")
    # only the hash is stored: not the token, in any of the database files
    db = sqlite3.connect(os.path.join(data, "campuscut.db"))
    rows = dict(db.execute("SELECT name, token_hash FROM users"))
    check(rows["alice"] == sha256(tokens["alice"].encode()),
          "the stored hash is the token's SHA-256")
    check(db.execute("PRAGMA journal_mode").fetchone()[0] == "wal",
          "the database is in WAL mode")
    check(db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
          == 4, "schema version 4")
    db.close()
    for fn in os.listdir(data):
        with open(os.path.join(data, fn), "rb") as f:
            raw = f.read()
        for t in tokens.values():
            check(t.encode() not in raw, f"a token is in {fn}")
    rc, out, _ = cli(data, "units", "remove", "东城区")
    check(rc == 1, "a unit with users cannot be removed")
    rc, _, _ = cli(data, "users", "remove", "alice")
    check(rc == 0, "users remove")
    rc, _, err = cli(data, "users", "remove", "alice")
    check(rc == 1 and "no user" in err, "removing twice fails")


@case
def test_health_and_tokens(c):
    tokens = setup_people(c.data)
    s = c.start("--jobs", "3")
    status, _, h = s.json("GET", "/api/health")
    check(status == 200 and h["database"]["ok"] is True
          and h["database"]["schema_version"] == 4 and h["jobs"] == 3
          and h["version"] and "namespaces" in h["sandbox"]
          and "bubblewrap" in h["sandbox"], f"health: {h}")
    status, headers, body = s.json("GET", "/api/me")
    check(status == 401 and headers["WWW-Authenticate"].startswith("Bearer"),
          f"no token: {status}")
    check(body["error"] == "unauthorized" and body["message"],
          "errors are JSON")
    status, headers, _ = s.json("GET", "/api/me", token="x" * 43)
    check(status == 401 and "invalid_token" in headers["WWW-Authenticate"],
          "wrong token: 401 invalid_token")
    status, _, _ = s.json("GET", "/api/me",
                          headers={"Authorization": "Basic YTpi"})
    check(status == 401, "basic auth: 401")
    status, _, me = s.json("GET", "/api/me", token=tokens["alice"])
    check(status == 200 and me["name"] == "alice" and me["role"] ==
          "submitter" and me["unit"] == {"name": "东城区", "kind": "district"}
          and me["auth"] == "token", f"me: {me}")
    # a new token: the old one stops working at once, server running
    rc, out, _ = cli(c.data, "users", "token", "alice")
    check(rc == 0 and len(out.strip()) == 43, "users token")
    status, _, _ = s.json("GET", "/api/me", token=tokens["alice"])
    check(status == 401, "the old token no longer works")
    status, _, _ = s.json("GET", "/api/me", token=out.strip())
    check(status == 200, "the new token works")
    check(s.stop() == 0, "SIGTERM: exit 0")


def login(s, token, **extra):
    body = json.dumps({"token": token, **extra})
    return s.request("POST", "/api/login", body=body,
                     headers={"Content-Type": "application/json"})


@case
def test_browser_session_and_csrf(c):
    tokens = setup_people(c.data)
    s = c.start()
    status, headers, body = login(s, tokens["alice"])
    check(status == 200, f"login: {status} {body!r}")
    set_cookie = headers["Set-Cookie"]
    for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
        check(attr in set_cookie, f"cookie has {attr}: {set_cookie}")
    cookie = set_cookie.split(";")[0]
    csrf = json.loads(body)["csrf_token"]
    status, _, me = s.json("GET", "/api/me", cookie=cookie)
    check(status == 200 and me["auth"] == "session"
          and me["csrf_token"] == csrf, f"me by cookie: {me}")
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"))
    stored = [r[0] for r in db.execute("SELECT id_hash FROM sessions")]
    check(stored == [sha256(cookie.split("=", 1)[1].encode())],
          "only the session id's hash is stored")

    meta = {**TUS, "Upload-Length": "10",
            "Upload-Metadata": "kind " + b64("video")}
    status, _, body = s.json("POST", "/api/uploads", cookie=cookie,
                             headers=meta)
    check(status == 403 and body["error"] == "csrf",
          f"no CSRF header: {status}")
    status, _, _ = s.json("POST", "/api/uploads", cookie=cookie,
                          headers={**meta, "X-CSRF-Token": "wrong"})
    check(status == 403, "wrong CSRF token: 403")
    status, _, _ = s.json("POST", "/api/uploads", cookie=cookie,
                          headers={**meta, "X-CSRF-Token": csrf,
                                   "Origin": "http://evil.example"})
    check(status == 403, "another origin: 403")
    count = db.execute("SELECT COUNT(*) FROM uploads").fetchone()[0]
    check(count == 0, "refused requests created nothing")
    origin = f"http://{s.host}:{s.port}"
    status, _, _ = s.json("POST", "/api/uploads", cookie=cookie,
                          headers={**meta, "X-CSRF-Token": csrf,
                                   "Origin": origin})
    check(status == 201, f"with the CSRF token: {status}")

    status, _, _ = login(s, "not-a-token")
    check(status == 401, "login with a wrong token: 401")
    status, _, _ = login(s, tokens["alice"], name="bob")
    check(status == 401, "login with another's name: 401")
    status, _, _ = s.request(
        "POST", "/api/login", body=json.dumps({"token": tokens["alice"]}),
        headers={"Content-Type": "application/json",
                 "Origin": "http://evil.example"})
    check(status == 403, "login from another origin: 403")
    status, _, _ = s.request("POST", "/api/logout", cookie=cookie)
    check(status == 403, "logout without the CSRF token: 403")
    status, headers, _ = s.request("POST", "/api/logout", cookie=cookie,
                                   headers={"X-CSRF-Token": csrf})
    check(status == 204 and "Max-Age=0" in headers["Set-Cookie"], "logout")
    status, _, _ = s.json("GET", "/api/me", cookie=cookie)
    check(status == 401, "the session has ended")
    db.close()
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_units_see_only_their_uploads(c):
    tokens = setup_people(c.data)
    s = c.start()
    loc = s.create(tokens["alice"], 5)
    for method in ("GET", "HEAD", "DELETE"):
        status, _, _ = s.request(method, loc, token=tokens["bob"],
                                 headers=TUS)
        check(status == 404, f"bob {method} alice's upload: {status}")
    status, _, _ = s.patch(tokens["bob"], loc, 0, b"12345")
    check(status == 404, f"bob PATCH alice's upload: {status}")
    status, _, lst = s.json("GET", "/api/uploads", token=tokens["bob"])
    check(status == 200 and lst["uploads"] == [], "bob's list is empty")
    status, _, lst = s.json("GET", "/api/uploads", token=tokens["alice"])
    check(len(lst["uploads"]) == 1, "alice's list has hers")
    status, _, up = s.json("GET", loc, token=tokens["rita"])
    check(status == 200 and up["offset"] == 0, "a reviewer sees every unit's")
    check(s.head_offset(tokens["alice"], loc) == 0, "bob changed nothing")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_tus_protocol(c):
    tokens = setup_people(c.data)
    t = tokens["alice"]
    s = c.start("--max-upload-size", "64")
    status, headers, _ = s.request("OPTIONS", "/api/uploads")
    check(status == 204 and headers["Tus-Version"] == "1.0.0"
          and headers["Tus-Resumable"] == "1.0.0"
          and set(headers["Tus-Extension"].split(",")) ==
          {"creation", "termination"}
          and headers["Tus-Max-Size"] == str(64 * 1024 * 1024),
          f"OPTIONS: {dict(headers)}")
    src = os.urandom(300000)
    loc = s.create(t, len(src), filename="../../etc/passwd")
    uid = loc.rsplit("/", 1)[1]
    check(len(uid) == 32, "ids are 32 hex digits")
    status, _, _ = s.request("POST", "/api/uploads", token=t, headers={
        "Upload-Length": "5", "Upload-Metadata": "kind " + b64("video")})
    check(status == 412, f"no Tus-Resumable: {status}")
    for meta, why in (("kind " + b64("movie"), "unknown kind"),
                      ("filename " + b64("a.mov"), "no kind"),
                      ("kind dmlkZW8", "bad base64")):
        status, _, _ = s.request("POST", "/api/uploads", token=t, headers={
            **TUS, "Upload-Length": "5", "Upload-Metadata": meta})
        check(status == 400, f"{why}: {status}")
    status, _, _ = s.request("POST", "/api/uploads", token=t, headers={
        **TUS, "Upload-Length": str(65 * 1024 * 1024),
        "Upload-Metadata": "kind " + b64("video")})
    check(status == 413, f"over the max size: {status}")
    status, _, _ = s.request("POST", "/api/uploads", token=t, headers={
        **TUS, "Upload-Length": str(17 * 1024 * 1024),
        "Upload-Metadata": "kind " + b64("logo")})
    check(status == 413, f"a logo over 16 MiB: {status}")

    pieces = [(0, 100000), (100000, 250000)]
    for start, end in pieces:
        status, headers, _ = s.patch(t, loc, start, src[start:end])
        check(status == 204 and headers["Upload-Offset"] == str(end),
              f"PATCH {start}-{end}: {status}")
        check(s.head_offset(t, loc) == end, "HEAD offset after a PATCH")
    status, headers, _ = s.patch(t, loc, 100000, src[100000:110000])
    check(status == 409 and headers["Upload-Offset"] == "250000",
          f"wrong offset: {status}")
    status, _, _ = s.patch(t, loc, 250000, src[250000:] + b"extra")
    check(status == 413, f"past the declared length: {status}")
    status, _, _ = s.patch(t, loc, 250000, src[250000:],
                           content_type="application/octet-stream")
    check(status == 415, f"wrong content type: {status}")
    status, _, _ = s.request("PATCH", loc, body=src[250000:], token=t,
                             headers={"Upload-Offset": "250000",
                                      "Content-Type": OFFSET_TYPE})
    check(status == 412, f"PATCH without Tus-Resumable: {status}")
    status, _, _ = s.patch(t, loc, 250000, iter([src[250000:]]),
                           extra={"Transfer-Encoding": "chunked"})
    check(status == 411, f"chunked PATCH: {status}")
    check(s.head_offset(t, loc) == 250000, "refused PATCHes changed nothing")
    status, _, _ = s.patch(t, loc, 250000, src[250000:])
    check(status == 204, "last PATCH")
    status, _, up = s.json("GET", loc, token=t)
    check(up["complete"] and up["sha256"] == sha256(src)
          and up["filename"] == "../../etc/passwd", f"complete: {up}")
    with open(os.path.join(c.data, "uploads", uid), "rb") as f:
        check(f.read() == src, "the file is the source, stored by id")
    check(sorted(os.listdir(os.path.join(c.data, "uploads"))) == [uid],
          "nothing but the id in uploads/")
    # termination
    status, _, _ = s.request("DELETE", loc, token=t)
    check(status == 412, "DELETE without Tus-Resumable")
    status, _, _ = s.request("DELETE", loc, token=t, headers=TUS)
    check(status == 204, f"DELETE: {status}")
    status, _, _ = s.request("HEAD", loc, token=t, headers=TUS)
    check(status == 404, "gone after DELETE")
    check(os.listdir(os.path.join(c.data, "uploads")) == [],
          "its file is gone")
    empty = s.create(t, 0)
    status, _, up = s.json("GET", empty, token=t)
    check(up["complete"] and up["sha256"] == sha256(b""), "an empty upload")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_interrupted_upload_resumes(c):
    tokens = setup_people(c.data)
    t = tokens["alice"]
    s = c.start()
    src = os.urandom(3 * 1024 * 1024)
    loc = s.create(t, len(src))
    sock = s.raw()
    sock.sendall(s.patch_head_bytes(t, loc, 0, len(src)))
    sock.sendall(src[:1024 * 1024])
    sock.close()                # cut off mid-body
    offset = wait_until(
        lambda: s.head_offset(t, loc) == 1024 * 1024 and 1024 * 1024, 10,
        what="the offset of the bytes that arrived")
    status, _, _ = s.patch(t, loc, offset, src[offset:])
    check(status == 204, f"resumed from HEAD's offset: {status}")
    status, _, up = s.json("GET", loc, token=t)
    check(up["complete"] and up["sha256"] == sha256(src),
          "the resumed file's SHA-256 is the source's")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_kill9_mid_upload(c):
    tokens = setup_people(c.data)
    t = tokens["alice"]
    s = c.start()
    src = os.urandom(24 * 1024 * 1024)
    loc = s.create(t, len(src))
    sock = s.raw()
    sock.sendall(s.patch_head_bytes(t, loc, 0, len(src)))
    sock.sendall(src[:8 * 1024 * 1024])
    wait_until(lambda: s.head_offset(t, loc) >= 4 * 1024 * 1024, 20,
               what="bytes to arrive")
    s.proc.kill()               # kill -9 mid-body
    s.proc.wait(30)
    sock.close()
    s.kill()
    s2 = c.start()
    offset = s2.head_offset(t, loc)
    size = os.path.getsize(os.path.join(c.data, "uploads",
                                        loc.rsplit("/", 1)[1]))
    check(0 < offset <= 8 * 1024 * 1024 and offset == size,
          f"after restart: offset {offset}, file {size}")
    status, _, _ = s2.patch(t, loc, offset, src[offset:])
    check(status == 204, f"resumed after kill -9: {status}")
    status, _, up = s2.json("GET", loc, token=t)
    check(up["complete"] and up["sha256"] == sha256(src),
          "SHA-256 after kill -9 and resume")
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"))
    check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
          "integrity_check")
    db.close()
    check(s2.stop() == 0, "SIGTERM: exit 0")


@case
def test_idle_client_dropped(c):
    tokens = setup_people(c.data)
    t = tokens["alice"]
    s = c.start("--idle-timeout", "2")
    loc = s.create(t, 100000)
    stalled = s.raw()
    stalled.sendall(s.patch_head_bytes(t, loc, 0, 100000) + b"x" * 1000)
    silent = s.raw()            # connects, never sends a byte
    t0 = time.monotonic()
    status, _, _ = s.patch(t, loc, 0, b"y" * 10)
    check(status in (409, 423), f"the stalled PATCH holds the upload: {status}")
    served = 0
    stalled.settimeout(0.2)
    dropped_at = None
    while time.monotonic() - t0 < 10 and dropped_at is None:
        q0 = time.monotonic()
        status, _, _ = s.request("GET", "/api/health")
        check(status == 200 and time.monotonic() - q0 < 3,
              "others are served meanwhile")
        served += 1
        try:
            if stalled.recv(4096) == b"":
                dropped_at = time.monotonic() - t0
        except socket.timeout:
            pass
        except ConnectionResetError:
            dropped_at = time.monotonic() - t0
    check(dropped_at is not None and 1.5 < dropped_at < 8,
          f"the stalled client is dropped after ~2 s: {dropped_at}")
    # a server blocked by the stalled client would answer none before the drop
    check(served >= 3, f"served {served} requests meanwhile")
    silent.settimeout(5)
    try:
        check(silent.recv(10) == b"", "a silent connection is dropped too")
    except ConnectionResetError:
        pass
    silent.close()
    stalled.close()
    offset = wait_until(lambda: s.head_offset(t, loc) == 1000 and 1000, 5,
                        what="the stalled bytes recorded")
    status, _, _ = s.patch(t, loc, offset, b"z" * (100000 - offset))
    check(status == 204, f"the upload is free again: {status}")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_bad_json_changes_nothing(c):
    tokens = setup_people(c.data)
    s = c.start()
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"))
    js = {"Content-Type": "application/json"}
    for body, code, why in (
            (b"{\"token\": ", 400, "malformed"),
            (b"[1, 2]", 400, "not an object"),
            (b"", 400, "empty"),
            (b"\xff\xfe{}", 400, "not UTF-8"),
            (json.dumps({"token": tokens["alice"], "admin": True}).encode(),
             400, "unknown field"),
            (json.dumps({"token": 5}).encode(), 400, "wrong type"),
            (json.dumps({"name": "alice"}).encode(), 400, "missing field"),
            (b"[" * 5000 + b"]" * 5000, 400, "deep nesting"),
            (json.dumps({"token": "a" * (70 * 1024)}).encode(), 413,
             "over 64 KiB")):
        status, _, reply = s.json("POST", "/api/login", body=body,
                                  headers=js)
        check(status == code and reply and reply.get("error"),
              f"{why}: {status} {reply}")
    status, _, _ = s.json("POST", "/api/login",
                          body=json.dumps({"token": tokens["alice"]}),
                          headers={"Content-Type": "text/plain"})
    check(status == 415, "not application/json: 415")
    # a chunked body over the limit is refused as it arrives
    chunks = iter([b"{\"token\": \"" + b"a" * 40000] * 3)
    status, _, _ = s.request("POST", "/api/login", body=chunks,
                             headers={**js, "Transfer-Encoding": "chunked"})
    check(status == 413, f"chunked over 64 KiB: {status}")
    check(db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0,
          "no session was created")
    status, _, _ = s.request("GET", "/api/me",
                             headers={"X-Big": "a" * 20000},
                             token=tokens["alice"])
    check(status == 431, f"headers over 16 KiB: {status}")
    try:
        status, _, _ = s.request("GET", "/api/health",
                                 headers={"X-Big": "a" * 100000})
        check(status >= 400, f"headers over 64 KiB: {status}")
    except (ConnectionError, http.client.HTTPException):
        pass                    # libsoup drops such a connection
    status, _, _ = s.request("GET", "/api/health")
    check(status == 200, "still serving")
    db.close()
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_path_traversal(c):
    tokens = setup_people(c.data)
    t = tokens["rita"]
    s = c.start()
    before = sorted(os.listdir(c.data))
    for path in ("/api/uploads/..%2F..%2Fcampuscut.db",
                 "/api/uploads/../campuscut.db",
                 "/api/uploads/%2E%2E",
                 "/api/uploads/ABCDEF0123456789ABCDEF0123456789",
                 "/api/uploads/0123456789abcdef0123456789abcdef/x",
                 "/api/uploads/0123456789abcdef0123456789abcde%00",
                 "/api/uploads/serve.lock"):
        for method in ("GET", "HEAD", "DELETE"):
            status, _, _ = s.request(method, path, token=t, headers=TUS)
            check(status in (400, 404), f"{method} {path}: {status}")
        status, _, _ = s.patch(t, path, 0, b"abc")
        check(status in (400, 404), f"PATCH {path}: {status}")
    check(sorted(os.listdir(c.data)) == before, "nothing changed on disk")
    check(os.path.exists(os.path.join(c.data, "campuscut.db")),
          "the database is still there")
    check(s.stop() == 0, "SIGTERM: exit 0")


def garbage(i, rnd):
    kinds = [
        lambda: bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 400))),
        lambda: b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * rnd.randint(0, 5),
        lambda: b"POST /api/login HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        lambda: b"POST /api/login HTTP/1.1\r\nContent-Length: 99999999999999"
                b"999999\r\n\r\n{}",
        lambda: b"PATCH /api/uploads/x HTTP/1.1\r\nHost: a\r\n"
                b"Transfer-Encoding: chunked\r\n\r\nzz\r\nnope\r\n",
        lambda: b"GET /\x00\x01 HTTP/1.1\r\n\r\n",
        lambda: b"\r\n\r\n\r\n",
        lambda: b"GET /api/health HTTP/9.9\r\nHost: a\r\n\r\n",
        lambda: b"GET http://other/api/health HTTP/1.1\r\nHost: a/b\r\n\r\n",
        lambda: b"HEAD " + b"/" * 20000 + b" HTTP/1.1\r\n\r\n",
        lambda: b"GET /api/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer "
                + b"\xff" * 300 + b"\r\n\r\n",
        lambda: b"POST /api/uploads HTTP/1.1\r\nHost: a\r\n"
                b"Content-Length: 5\r\n\r\nab",
    ]
    return kinds[i % len(kinds)]()


@case
def test_garbage_requests(c):
    import random
    setup_people(c.data)
    s = c.start("--idle-timeout", "3")
    rnd = random.Random(17)
    t0 = time.monotonic()
    for i in range(200):
        check(time.monotonic() - t0 < 120, "garbage took too long")
        sock = s.raw()
        sock.settimeout(5)
        got = b""
        try:
            sock.sendall(garbage(i, rnd))
            sock.shutdown(socket.SHUT_WR)
            # an answer's head, or the connection closed, is enough
            while b"\r\n\r\n" not in got:
                data = sock.recv(65536)
                if not data:
                    break
                got += data
        except (socket.timeout, ConnectionError):
            pass
        finally:
            sock.close()
    check(s.alive(), "the server survived 200 garbage requests")
    status, _, h = s.json("GET", "/api/health")
    check(status == 200 and h["status"] == "ok", "and still serves")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_memory_flat_during_large_upload(c):
    tokens = setup_people(c.data)
    t = tokens["alice"]
    s = c.start()
    if s.sanitized():
        print("  skipped: RSS means nothing under AddressSanitizer")
        s.stop()
        return "skip"
    block = os.urandom(1024 * 1024)
    total = 300 * 1024 * 1024
    loc = s.create(t, total)
    s.request("GET", "/api/health")
    rss_before = s.rss_kb()
    digest = hashlib.sha256()

    def body():
        for i in range(total // len(block)):
            chunk = block[:-4] + i.to_bytes(4, "big")
            digest.update(chunk)
            yield chunk

    status, _, _ = s.request("PATCH", loc, body=body(), token=t, headers={
        **TUS, "Upload-Offset": "0", "Content-Type": OFFSET_TYPE,
        "Content-Length": str(total)})
    check(status == 204, f"300 MB PATCH: {status}")
    rss_after, peak = s.rss_kb(), s.rss_kb("VmHWM")
    print(f"  VmRSS {rss_before} kB before, {rss_after} kB after, "
          f"peak {peak} kB")
    check(peak - rss_before < 30 * 1024,
          f"memory stays flat: grew {peak - rss_before} kB")
    status, _, up = s.json("GET", loc, token=t)
    check(up["complete"] and up["sha256"] == digest.hexdigest(),
          "300 MB SHA-256")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_connections_do_not_leak(c):
    tokens = setup_people(c.data)
    s = c.start()
    s.request("GET", "/api/health")
    fds = len(os.listdir(f"/proc/{s.proc.pid}/fd"))
    for i in range(300):
        conn = http.client.HTTPConnection(s.host, s.port, timeout=10)
        conn.request("GET", "/api/me",
                     headers={"Authorization": "Bearer " + tokens["alice"]})
        conn.getresponse().read()
        conn.close()
    grown = wait_until(
        lambda: (lambda n: n if n - fds < 20 else None)(
            len(os.listdir(f"/proc/{s.proc.pid}/fd"))), 10,
        what="closed connections to be let go")
    print(f"  {fds} file descriptors before 300 connections, {grown} after")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_one_server_per_data_folder(c):
    setup_people(c.data)
    s = c.start()
    p = subprocess.run([CLI, "serve", "--data", c.data, "--listen",
                        "127.0.0.1:0"], capture_output=True, timeout=60)
    check(p.returncode == 1 and b"in use" in p.stderr,
          f"a second server is refused: {p.returncode} {p.stderr!r}")
    rc, _, _ = cli(c.data, "units", "add", "第三区", "--kind", "district")
    check(rc == 0, "management commands work while the server runs")
    check(s.stop() == 0, "SIGTERM: exit 0")


def run_cases(cases, argv, prefix, after=None):
    """Runs the cases named in argv (all without names), each with its own
    data folder; a server that logged a problem fails its case, except for
    lines with one of the case's c.expected_log strings. after(data) runs
    after each case. Ends with the summary line; returns the exit code."""
    only = set(argv[1:])
    checks = failures = errors = 0
    tmp = tempfile.mkdtemp(prefix=prefix)
    try:
        for func in cases:
            if only and func.__name__ not in only:
                continue
            c = Case(tmp, func.__name__)
            c.tmp = tmp
            c.expected_log = []
            t0 = time.monotonic()
            try:
                result = func(c)
                for srv in c.servers:
                    log = "\n".join(
                        line for line in srv.stderr().splitlines()
                        if not any(a in line for a in c.expected_log))
                    check(not any(w in log for w in SERVER_LOG_PROBLEMS),
                          f"the server logged a problem:\n{log}")
                if result == "skip":
                    continue
                checks += 1
                print(f"PASS {func.__name__} ({time.monotonic() - t0:.1f} s)")
            except Failure as e:
                checks += 1
                failures += 1
                print(f"FAIL {func.__name__}: {e}")
                for srv in c.servers:
                    print("  server stderr:\n" + srv.stderr())
            except Exception:
                checks += 1
                errors += 1
                print(f"ERROR {func.__name__}:\n{traceback.format_exc()}")
                for srv in c.servers:
                    print("  server stderr:\n" + srv.stderr())
            finally:
                c.cleanup()
                if after:
                    after(c.data)
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"Checks: {checks}, Failures: {failures}, Errors: {errors}")
    return 1 if failures or errors or checks == 0 else 0


def main(argv):
    return run_cases(CASES, argv, "campuscut-serve-")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
