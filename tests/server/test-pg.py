#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end tests of `campuscut serve --db postgresql://…`: two servers on
one PostgreSQL database and one data folder share the queue, each job done
exactly once; PostgreSQL restarted while jobs run, and everything still
finishes once; a killed server's job left alone while its lease lasts,
then swept back into the queue; PostgreSQL down for longer than a lease,
and the run that lost its lease stopped before another could start;
servers starting at once, the first tidying the folder before any other
shares it; SQLite never sweeping; two servers with --jobs 0 and three
workers, each claiming from either; workers' held claims woken by
PostgreSQL's notifications alone (also after the listening connection
broke, and after a restart); workers through a restart of PostgreSQL, a
worker killed and one paused past its lease; the password in the URL
never shown.

The servers run with a short lease (--lease-seconds), so that the cases
about leases take seconds.

A throwaway PostgreSQL 15 (pgcluster.py) serves the whole run, a database
per case; the servers, HTTP helpers and media come from test-serve.py and
test-jobs.py. Every wait is bounded in time and count; everything started
is stopped, even on failure.

    CAMPUSCUT_CLI=build/pipelines/campuscut \\
    GST_PLUGIN_PATH_1_0=build/plugins python3 tests/server/test-pg.py [CASE...]

Ends with "Checks: N, Failures: F, Errors: E" (one check per case).
"""
import fcntl
import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, filename):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(HERE, filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


st = _load("serve_tests", "test-serve.py")
jt = _load("jobs_tests", "test-jobs.py")
pgcluster = _load("pgcluster", "pgcluster.py")
tw = _load("workers_tests", "test-workers.py")

check, wait_until, Failure = st.check, st.wait_until, st.Failure
CLI = st.CLI
N_JOBS = 12
LEASE_S = 10                # --lease-seconds: renewed every 1.7 s, lost after 7.5 s
LEASE = ("--lease-seconds", str(LEASE_S))
# the bounds of one case's waits add up to well under meson's timeout
JOB_WAIT = 180              # seconds for one job to start, or to end
HELD_CLAIM_S = 20           # a held claim's wait: a notification or nothing
ALL_DONE_TIMEOUT = 480      # seconds for every job of a case to end (ASan
                            # on a busy machine: 12 jobs took over 150 s)
# what the servers may log while PostgreSQL restarts under them: the
# calls that failed, and the connection made again
RESTART_LOG = ["the connection to PostgreSQL failed", "connected to",
               "the queue's notifications",
               "trying again"]

PG = None                   # the cluster, for the whole run


def cli(data, url, *args):
    return st.cli(data, "--db", url, *args)


def setup_people(data, url):
    """A unit with a submitter, through the management commands on the
    PostgreSQL database: name -> token."""
    rc, _, err = cli(data, url, "units", "add", "东城区", "--kind", "district")
    check(rc == 0, f"units add: {rc} {err}")
    rc, out, err = cli(data, url, "users", "add", "alice", "--role",
                       "submitter", "--unit", "东城区")
    check(rc == 0 and len(out.strip()) > 20, f"users add: {rc} {err}")
    token = out.strip()
    rc, out, err = cli(data, url, "users", "list")
    check(rc == 0 and "alice" in out and "东城区" in out,
          f"users list: {rc} {out} {err}")
    return {"alice": token}


def all_jobs(s, token):
    status, _, listing = s.json("GET", "/api/jobs", token=token)
    return listing["jobs"] if status == 200 else None


def wait_all_final(s, token, ids, servers, on_poll=None):
    """Polls until every job is final; returns them by id. A poll that
    fails (PostgreSQL restarting) is tried again."""
    def poll():
        if on_poll:
            on_poll()
        for srv in servers:
            check(srv.alive(), "a server died:\n" + srv.stderr())
        jobs = all_jobs(s, token)
        if jobs is None:
            return None
        got = {j["id"]: j for j in jobs if j["id"] in ids}
        if len(got) == len(ids) and all(j["state"] in jt.FINAL
                                        for j in got.values()):
            return got
        return None
    return wait_until(poll, ALL_DONE_TIMEOUT, step=0.5,
                      what=f"{len(ids)} jobs to end")


def start_pair(c, url, lease=LEASE):
    """Two servers on the case's folder and database, one job each."""
    return [c.start("--db", url, "--jobs", "1", *lease) for _ in range(2)]


