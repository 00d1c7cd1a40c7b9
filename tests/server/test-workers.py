#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end tests of `campuscut worker` and the worker API: a server with
--jobs 0 and workers that claim, run and report its jobs over HTTP alone.

  the protocol by hand: who may use it, held claims woken by a new job,
    inputs with Range, leases lost and their late calls refused (a late
    finish's uploads dropped), checksums, three lost leases fail a job;
  three workers process twelve jobs, each exactly once, and a platform
    cut made again runs whole on one;
  refused tokens end a worker (exit 1); SIGTERM mid-job gives the job
    back uncounted (exit 0), its processes and scratch gone;
  kill -9 of a worker mid-job: its job finishes on another, once;
  SIGSTOP of a worker past its lease, then SIGCONT: its late result is
    refused, the job keeps the replacing attempt's outputs;
  a finish with outputs of the wrong types is refused (400), the server
    alive; held claims of workers that went are closed (the server's
    descriptors back to where they were); every third release of a job
    counts its attempt; a finish the store failed to record (500) is
    recorded whole when tried again; a SQLite server restarted under a
    worker's job leaves it to the worker (attempt 1); SIGTERM while the
    outputs go gives the job back.

The servers, the HTTP helpers, the people and the media come from
test-serve.py and test-jobs.py. Every wait is bounded; every process
started is killed, even on failure.

    CAMPUSCUT_CLI=build/pipelines/campuscut \\
    GST_PLUGIN_PATH_1_0=build/plugins python3 tests/server/test-workers.py [CASE...]

Ends with "Checks: N, Failures: F, Errors: E" (one check per case).
"""
import importlib.util
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, file):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


jt = _load("jobs_tests", "test-jobs.py")
st = jt.st
check, wait_until, Failure = st.check, st.wait_until, st.Failure
CLI, TUS, JS = st.CLI, st.TUS, jt.JS
LEASE = 6                   # seconds: a few renewals even on a loaded machine
QUICK_OUTPUTS = jt.OUTPUTS - {"platform.mp4"}
JOB_TIMEOUT = jt.JOB_TIMEOUT


# -- helpers -----------------------------------------------------------------

def worker_token(data, name="w1"):
    rc, out, err = st.cli(data, "users", "add", name, "--role", "worker")
    check(rc == 0, f"users add {name} --role worker: {rc} {err}")
    return out.strip()


def sandbox_args(s):
    """--no-sandbox where this machine cannot make one, as the server's
    health says."""
    _, _, h = s.json("GET", "/api/health")
    return [] if h["sandbox"]["namespaces"] else ["--no-sandbox"]


class Worker:
    """One `campuscut worker` process."""

    def __init__(self, c, s, token, name, *args):
        self.log_path = os.path.join(c.tmp, f"{c.name}-{name}.log")
        self.log = open(self.log_path, "ab")
        self.scratch = os.path.join(c.tmp, f"{c.name}-scratch")
        self.proc = subprocess.Popen(
            [CLI, "worker", "--server", f"http://{s.host}:{s.port}/",
             "--token", token, "--scratch", self.scratch, "--jobs", "1",
             *args], stdout=subprocess.DEVNULL, stderr=self.log,
            stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        c.workers.append(self)

    def stderr(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def lines(self, job_id, what):
        return [line for line in self.stderr().splitlines()
                if f"job {job_id}" in line and what in line]

    def stop(self):
        """SIGTERM: the worker must end cleanly (exit 0) within 30 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
                raise Failure("worker ignored SIGTERM")
        self.log.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGCONT)
            except OSError:
                pass
            self.proc.kill()
            self.proc.wait(30)
        if not self.log.closed:
            self.log.close()


def running(pid):
    """Whether a process runs (a zombie not yet reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def db_value(data, sql, *params):
    db = sqlite3.connect(os.path.join(data, "campuscut.db"), timeout=30)
    try:
        return db.execute(sql, params).fetchone()
    finally:
        db.close()


def lease_owner(data, job_id):
    row = db_value(data, "SELECT lease_owner FROM jobs WHERE id = ?", job_id)
    return row[0] if row else None


def owner_pid(owner):
    """The pid in a worker's owner name, worker/USER/HOST:PID:SLOT."""
    return int(owner.rsplit(":", 2)[1])


def output_uploads(data):
    return db_value(data, "SELECT count(*) FROM uploads WHERE kind = 'output'"
                    )[0]


def scratch_left(root):
    """What any attempt left under the workers' scratch root: the running
    workers' own (locked) folders hold their lock alone."""
    left = []
    for name in os.listdir(root) if os.path.isdir(root) else []:
        if name != "cache":
            left += [os.path.join(name, n)
                     for n in os.listdir(os.path.join(root, name))
                     if n != ".lock"]
    return left


def start_server(c, *extra):
    return c.start("--jobs", "0", "--lease-seconds", str(LEASE),
                   "--retry-delay", "0", *extra)


def claim(s, token, worker, wait=0):
    return s.json("POST", "/api/worker/claim", token=token, headers=JS,
                  body=json.dumps({"worker": worker, "wait": wait}))


def worker_post(s, token, job_id, action, **body):
    return s.json("POST", f"/api/worker/jobs/{job_id}/{action}", token=token,
                  headers=JS, body=json.dumps(body))


def output_meta(filename, claimed):
    """An output's Upload-Metadata: the attempt it is an output of."""
    return ",".join(f"{k} {st.b64(v)}" for k, v in (
        ("kind", "output"), ("filename", filename), ("job", claimed["id"]),
        ("attempt", str(claimed["attempt"])), ("owner", claimed["owner"])))


def create_output(s, token, length, filename, claimed):
    """POST /api/uploads for an output of the claimed attempt: (status,
    location)."""
    status, headers, body = s.request(
        "POST", "/api/uploads", token=token, headers={
            **TUS, "Upload-Length": str(length),
            "Upload-Metadata": output_meta(filename, claimed)})
    return status, headers.get("Location")


def send_output(s, token, data, filename, claimed):
    status, loc = create_output(s, token, len(data), filename, claimed)
    check(status == 201, f"output created: {status}")
    status, _, _ = s.patch(token, loc, 0, data)
    check(status == 204, f"output upload: {status}")
    return loc.rsplit("/", 1)[1]


# -- cases -------------------------------------------------------------------

CASES = []


def case(func):
    """A case whose workers' logs are shown when it fails."""
    def run(c):
        try:
            return func(c)
        except Exception:
            for w in c.workers:
                print(f"  worker {w.log_path}:\n{w.stderr()}")
            raise
    run.__name__ = func.__name__
    CASES.append(run)
    return run