def check_health(s):
    status, _, health = s.json("GET", "/api/health")
    check(status == 200 and health["database"]["backend"] == "postgresql"
          and health["database"]["schema_version"] == 4,
          f"health: {status} {health}")
    check(pgcluster.PASSWORD not in json.dumps(health),
          "the password is not in /api/health")


def check_no_password(c):
    for srv in c.servers:
        check(pgcluster.PASSWORD not in srv.stderr(),
              "the password is in a server's log")


def submit(c, s, token, n, seconds):
    video = jt.upload(s, token, jt.media(c.tmp, f"clip{seconds}.mp4",
                                         seconds))
    return [jt.new_job(s, token, **jt.quick(video))["id"] for _ in range(n)]


def check_done_once(c, s, token, jobs, restarted=False):
    """Each job done, its outputs the files; one attempt each, or (only
    after a restart, when a claim's answer can be lost with the
    connection) an earlier attempt that ended recorded as not done."""
    for job_id, job in jobs.items():
        check(job["state"] == "done", f"job {job_id}: {job['state']} "
              f"{job.get('errors')}")
        attempts = job["attempt"]
        check(attempts == 1 or (restarted and attempts == 2
                                and len(job["errors"]) == 1),
              f"job {job_id} ran {attempts} times: {job['errors']}")
        jt.check_outputs(s, token, jt.get_job(s, token, job_id), c.data,
                         names=jt.OUTPUTS - {"platform.mp4"})
        if not restarted:
            jt.check_job_folder(c.data, job_id, attempts)
            continue
        # an attempt claimed as the connection broke may never have started
        # (no log); still nothing but out/ and logs
        entries = set(os.listdir(os.path.join(c.data, "jobs", job_id)))
        logs = {f"attempt-{i}.log" for i in range(1, attempts + 1)}
        check("out" in entries and entries - {"out"} <= logs
              and f"attempt-{attempts}.log" in entries,
              f"job {job_id}'s folder after the restart: {sorted(entries)}")


# -- cases -------------------------------------------------------------------

CASES = []


def case(func):
    CASES.append(func)
    return func


@case
def test_two_servers_share_the_queue(c):
    url = PG.create_db("share")
    tokens = setup_people(c.data, url)
    t = tokens["alice"]
    a, b = start_pair(c, url)
    check_health(a)
    check_health(b)
    # a SQLite server cannot share the folder with them
    p = subprocess.run([CLI, "serve", "--data", c.data, "--listen",
                        "127.0.0.1:0"], capture_output=True, timeout=60)
    check(p.returncode == 1 and b"in use" in p.stderr,
          f"a SQLite server on the folder is refused: {p.stderr!r}")
    ids = submit(c, a, t, N_JOBS, 1)
    # every job followed on the first server, whichever runs it
    streams = {}

    def follow(job_id):
        try:
            streams[job_id] = jt.follow(a, t, job_id)
        except Exception as e:
            streams[job_id] = e
    followers = [threading.Thread(target=follow, args=(i,), daemon=True)
                 for i in ids]
    for f in followers:
        f.start()
    busy = {a.port: 0, b.port: 0}

    def count_busy():
        for srv in (a, b):
            status, _, health = srv.json("GET", "/api/health")
            if status == 200 and health["jobs_running"] > 0:
                busy[srv.port] += 1
    jobs = wait_all_final(a, t, set(ids), [a, b], on_poll=count_busy)
    for f in followers:
        f.join(jt.JOB_TIMEOUT)
        check(not f.is_alive(), "an event stream did not end")
    for job_id in ids:
        events = streams[job_id]
        check(isinstance(events, list), f"stream of {job_id}: {events}")
        states = [d["state"] for e, d in events if e == "state"]
        check(states[-1] == "done" and events[-1][0] == "state",
              f"the stream of {job_id} ends with its final state: {states}")
    check_done_once(c, a, t, jobs)
    check(all(n > 0 for n in busy.values()),
          f"both servers ran jobs (polls that saw one running: {busy})")
    # the other server sees the same jobs, done
    status, _, listing = b.json("GET", "/api/jobs", token=t)
    check(status == 200 and sorted(j["id"] for j in listing["jobs"]
                                   if j["state"] == "done") == sorted(ids),
          "the second server sees every job done")
    check_no_password(c)
    check(a.stop() == 0 and b.stop() == 0, "SIGTERM: exit 0")


@case
def test_postgresql_restart_mid_run(c):
    url = PG.create_db("restart")
    tokens = setup_people(c.data, url)
    t = tokens["alice"]
    # a lease long enough for a restart on a loaded machine (PostgreSQL
    # took 5 s once): no run may be lost here, only calls fail
    a, b = start_pair(c, url, ("--lease-seconds", "30"))
    ids = submit(c, a, t, 6, 4)

    def running():
        jobs = all_jobs(a, t) or []
        return sum(1 for j in jobs if j["state"] == "running") >= 2
    wait_until(running, JOB_WAIT, step=0.2, what="two jobs running")
    c.expected_log = RESTART_LOG
    PG.restart()
    # the servers notice: their next calls fail once, then work again
    wait_until(lambda: all(s.json("GET", "/api/health")[0] == 200
                           for s in (a, b)), 30, step=0.5,
               what="both servers healthy again")
    jobs = wait_all_final(a, t, set(ids), [a, b])
    check_done_once(c, a, t, jobs, restarted=True)
    check_no_password(c)
    check(a.stop() == 0 and b.stop() == 0, "SIGTERM: exit 0")


@case
def test_dead_servers_jobs_swept(c):
    """A server killed with its job running: another server starting on
    the database leaves the job alone while its lease lasts (its server
    might still be running it), then its sweep queues it again, that
    attempt counted."""
    url = PG.create_db("sweep")
    t = setup_people(c.data, url)["alice"]
    a = c.start("--db", url, "--jobs", "1", *LEASE)
    video = jt.upload(a, t, jt.media(c.tmp, "clip20.mp4", 20, "ball"))
    job = jt.new_job(a, t, **jt.quick(video))
    jt.wait_running(a, t, job["id"])
    a.proc.kill()
    a.proc.wait(30)
    wait_until(lambda: not jt.job_processes(job["id"]), 20,
               what="the job's processes die with the server")
    b = c.start("--db", url, "--jobs", "1", "--retry-delay", "0", *LEASE)
    left = jt.get_job(b, t, job["id"])
    check(left["state"] == "running" and left["attempt"] == 1,
          f"a live lease is not taken back at start: {left}")
    # the lease runs out, and the sweep (every renewal period) finds it
    end = jt.wait_job(b, t, job["id"], timeout=LEASE_S + JOB_WAIT)
    check(end["state"] == "done" and end["attempt"] == 2
          and len(end["errors"]) == 1
          and "lease expired" in end["errors"][0]["reason"],
          f"queued again once its lease expired, done once: {end}")
    jt.check_outputs(b, t, end, c.data, names=jt.OUTPUTS - {"platform.mp4"})
    jt.check_job_folder(c.data, job["id"], 2)
    check(b.stop() == 0, "SIGTERM: exit 0")


@case
def test_lease_lost_while_postgresql_down(c):
    """PostgreSQL down for longer than a lease: the server stops counting
    on the lease of its run before another server could claim the job
    (the process killed, nothing kept, nothing recorded); PostgreSQL
    back, the job's lease is found expired, and it runs again, once, on
    the same server, and is done, its files the recorded ones."""
    url = PG.create_db("lost")
    t = setup_people(c.data, url)["alice"]
    lease_s = 12                # lost after 9 s: 3 s to spare
    a = c.start("--db", url, "--jobs", "2", "--retry-delay", "0",
                "--lease-seconds", str(lease_s))
    # long enough to be still running when its lease may have run out
    video = jt.upload(a, t, jt.media(c.tmp, "clip60.mp4", 60, "ball"))
    job = jt.new_job(a, t, **jt.quick(video))
    jt.wait_running(a, t, job["id"])
    c.expected_log = RESTART_LOG + ["renewing its lease", "lost: its lease",
                                    "claiming a job", "expired leases"]
    down_at = time.monotonic()
    with PG.down():
        wait_until(lambda: not jt.job_processes(job["id"]), lease_s + 10,
                   step=0.2, what="the run killed once its lease may "
                   "have run out")
        check(time.monotonic() - down_at < lease_s,
              "killed before the lease's end")
        # long enough for the lease to have expired in the database
        time.sleep(max(0.0, down_at + lease_s + 1 - time.monotonic()))
    wait_until(lambda: a.json("GET", "/api/health")[0] == 200, 30, step=0.5,
               what="the server healthy again")
    end = jt.wait_job(a, t, job["id"], timeout=JOB_WAIT)
    check(end["state"] == "done" and end["attempt"] == 2
          and len(end["errors"]) == 1
          and "lease expired" in end["errors"][0]["reason"],
          f"swept once, run again once, done: {end}")
    jt.check_outputs(a, t, end, c.data, names=jt.OUTPUTS - {"platform.mp4"})
    jt.check_job_folder(c.data, job["id"], 2)
    check(a.stop() == 0, "SIGTERM: exit 0")