@case
def test_protocol_by_hand(c):
    tokens = st.setup_people(c.data)
    t, rita = tokens["alice"], tokens["rita"]
    wt = worker_token(c.data)
    s = c.start("--jobs", "0", "--lease-seconds", str(LEASE),
                "--retry-delay", "0")

    # who may use what
    for method, path in (("GET", "/api/jobs"), ("GET", "/api/me"),
                         ("GET", "/api/uploads"),
                         ("GET", "/api/review/queue")):
        status, _, body = s.json(method, path, token=wt)
        check(status == 403, f"a worker's token on {path}: {status} {body}")
    status, _, _ = s.json("POST", "/api/login", headers=JS,
                          body=json.dumps({"token": wt}))
    check(status == 403, f"a worker's token logs in: {status}")
    for who in (t, rita):
        status, _, body = claim(s, who, "x")
        check(status == 403, f"a person's token claims: {status} {body}")
    status, _, _ = s.request(
        "POST", "/api/uploads", token=t, headers={
            **TUS, "Upload-Length": "3",
            "Upload-Metadata": f"kind {st.b64('output')}"})
    check(status == 403, f"a submitter sends an output: {status}")
    status, _, _ = s.request(
        "POST", "/api/uploads", token=wt, headers={
            **TUS, "Upload-Length": "3",
            "Upload-Metadata": f"kind {st.b64('video')}"})
    check(status == 403, f"a worker uploads a video: {status}")
    clip = jt.media(c.tmp, "clip4.mp4", 4)
    video = jt.upload(s, t, clip)
    status, _, _ = s.request("HEAD", f"/api/uploads/{video}", token=wt,
                             headers=TUS)
    check(status == 404, f"a worker sees a submitter's upload: {status}")

    # a held claim: none within its wait, then woken at once by a job
    t0 = time.monotonic()
    status, _, _ = claim(s, wt, "hand-1", wait=1.5)
    check(status == 204 and time.monotonic() - t0 >= 1.4,
          f"nothing queued: 204 after the wait ({status})")
    got = {}

    def held():
        got["reply"] = claim(s, wt, "hand-1", wait=20)
        got["at"] = time.monotonic()
    waiting = threading.Thread(target=held)
    waiting.start()
    time.sleep(1)
    job = jt.new_job(s, t, **jt.quick(video))
    queued_at = time.monotonic()
    waiting.join(30)
    status, _, a1 = got["reply"]
    check(status == 200 and a1["id"] == job["id"] and a1["attempt"] == 1,
          f"the held claim got the job: {status} {a1}")
    check(got["at"] - queued_at < 5, "woken at once, not at the wait's end")
    check(a1["lease_seconds"] == LEASE and a1["owner"].endswith("/hand-1")
          and a1["options"] == job["options"], f"the claim: {a1}")
    check(jt.get_job(s, t, job["id"])["state"] == "running", "running")

    # the input, with Range, its ETag its SHA-256
    with open(clip, "rb") as f:
        body = f.read()
    inp = a1["inputs"][0]
    check(inp["kind"] == "video" and inp["length"] == len(body)
          and inp["sha256"] == st.sha256(body), f"input {inp}")
    status, h, part = s.request("GET", inp["location"], token=wt,
                                headers={"Range": "bytes=100-"})
    check(status == 206 and part == body[100:]
          and h["ETag"] == f'"{st.sha256(body)}"', f"Range: {status}")
    status, _, _ = s.request("GET", inp["location"], token=t)
    check(status == 403, "a submitter fetches a worker's input")

    # renewals carry the progress to the job
    status, _, r = worker_post(s, wt, job["id"], "renew", attempt=1,
                               owner=a1["owner"], progress=0.25,
                               phase="encode")
    check(status == 200 and r["lease_seconds"] == LEASE, f"renew: {status} {r}")
    # an output names the attempt it is of, which its worker must hold
    for meta in (f"kind {st.b64('output')}",
                 f"kind {st.b64('output')},job {st.b64(job['id'])},"
                 f"owner {st.b64(a1['owner'])}",
                 output_meta("log", {**a1, "attempt": "x"})):
        status, _, _ = s.request("POST", "/api/uploads", token=wt, headers={
            **TUS, "Upload-Length": "3", "Upload-Metadata": meta})
        check(status == 400, f"an output without its attempt: {status}")
    for other in ({**a1, "attempt": 2}, {**a1, "owner": "worker/1/x:1:0"}):
        status, _ = create_output(s, wt, 3, "log", other)
        check(status == 409, f"an output of an attempt not held: {status}")
    # sent while attempt 1 holds, named by its finish once it no longer does
    late_body = b'{"late": true}'
    late = send_output(s, wt, late_body, "report.json", a1)
    stale = send_output(s, wt, late_body, "report.json", a1)
    j = jt.get_job(s, t, job["id"])
    check(j["progress"] == 0.25 and j["phase"] == "encode", f"progress {j}")

    # the lease runs out: queued again (the attempt counted), claimed anew
    wait_until(lambda: jt.get_job(s, t, job["id"])["state"] == "queued",
               30, step=0.2, what="the lost lease queued again")
    status, _, a2 = claim(s, wt, "hand-2")
    check(status == 200 and a2["attempt"] == 2, f"attempt 2: {a2}")
    status, _ = create_output(s, wt, 3, "log", a1)
    check(status == 409, f"attempt 1 sends an output once lost: {status}")
    for action, extra in (("renew", {"progress": 0.5}),
                          ("finish", {"status": 0, "outputs": [
                              {"name": "report.json", "upload": late,
                               "sha256": st.sha256(late_body)}]}),
                          ("release", {})):
        status, _, r = worker_post(s, wt, job["id"], action, attempt=1,
                                   owner=a1["owner"], **extra)
        check(status == 409 and r["error"] == "lease_lost",
              f"attempt 1's {action}: {status} {r}")
    status, _, _ = s.request("GET", inp["location"], token=wt)
    check(status == 409, f"attempt 1 fetches its input: {status}")
    status, _, _ = s.request("HEAD", f"/api/uploads/{late}", token=wt,
                             headers=TUS)
    check(status == 404, "the late finish's upload is dropped")

    report = b'{"result": {"status": "done"}}'
    # an output of attempt 1's, or one upload under two names: refused,
    # the uploads dropped
    status, _, r = worker_post(s, wt, job["id"], "finish", attempt=2,
                               owner=a2["owner"], status=0, outputs=[
                                   {"name": "report.json", "upload": stale,
                                    "sha256": st.sha256(late_body)}])
    check(status == 400 and "not an output of this attempt" in r["message"],
          f"attempt 1's output in attempt 2's finish: {status} {r}")
    twice = send_output(s, wt, report, "report.json", a2)
    status, _, r = worker_post(s, wt, job["id"], "finish", attempt=2,
                               owner=a2["owner"], status=0, outputs=[
                                   {"name": "report.json", "upload": twice,
                                    "sha256": st.sha256(report)},
                                   {"name": "full.mp4", "upload": twice,
                                    "sha256": st.sha256(report)}])
    check(status == 400 and "named twice" in r["message"],
          f"one upload under two names: {status} {r}")
    check(output_uploads(c.data) == 0, "their uploads dropped")

    # a checksum that is not the bytes: refused, the upload dropped
    bad = send_output(s, wt, report, "report.json", a2)
    status, _, r = worker_post(s, wt, job["id"], "finish", attempt=2,
                               owner=a2["owner"], status=0, outputs=[
                                   {"name": "report.json", "upload": bad,
                                    "sha256": st.sha256(b"other")}])
    check(status == 400 and r["error"] == "checksum_mismatch",
          f"a wrong SHA-256: {status} {r}")
    check(output_uploads(c.data) == 0, "its upload dropped")

    # attempt 2 finishes; attempt 1 still cannot
    good = send_output(s, wt, report, "report.json", a2)
    log = send_output(s, wt, b"the log\n", "attempt-2.log", a2)
    status, _, r = worker_post(s, wt, job["id"], "finish", attempt=2,
                               owner=a2["owner"], status=3,
                               message="too short", outputs=[
                                   {"name": "report.json", "upload": good,
                                    "sha256": st.sha256(report)},
                                   {"name": "log", "upload": log,
                                    "sha256": st.sha256(b"the log\n")}])
    check(status == 200 and r["state"] == "rejected", f"finish: {status} {r}")
    j = jt.get_job(s, t, job["id"])
    check(j["state"] == "rejected" and j["attempt"] == 2
          and j["reason"] == "too short" and j["exit_code"] == 3
          and [o["name"] for o in j["outputs"]] == ["report.json"]
          and j["outputs"][0]["sha256"] == st.sha256(report), f"job {j}")
    check(len(j["errors"]) == 2 and "lease expired" in j["errors"][0]
          ["reason"], f"errors {j['errors']}")
    entries = sorted(os.listdir(os.path.join(c.data, "jobs", job["id"])))
    check(entries == ["attempt-2.log", "out"], f"job folder {entries}")
    with open(os.path.join(c.data, "jobs", job["id"], "out",
                           "report.json"), "rb") as f:
        check(f.read() == report, "out/report.json is attempt 2's")
    status, _ = create_output(s, wt, 2, "report.json", a2)
    check(status == 409, f"an output of an attempt that ended: {status}")
    again = "0" * 32
    status, _, _ = worker_post(s, wt, job["id"], "finish", attempt=1,
                               owner=a1["owner"], status=0, outputs=[
                                   {"name": "report.json", "upload": again,
                                    "sha256": st.sha256(b"{}")}])
    check(status == 409, "a finish after the end: 409")
    check(jt.get_job(s, t, job["id"])["outputs"] == j["outputs"]
          and output_uploads(c.data) == 0, "nothing changed")
    with open(os.path.join(c.data, "jobs", job["id"], "out",
                           "report.json"), "rb") as f:
        check(f.read() == report, "out/report.json is attempt 2's still")

    # a job whose worker dies three times (its lease lost) fails
    job2 = jt.new_job(s, t, **jt.quick(video))
    for n in (1, 2, 3):
        status, _, a = wait_until(
            lambda: (lambda r: r if r[0] == 200 else None)(
                claim(s, wt, f"doomed-{n}")), 30, step=0.3,
            what=f"claim {n}")
        check(a["id"] == job2["id"] and a["attempt"] == n, f"claim {a}")
        wait_until(lambda: jt.get_job(s, t, job2["id"])["state"] != "running",
                   30, step=0.2, what=f"lease {n} lost")
    j2 = jt.get_job(s, t, job2["id"])
    check(j2["state"] == "failed" and len(j2["errors"]) == 3,
          f"failed after three lost leases: {j2}")
    status, _, _ = claim(s, wt, "doomed-4")
    check(status == 204, "nothing left to claim")

    # outputs a dead worker never finished go after a day
    jt.new_job(s, t, **jt.quick(video))
    status, _, a3 = claim(s, wt, "hand-3")
    check(status == 200, f"claim: {status} {a3}")
    status, forgotten = create_output(s, wt, 10, "full.mp4", a3)
    check(status == 201 and s.patch(wt, forgotten, 0, b"12345")[0] == 204,
          "half an output")
    status, fresh = create_output(s, wt, 10, "full.mp4", a3)
    check(status == 201, f"an output: {status}")
    check(s.stop() == 0, "SIGTERM: exit 0")
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"))
    db.execute("UPDATE uploads SET created_at = created_at - 86401"
               " WHERE id = ?", (forgotten.rsplit("/", 1)[1],))
    db.commit()
    db.close()
    s = c.start("--jobs", "0")
    for loc, kept in ((forgotten, False), (fresh, True)):
        status, _, _ = s.request("HEAD", loc, token=wt, headers=TUS)
        path = os.path.join(c.data, "uploads", loc.rsplit("/", 1)[1])
        check((status == 200) == kept and os.path.exists(path) == kept,
              f"an output a day old goes, a newer one stays: {status}")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_twelve_jobs_three_workers(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    wt = worker_token(c.data)
    s = start_server(c)
    clip = jt.media(c.tmp, "clip4.mp4", 4)
    workers = [Worker(c, s, wt, f"w{i}", *sandbox_args(s)) for i in (1, 2, 3)]
    video = jt.upload(s, t, clip)
    # the first long enough for its progress to be reported (every 2 s)
    # however fast the machine
    longer = jt.upload(s, t, jt.media(c.tmp, "clip20.mp4", 20))
    jobs = [jt.new_job(s, t, **jt.quick(longer if i == 0 else video,
                                         title=f"第{i}个"))
            for i in range(12)]
    events = jt.follow(s, t, jobs[0]["id"])
    kinds = [e for e, _ in events]
    states = [d["state"] for e, d in events if e == "state"]
    check("progress" in kinds and "phase" in kinds and "running" in states
          and states[-1] == "done", f"a worker's job's events: {states}")
    for job in jobs:
        done = jt.wait_job(s, t, job["id"])
        check(done["state"] == "done" and done["attempt"] == 1
              and done["errors"] == [] and done["exit_code"] == 0,
              f"job {job['id']}: {done['state']} {done['attempt']} "
              f"{done['errors']}")
        jt.check_outputs(s, t, done, c.data, names=QUICK_OUTPUTS)
        jt.check_job_folder(c.data, job["id"], 1)
        claimed = sum(len(w.lines(job["id"], ": claimed")) for w in workers)
        finished = sum(len(w.lines(job["id"], ": finished")) for w in workers)
        check(claimed == 1 and finished == 1,
              f"job {job['id']} run once: claimed {claimed}, finished "
              f"{finished}")
    busy = [w for w in workers if ": finished" in w.stderr()]
    check(len(busy) >= 2, f"the jobs spread over the workers ({len(busy)})")
    # a platform cut made again runs whole on a worker
    status, _, r = s.json("POST", f"/api/jobs/{jobs[0]['id']}/platform",
                          token=tokens["rita"], headers=JS,
                          body=json.dumps({"platform_cut": "0:01-0:03"}))
    check(status == 200 and r["state"] == "queued", f"platform: {status} {r}")
    remade = jt.wait_job(s, t, jobs[0]["id"])
    check(remade["state"] == "done" and remade["attempt"] == 2
          and remade["options"]["platform_cut"] == "0:01-0:03",
          f"the platform cut made again: {remade['state']} {remade['errors']}")
    jt.check_outputs(s, t, remade, c.data)
    jt.check_job_folder(c.data, jobs[0]["id"], 2)
    check(output_uploads(c.data) == 0, "no output upload left")
    # a worker removes an attempt's scratch once the server has its end
    wait_until(lambda: scratch_left(workers[0].scratch) == [], 30, step=0.2,
               what="the workers' scratch emptied")
    for w in workers:
        rc = w.stop()
        check(rc == 0, f"worker SIGTERM: exit {rc}")
    left = [n for n in os.listdir(workers[0].scratch) if n != "cache"]
    check(left == [], f"the stopped workers left {left}")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_sigterm_gives_jobs_back(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    wt = worker_token(c.data)
    s = start_server(c)
    sandbox = sandbox_args(s)
    url = f"http://{s.host}:{s.port}/"
    scratch = os.path.join(c.tmp, f"{c.name}-scratch")
    for token, what in (("not-a-token", "an unknown token"),
                        (t, "a submitter's token")):
        p = subprocess.run([CLI, "worker", "--server", url, "--token", token,
                            "--scratch", scratch, *sandbox],
                           capture_output=True, timeout=60)
        err = p.stderr.decode()
        check(p.returncode == 1 and "refused this worker" in err
              and err.count("error") == 1, f"{what}: {p.returncode} {err}")
    p = subprocess.run([CLI, "worker", "--token", wt], capture_output=True,
                       timeout=60, env={k: v for k, v in os.environ.items()
                                        if k != "CAMPUSCUT_SERVER"})
    check(p.returncode == 2, f"no --server: usage, {p.returncode}")
    video = jt.upload(s, t, jt.media(c.tmp, "clip20.mp4", 20))
    w = Worker(c, s, wt, "first", *sandbox)
    job = jt.new_job(s, t, **jt.quick(video))
    running_under(c, s, t, job["id"], [w])
    procs = jt.job_processes(job["id"])
    rc = w.stop()
    check(rc == 0, f"SIGTERM mid-job: exit {rc}")
    wait_until(lambda: not any(running(p) for p in procs), 10, step=0.1,
               what="its job's processes gone")
    back = jt.get_job(s, t, job["id"])
    check(back["state"] == "queued" and back["attempt"] == 0
          and back["errors"] == [], f"given back, uncounted: {back}")
    check([n for n in os.listdir(w.scratch) if n != "cache"] == [],
          f"its scratch removed: {os.listdir(w.scratch)}")
    check(w.lines(job["id"], "given back"), "it said so")
    other = Worker(c, s, wt, "other", *sandbox)
    done = jt.wait_job(s, t, job["id"])
    check(done["state"] == "done" and done["attempt"] == 1,
          f"done by the next worker, attempt 1: {done['state']}")
    check(other.stop() == 0, "worker SIGTERM: exit 0")
    check(s.stop() == 0, "SIGTERM: exit 0")


def running_under(c, s, t, job_id, workers):
    """The worker whose process runs the job, once `campuscut process`
    runs."""
    def found():
        owner = lease_owner(c.data, job_id)
        if owner is None or jt.job_process(job_id) is None:
            return None
        pid = owner_pid(owner)
        return next((w for w in workers if w.pid == pid), None)
    return wait_until(found, JOB_TIMEOUT, step=0.2,
                      what="the job's process on a worker")


@case
def test_kill9_worker_mid_job(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    wt = worker_token(c.data)
    s = start_server(c)
    sandbox = sandbox_args(s)
    clip = jt.media(c.tmp, "clip20.mp4", 20)
    video = jt.upload(s, t, clip)
    first = Worker(c, s, wt, "first", *sandbox)
    job = jt.new_job(s, t, **jt.quick(video))
    victim = running_under(c, s, t, job["id"], [first])
    procs = jt.job_processes(job["id"])
    victim.kill()
    wait_until(lambda: not any(running(p) for p in procs), 30, step=0.2,
               what="the dead worker's job processes gone")
    dead_home = [n for n in os.listdir(victim.scratch)
                 if n.endswith(f"-{victim.pid}")]
    other = Worker(c, s, wt, "other", *sandbox)
    done = jt.wait_job(s, t, job["id"])
    check(done["state"] == "done" and done["attempt"] == 2
          and done["exit_code"] == 0, f"done by attempt 2: {done}")
    check(len(done["errors"]) == 1 and done["errors"][0]["attempt"] == 1
          and "lease expired" in done["errors"][0]["reason"],
          f"attempt 1's lost lease recorded once: {done['errors']}")
    jt.check_outputs(s, t, done, c.data, names=QUICK_OUTPUTS)
    entries = sorted(os.listdir(os.path.join(c.data, "jobs", done["id"])))
    check(entries == ["attempt-2.log", "out"], f"job folder {entries}")
    check(len(other.lines(job["id"], "attempt 2: finished")) == 1
          and not victim.lines(job["id"], ": finished"),
          "finished once, by the other worker")
    status, _, log = s.json("GET", f"/api/jobs/{job['id']}/decisions",
                            token=tokens["rita"])
    check(status == 200 and log["decisions"] == []
          and done["review_state"] == "pending",
          f"the review log: {status} {log}")
    check(dead_home and not any(os.path.exists(os.path.join(
        victim.scratch, n)) for n in dead_home),
        f"the next worker removed the dead one's scratch {dead_home}")
    check(output_uploads(c.data) == 0, "no output upload left")
    check(other.stop() == 0, "worker SIGTERM: exit 0")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_sigstop_past_lease(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    wt = worker_token(c.data)
    s = start_server(c)
    sandbox = sandbox_args(s)
    clip = jt.media(c.tmp, "clip20.mp4", 20)
    video = jt.upload(s, t, clip)
    paused = Worker(c, s, wt, "paused", *sandbox)
    job = jt.new_job(s, t, **jt.quick(video))
    running_under(c, s, t, job["id"], [paused])
    os.kill(paused.pid, signal.SIGSTOP)
    try:
        other = Worker(c, s, wt, "other", *sandbox)
        done = jt.wait_job(s, t, job["id"])
        check(done["state"] == "done" and done["attempt"] == 2,
              f"done by attempt 2: {done}")
        # the paused worker's process went on alone: let it end, so that
        # the worker wakes to a result it would send
        try:
            wait_until(lambda: jt.job_process(job["id"]) is None, 90,
                       step=0.5, what="the paused worker's process ended")
        except Failure:
            pass
    finally:
        os.kill(paused.pid, signal.SIGCONT)
    wait_until(lambda: paused.lines(job["id"], "lease is lost")
               or paused.lines(job["id"], "refused"), 60, step=0.2,
               what="the paused worker told its result is not wanted")
    check(not paused.lines(job["id"], "attempt 1: finished ("),
          f"its result was not taken:\n{paused.stderr()}")
    time.sleep(1)
    after = jt.get_job(s, t, job["id"])
    check(after["state"] == "done" and after["attempt"] == 2
          and after["outputs"] == done["outputs"]
          and after["finished_at"] == done["finished_at"],
          f"the job is attempt 2's still: {after}")
    jt.check_outputs(s, t, after, c.data, names=QUICK_OUTPUTS)
    # the attempt's end here (its scratch gone) comes after whatever it
    # sent was dropped or removed
    wait_until(lambda: scratch_left(paused.scratch) == [], 30, step=0.2,
               what="the paused worker's scratch emptied")
    check(output_uploads(c.data) == 0, "no output upload left")
    # the paused worker works on
    check(other.stop() == 0, "worker SIGTERM: exit 0")
    job2 = jt.new_job(s, t, **jt.quick(video))
    done2 = jt.wait_job(s, t, job2["id"])
    check(done2["state"] == "done" and done2["attempt"] == 1
          and paused.lines(job2["id"], "attempt 1: finished"),
          f"the resumed worker runs the next job: {done2['state']}")
    check(paused.stop() == 0, "worker SIGTERM: exit 0")
    check(s.stop() == 0, "SIGTERM: exit 0")



def hand_claim(c, *extra):
    """A server with one job, claimed by hand: (server, tokens, worker
    token, job, claim)."""
    tokens = st.setup_people(c.data)
    wt = worker_token(c.data)
    s = start_server(c, *extra)
    video = jt.upload(s, tokens["alice"], jt.media(c.tmp, "clip4.mp4", 4))
    job = jt.new_job(s, tokens["alice"], **jt.quick(video))
    status, _, a = claim(s, wt, "hand")
    check(status == 200 and a["id"] == job["id"], f"claim: {status} {a}")
    return s, tokens, wt, job, a


@case
def test_malformed_finish(c):
    """Outputs of the wrong types: 400, the server alive, the lease kept."""
    s, _, wt, job, a = hand_claim(c)
    for outputs in ([{"upload": 5}], [{"upload": None}], [{"upload": {}}],
                    [{"upload": [1]}], [{"upload": True, "name": "log",
                                         "sha256": "00"}],
                    [{"name": 5, "upload": "ab", "sha256": "00"}],
                    [{"name": "log", "upload": "ab", "sha256": 7}]):
        status, _, r = worker_post(s, wt, job["id"], "finish", attempt=1,
                                   owner=a["owner"], status=0,
                                   outputs=outputs)
        check(status == 400 and s.alive(),
              f"finish with outputs {outputs}: {status} {r}")
    status, _, _ = worker_post(s, wt, job["id"], "renew", attempt=1,
                               owner=a["owner"])
    check(status == 200, f"the lease is held still: {status}")
    check(s.stop() == 0, "SIGTERM: exit 0")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


@case
def test_held_claims_of_gone_workers_closed(c):
    """Held claims whose workers went: their connections are closed, the
    server's descriptors back where they were."""
    wt = worker_token(c.data)
    s = start_server(c)
    check(claim(s, wt, "idle")[0] == 204, "nothing queued")
    time.sleep(1)               # that claim's connection closed here too
    base = open_fds(s.proc.pid)
    body = json.dumps({"worker": "idle", "wait": 20}).encode()
    socks = []
    for _ in range(4):
        sock = socket.create_connection((s.host, s.port), timeout=10)
        sock.sendall(
            b"POST /api/worker/claim HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer " + wt.encode() + b"\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        socks.append(sock)
    wait_until(lambda: open_fds(s.proc.pid) >= base + 4, 10, step=0.1,
               what="the claims held")
    time.sleep(1)
    for sock in socks:
        sock.close()
    wait_until(lambda: open_fds(s.proc.pid) <= base, 10, step=0.2,
               what=f"the connections closed (descriptors back to {base})")
    check(claim(s, wt, "idle")[0] == 204 and s.alive(), "the server works on")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_releases_counted(c):
    """A job its workers keep giving back (they are stopped while it runs):
    the third release counts an attempt, with its reason."""
    s, tokens, wt, job, a = hand_claim(c)
    for n in (1, 2, 3):
        if n > 1:
            status, _, a = claim(s, wt, "hand")
            check(status == 200 and a["id"] == job["id"], f"claim {n}: {a}")
        check(a["attempt"] == 1, f"release {n - 1} uncounted: {a}")
        status, _, _ = worker_post(s, wt, job["id"], "release", attempt=1,
                                   owner=a["owner"])
        check(status == 204, f"release {n}: {status}")
    j = jt.get_job(s, tokens["alice"], job["id"])
    check(j["state"] == "queued" and j["attempt"] == 1
          and len(j["errors"]) == 1
          and "given back three times" in j["errors"][0]["reason"],
          f"the third release counted: {j}")
    status, _, a = claim(s, wt, "hand")
    check(status == 200 and a["attempt"] == 2, f"then attempt 2: {a}")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_finish_tried_again_after_store_failure(c):
    """A finish the store failed to record (500) after its outputs were
    taken: the worker's same finish, tried again, is recorded whole."""
    s, tokens, wt, job, a = hand_claim(c)
    report = b'{"result": {"status": "rejected"}}'
    good = send_output(s, wt, report, "report.json", a)
    log = send_output(s, wt, b"the log\n", "attempt-1.log", a)
    body = dict(attempt=1, owner=a["owner"], status=3, message="too short",
                outputs=[{"name": "report.json", "upload": good,
                          "sha256": st.sha256(report)},
                         {"name": "log", "upload": log,
                          "sha256": st.sha256(b"the log\n")}])
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"), timeout=30)
    db.execute("CREATE TRIGGER fail_finish BEFORE UPDATE OF state ON jobs"
               " WHEN NEW.state = 'rejected'"
               " BEGIN SELECT RAISE (ABORT, 'the disk is full'); END")
    db.commit()
    status, _, r = worker_post(s, wt, job["id"], "finish", **body)
    check(status == 500, f"the store failed: {status} {r}")
    db.execute("DROP TRIGGER fail_finish")
    db.commit()
    db.close()
    status, _, r = worker_post(s, wt, job["id"], "finish", **body)
    check(status == 200 and r["state"] == "rejected",
          f"tried again: {status} {r}")
    j = jt.get_job(s, tokens["alice"], job["id"])
    check(j["state"] == "rejected" and j["attempt"] == 1
          and [o["sha256"] for o in j["outputs"]] == [st.sha256(report)],
          f"job {j}")
    folder = os.path.join(c.data, "jobs", job["id"])
    check(sorted(os.listdir(folder)) == ["attempt-1.log", "out"],
          f"job folder {sorted(os.listdir(folder))}")
    with open(os.path.join(folder, "out", "report.json"), "rb") as f:
        check(f.read() == report, "out/report.json")
    check(output_uploads(c.data) == 0 and not {good, log} & set(
        os.listdir(os.path.join(c.data, "uploads"))),
        "the uploads gone once recorded")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_server_restart_keeps_workers_job(c):
    """SQLite: the server restarted (SIGTERM, then started on the same
    folder) while a worker runs a job: the job stays the worker's and
    finishes there, attempt 1."""
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    wt = worker_token(c.data)
    # a lease the restart cannot outlast on a loaded machine
    lease = ("--jobs", "0", "--lease-seconds", "30", "--retry-delay", "0")
    s = c.start(*lease)
    sandbox = sandbox_args(s)
    video = jt.upload(s, t, jt.media(c.tmp, "clip20.mp4", 20))
    w = Worker(c, s, wt, "w", *sandbox)
    job = jt.new_job(s, t, **jt.quick(video))
    running_under(c, s, t, job["id"], [w])
    check(s.stop() == 0, "SIGTERM: exit 0")
    s = c.start(*lease, "--listen", f"{s.host}:{s.port}")
    done = jt.wait_job(s, t, job["id"])
    check(done["state"] == "done" and done["attempt"] == 1
          and done["errors"] == [], f"done by attempt 1: {done}")
    # (a renewal under way as the finish is recorded may still be refused)
    check(len(w.lines(job["id"], "attempt 1: finished (exit status 0)"))
          == 1, f"finished on the same worker:\n{w.stderr()}")
    check(w.stop() == 0, "worker SIGTERM: exit 0")
    check(s.stop() == 0, "SIGTERM: exit 0")



@case
def test_sigterm_while_outputs_go(c):
    """SIGTERM while the worker sends its outputs (the server paused under
    it): the job is given back all the same, uncounted."""
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    wt = worker_token(c.data)
    # the lease outlasts the pause
    s = c.start("--jobs", "0", "--lease-seconds", "30", "--retry-delay", "0")
    sandbox = sandbox_args(s)
    video = jt.upload(s, t, jt.media(c.tmp, "clip20.mp4", 20))
    w = Worker(c, s, wt, "w", *sandbox)
    job = jt.new_job(s, t, **jt.quick(video))
    running_under(c, s, t, job["id"], [w])
    os.kill(s.proc.pid, signal.SIGSTOP)
    try:
        # the process ends; the worker's first output upload waits
        wait_until(lambda: not jt.job_processes(job["id"]), 25, step=0.2,
                   what="the job's processes ended")
        time.sleep(2)
        w.proc.send_signal(signal.SIGTERM)
        time.sleep(1)
    finally:
        os.kill(s.proc.pid, signal.SIGCONT)
    rc = w.stop()
    check(rc == 0 and w.lines(job["id"], "given back"),
          f"the worker gave it back (exit {rc}):\n{w.stderr()}")
    back = jt.get_job(s, t, job["id"])
    check(back["state"] == "queued" and back["attempt"] == 0
          and back["errors"] == [], f"given back, uncounted: {back}")
    check(s.stop() == 0, "SIGTERM: exit 0")


def main(argv):
    # each case's workers are killed with its servers
    original = st.Case.cleanup

    def cleanup(self):
        for w in getattr(self, "workers", []):
            w.kill()
        original(self)
    st.Case.cleanup = cleanup
    original_init = st.Case.__init__

    def init(self, tmp, name):
        original_init(self, tmp, name)
        self.workers = []
        self.name = name
        self.tmp = tmp
    st.Case.__init__ = init
    return st.run_cases(CASES, argv, "campuscut-workers-",
                        after=jt.kill_leftovers)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