def proc_locks_on(path):
    """The kinds (READ, WRITE) of the flock locks /proc/locks has on
    path's file."""
    ino = os.stat(path).st_ino
    with open("/proc/locks") as f:
        return [line.split()[3] for line in f
                if line.split()[1] == "FLOCK"
                and line.split()[5].endswith(f":{ino}")]


@case
def test_servers_starting_at_once(c):
    """The first server on a free data folder tidies it (tmp/, attempts'
    folders, uploads without records) holding its lock exclusively, and
    shares it only then: what a server sharing the folder has there is
    never tidied away. Two servers started at the same instant both
    start, one waiting for the other's tidying."""
    url = PG.create_db("atonce")
    setup_people(c.data, url)
    lock = os.path.join(c.data, "serve.lock")
    run = os.path.join(c.data, "jobs", "other", "run-1")
    kept = os.path.join(c.data, "tmp", "other-export")
    os.makedirs(c.data, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        started = {}
        starter = threading.Thread(target=lambda: started.update(
            a=c.start("--db", url, *LEASE)), daemon=True)
        starter.start()
        # as another server would: once the first holds the lock, share
        # it, then put things of its own in the folder
        wait_until(lambda: proc_locks_on(lock), 30, step=0.001,
                   what="the first server's lock")
        wait_until(lambda: _try_share(fd), 40, step=0.001,
                   what="the folder's lock shared")
        os.makedirs(run)
        os.makedirs(os.path.dirname(kept), exist_ok=True)
        with open(kept, "w") as f:
            f.write("mine")
        starter.join(60)
        check("a" in started, "the first server started")
        check(os.path.isdir(run) and os.path.exists(kept),
              "what the other server has in the folder is not tidied")
    finally:
        os.close(fd)
    check_health(started["a"])      # serving: it handles SIGTERM
    check(started["a"].stop() == 0, "SIGTERM: exit 0")
    # two at once: the one that finds the lock taken waits for it
    servers, problems = [], []

    def start_one():
        try:
            servers.append(c.start("--db", url, *LEASE))
        except Exception as e:
            problems.append(e)
    starters = [threading.Thread(target=start_one, daemon=True)
                for _ in range(2)]
    for s in starters:
        s.start()
    for s in starters:
        s.join(90)
    check(not problems and len(servers) == 2,
          f"both servers started: {problems}")
    for srv in servers:
        check_health(srv)
        check(srv.stop() == 0, "SIGTERM: exit 0")


def _try_share(fd):
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@case
def test_sqlite_does_not_sweep(c):
    """With SQLite the server is the folder's only one: a lease of its
    own that looks expired (a trigger set on the database from outside
    keeps it in the past, as a clock gone wrong would) is never swept
    from under its run, which is done at its first attempt."""
    t = st.setup_people(c.data)["alice"]
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"))
    try:
        db.execute("CREATE TRIGGER lease_in_the_past AFTER UPDATE OF"
                   " lease_expires ON jobs WHEN NEW.lease_expires > 0"
                   " BEGIN UPDATE jobs SET lease_expires = 0"
                   " WHERE id = NEW.id; END")
        db.commit()
    finally:
        db.close()
    a = c.start("--jobs", "1", "--retry-delay", "0", *LEASE)
    video = jt.upload(a, t, jt.media(c.tmp, "clip20.mp4", 20, "ball"))
    job = jt.new_job(a, t, **jt.quick(video))
    end = jt.wait_job(a, t, job["id"], timeout=JOB_WAIT)
    check(end["state"] == "done" and end["attempt"] == 1
          and not end["errors"], f"done once, never swept: {end}")
    check(a.stop() == 0, "SIGTERM: exit 0")


def health_db(s):
    status, _, health = s.json("GET", "/api/health")
    return health if status == 200 else None


def held_claim_woken(c, holder, submitter, wt, t, video, what):
    """A worker's claim held on `holder` (its health shows it waiting);
    a job created through `submitter` must answer it. With --queue-poll
    600 nothing but a notification can within the claim's wait."""
    got = {}

    def hold():
        got["claim"] = tw.claim(holder, wt, "w1", wait=HELD_CLAIM_S)
    th = threading.Thread(target=hold, daemon=True)
    th.start()
    wait_until(lambda: (health_db(holder) or {}).get("workers_waiting") == 1,
               JOB_WAIT, step=0.1, what=f"{what}: the claim held")
    job = jt.new_job(submitter, t, **jt.quick(video))
    th.join(HELD_CLAIM_S + 30)
    check(not th.is_alive(), f"{what}: the claim answered")
    status, _, claimed = got["claim"]
    check(status == 200 and claimed["id"] == job["id"],
          f"{what}: the held claim got the job ({status} {claimed}); "
          f"server log:\n{holder.stderr()}")
    # given back for the next round (uncounted), then cancelled
    status, _, _ = tw.worker_post(holder, wt, job["id"], "release",
                                  attempt=claimed["attempt"],
                                  owner=claimed["owner"])
    check(status == 204, f"{what}: released: {status}")
    status, _, _ = submitter.json("POST", f"/api/jobs/{job['id']}/cancel",
                                  token=t)
    check(status == 200, f"{what}: cancelled: {status}")


def notifications_up(s):
    h = health_db(s)
    return h is not None and h["database"].get("notifications") is True


@case
def test_notifications_wake_held_claims(c):
    """Servers that only coordinate (--jobs 0) and look at the queue on
    their own only every 600 s (--queue-poll): a job created on one
    reaches a worker's claim held on the other through PostgreSQL's
    notification alone; again after the listening connection was ended
    by PostgreSQL (made again, as health shows), and after a restart of
    PostgreSQL. Each server's statements are counted in its health."""
    url = PG.create_db("notify")
    c.expected_log = RESTART_LOG
    t = setup_people(c.data, url)["alice"]
    rc, out, err = cli(c.data, url, "users", "add", "w", "--role", "worker")
    check(rc == 0, f"users add w --role worker: {rc} {err}")
    wt = out.strip()
    a, b = [c.start("--db", url, "--jobs", "0", "--queue-poll", "600")
            for _ in range(2)]
    for srv in (a, b):
        wait_until(lambda: notifications_up(srv), JOB_WAIT, step=0.2,
                   what="the notifications up")
    video = jt.upload(a, t, jt.media(c.tmp, "clip2.mp4", 2))
    held_claim_woken(c, b, a, wt, t, video, "from another server")
    held_claim_woken(c, a, a, wt, t, video, "on the same server")

    back = [srv.stderr().count("notifications are back") for srv in (a, b)]
    ended = PG.psql("notify", "SELECT count (pg_terminate_backend (pid)) "
                    "FROM pg_stat_activity WHERE query = 'LISTEN "
                    "campuscut_queue' AND datname = 'notify'")
    check(ended == "2", f"the listening connections ended: {ended}")
    for srv, before in zip((a, b), back):
        wait_until(lambda: srv.stderr().count("notifications are back")
                   > before, JOB_WAIT, step=0.2,
                   what="the notifications back")
        check("notifications from" in srv.stderr() and "stopped" in
              srv.stderr(), "the lost notifications logged")
        check(notifications_up(srv), "health: notifications up again")
    held_claim_woken(c, b, a, wt, t, video, "after the connection ended")

    PG.restart()
    for srv in (a, b):
        wait_until(lambda: notifications_up(srv), JOB_WAIT, step=0.2,
                   what="the notifications up after the restart")
    held_claim_woken(c, b, a, wt, t, video, "after a restart")

    h = health_db(a)
    check(isinstance(h["database"].get("statements"), int)
          and h["database"]["statements"] > 0, f"statements counted: {h}")
    check_no_password(c)
    check(a.stop() == 0 and b.stop() == 0, "SIGTERM: exit 0")


@case
def test_workers_on_two_servers(c):
    """Two servers that run nothing themselves (--jobs 0) on one database
    and folder, three workers split between them: a job queued on one is
    claimed through the other (its held claims poll), its outputs arrive
    there, and each job is done exactly once."""
    url = PG.create_db("workers")
    t = setup_people(c.data, url)["alice"]
    rc, out, err = cli(c.data, url, "users", "add", "w", "--role", "worker")
    check(rc == 0, f"users add w --role worker: {rc} {err}")
    wt = out.strip()
    a, b = [c.start("--db", url, "--jobs", "0", "--lease-seconds",
                    str(tw.LEASE)) for _ in range(2)]
    c.name, c.workers = "workers", []
    try:
        workers = [tw.Worker(c, srv, wt, f"w{i}", *tw.sandbox_args(srv))
                   for i, srv in enumerate((a, b, b))]
        ids = submit(c, a, t, N_JOBS, 1)
        jobs = wait_all_final(a, t, set(ids), [a, b])
        check_done_once(c, a, t, jobs)
        for job_id in ids:
            claimed = sum(len(w.lines(job_id, ": claimed")) for w in workers)
            finished = sum(len(w.lines(job_id, ": finished"))
                           for w in workers)
            check(claimed == 1 and finished == 1,
                  f"job {job_id}: claimed {claimed}, finished {finished}")
        check(any(": finished" in w.stderr() for w in workers[1:]),
              "jobs queued on one server were run through the other")
        for w in workers:
            check(w.stop() == 0, "worker SIGTERM: exit 0")
    finally:
        for w in c.workers:
            w.kill()
    check_no_password(c)
    check(a.stop() == 0 and b.stop() == 0, "SIGTERM: exit 0")


def running_owners(db):
    """job id -> the pid in its lease's owner, of the jobs running."""
    rows = PG.psql(db, "SELECT id || ' ' || lease_owner FROM jobs "
                   "WHERE state = 'running'")
    return {line.split()[0]: tw.owner_pid(line.split(" ", 1)[1])
            for line in rows.splitlines() if line.strip()}


def finished_once(workers, job_id):
    return sum(len(w.lines(job_id, ": finished (")) for w in workers) == 1


@case
def test_workers_through_restart_kill_and_pause(c):
    """Two servers with --jobs 0 on one database and folder, workers on
    both. PostgreSQL restarted while three workers run six jobs: every job
    done exactly once. Then two jobs, one on a worker that is killed
    (kill -9) and one on a worker paused (SIGSTOP) past its lease, then
    resumed: both jobs finish on another worker as attempt 2, the paused
    worker's late result is refused; the states, the outputs, the workers'
    logs and the review log agree; no output upload is left."""
    db = "workerfaults"
    url = PG.create_db(db)
    c.expected_log = RESTART_LOG
    t = setup_people(c.data, url)["alice"]
    rc, out, err = cli(c.data, url, "users", "add", "w", "--role", "worker")
    check(rc == 0, f"users add w --role worker: {rc} {err}")
    wt = out.strip()
    a, b = [c.start("--db", url, "--jobs", "0", "--retry-delay", "0",
                    *LEASE) for _ in range(2)]
    c.name, c.workers = "faults", []
    sandbox = tw.sandbox_args(a)
    try:
        victim = tw.Worker(c, a, wt, "victim", *sandbox)
        paused = tw.Worker(c, b, wt, "paused", *sandbox)
        steady = tw.Worker(c, b, wt, "steady", *sandbox)
        video = jt.upload(a, t, jt.media(c.tmp, "clip20.mp4", 20))

        # PostgreSQL restarted while the three work
        ids = [jt.new_job(a, t, **jt.quick(video))["id"] for _ in range(6)]
        wait_until(lambda: len(running_owners(db)) == 3, JOB_WAIT, step=0.2,
                   what="three jobs running on the workers")
        PG.restart()
        jobs = wait_all_final(a, t, set(ids), [a, b])
        check_done_once(c, a, t, jobs, restarted=True)
        workers = [victim, paused, steady]
        for job_id in ids:
            check(finished_once(workers, job_id),
                  f"job {job_id}: finished once by the workers")
        check(steady.stop() == 0, "worker SIGTERM: exit 0")

        # one worker killed and one paused, each in the middle of a job
        ids = [jt.new_job(b, t, **jt.quick(video))["id"] for _ in range(2)]

        def both_run():
            owners = running_owners(db)
            if len(owners) < 2 or any(jt.job_process(i) is None
                                      for i in ids):
                return None
            return owners
        owners = wait_until(both_run, JOB_WAIT, step=0.2,
                            what="both jobs' processes on the two workers")
        killed = next(i for i in ids if owners[i] == victim.pid)
        stopped = next(i for i in ids if owners[i] == paused.pid)
        victim.kill()
        os.kill(paused.pid, signal.SIGSTOP)
        try:
            other = tw.Worker(c, a, wt, "other", *sandbox)
            for job_id in ids:
                done = jt.wait_job(a, t, job_id, timeout=LEASE_S + JOB_WAIT)
                check(done["state"] == "done" and done["attempt"] == 2
                      and len(done["errors"]) == 1
                      and "lease expired" in done["errors"][0]["reason"],
                      f"job {job_id} done by attempt 2: {done}")
                check(len(other.lines(job_id, "attempt 2: finished (")) == 1,
                      f"job {job_id}: finished by the other worker")
            # the paused worker's process went on alone: let it end, so
            # that the worker wakes to a result it would send
            try:
                wait_until(lambda: jt.job_process(stopped) is None, JOB_WAIT,
                           step=0.5, what="the paused worker's process ended")
            except Failure:
                pass
        finally:
            os.kill(paused.pid, signal.SIGCONT)
        wait_until(lambda: paused.lines(stopped, "lease is lost")
                   or paused.lines(stopped, "refused"), JOB_WAIT, step=0.2,
                   what="the paused worker told its result is not wanted")
        wait_until(lambda: tw.scratch_left(paused.scratch) == [], JOB_WAIT,
                   step=0.2, what="the paused worker's attempt ended")
        check(not paused.lines(stopped, "attempt 1: finished (")
              and not victim.lines(killed, ": finished ("),
              "neither the killed nor the paused worker's result was taken")
        jobs = wait_all_final(a, t, set(ids), [a, b])
        for job_id, job in jobs.items():
            jt.check_outputs(a, t, jt.get_job(a, t, job_id), c.data,
                             names=jt.OUTPUTS - {"platform.mp4"})
            status, _, log = a.json("GET", f"/api/jobs/{job_id}/decisions",
                                    token=t)
            check(status == 200 and log["decisions"] == []
                  and job["review_state"] == "pending",
                  f"job {job_id}'s review log: {status} {log}")
        left = PG.psql(db, "SELECT count (*) FROM uploads "
                       "WHERE kind = 'output'")
        check(left == "0", f"no output upload left: {left}")
        for w in (paused, other):
            check(w.stop() == 0, "worker SIGTERM: exit 0")
    finally:
        for w in c.workers:
            w.kill()
    check_no_password(c)
    check(a.stop() == 0 and b.stop() == 0, "SIGTERM: exit 0")


@case
def test_bad_urls_refused(c):
    """--db takes a PostgreSQL URL; a database that does not answer is an
    error that names it without its password."""
    rc, _, err = st.cli(c.data, "--db", "mysql://x/y", "units", "list")
    check(rc == 2 and "postgresql://" in err, f"mysql://: {rc} {err}")
    dead = f"postgresql://u:{pgcluster.PASSWORD}@127.0.0.1:1/none"
    rc, _, err = st.cli(c.data, "--db", dead, "units", "list")
    check(rc == 1 and "postgresql://u:***@127.0.0.1:1/none" in err
          and pgcluster.PASSWORD not in err, f"no server: {rc} {err}")
    # a '/' in the password, not percent-encoded; a bad %-escape
    for bad in (f"postgresql://u:{pgcluster.PASSWORD}/x@127.0.0.1:1/none",
                f"postgresql://u:{pgcluster.PASSWORD}%zz@127.0.0.1:1/none"):
        rc, _, err = st.cli(c.data, "--db", bad, "units", "list")
        check(rc == 1 and "not a valid postgresql:// URL" in err
              and pgcluster.PASSWORD not in err, f"{bad}: {rc} {err}")
    p = subprocess.run([CLI, "serve", "--data", c.data, "--db", dead,
                        "--listen", "127.0.0.1:0"], capture_output=True,
                       timeout=60)
    check(p.returncode == 1 and pgcluster.PASSWORD.encode() not in p.stderr
          and b"***" in p.stderr, f"serve, no database: {p.stderr!r}")


def main(argv):
    global PG
    # meson's timeout is SIGTERM: the servers and PostgreSQL still go
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    with pgcluster.PgCluster() as PG:
        rc = st.run_cases(CASES, argv, "campuscut-pg-",
                          after=jt.kill_leftovers)
        if rc != 0:
            print("PostgreSQL's log (end):\n" + PG.log_text()[-3000:])
        return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
