#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`campuscut worker` against PostgreSQL, measured side by side in one run:

  (a) the delay from a job's creation to a waiting worker's claim: a claim
      held on server B (nothing else claims), the job created on server A
      (PostgreSQL's notification) or on B itself (the server's own wake);
      N rounds each, alternating; median and maximum, in milliseconds;
  (b) jobs per hour with 1 and then 2 workers of one slot and one thread
      each (`campuscut worker --jobs 1 --threads 1`) on Q queued jobs
      (the same short source), behind two servers with --jobs 0 on one
      database; the time from the first job's creation to the last one's
      end;
  (c) database statements per job (the servers' own count, /api/health's
      database.statements, during (b), both servers), and per minute
      while idle with two workers waiting.

A throwaway PostgreSQL 15 (tests/server/pgcluster.py) and the servers run
on this machine, on loopback. Wall times depend on the machine's load:
run it alone (`nice -n 19` on a shared machine puts every process of it at
the same niceness).

Usage: bench/workers.py [--rounds N] [--queue Q] [--seconds S] [--build DIR]
       (defaults: 20 rounds, 8 jobs, a 30 s source, ./build as it is)
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "server"))
import pgcluster  # noqa: E402

CLAIM_WAIT = 20
JOB_TIMEOUT = 1800


class Server:
    def __init__(self, cli, data, log, *args):
        self.log = open(log, "ab")
        self.proc = subprocess.Popen(
            [cli, "serve", "--data", data, "--listen", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        if "listening on http://" not in line:
            raise SystemExit(f"the server did not start: {line!r}")
        hostport = line.split("//")[1].strip().rstrip("/")
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)

    def request(self, method, path, body=None, headers=None, token=None,
                timeout=60):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, r.headers, json.loads(data) if data else None
        finally:
            c.close()

    def post(self, path, token, body, timeout=60):
        return self.request("POST", path, json.dumps(body),
                            {"Content-Type": "application/json"}, token,
                            timeout)

    def health(self):
        return self.request("GET", "/api/health")[2]

    def statements(self):
        return self.health()["database"]["statements"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)
        self.proc.stdout.close()
        self.log.close()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def upload(s, token, path):
    with open(path, "rb") as f:
        data = f.read()
    status, headers, _ = s.request(
        "POST", "/api/uploads", token=token,
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
                 "Upload-Metadata": "filename %s,kind %s" % (
                     b64(os.path.basename(path)), b64("video"))})
    assert status == 201, status
    loc = headers["Location"]
    status, _, _ = s.request(
        "PATCH", loc, body=data, token=token,
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                 "Content-Type": "application/offset+octet-stream"})
    assert status == 204, status
    return loc.rsplit("/", 1)[1]


def new_job(s, token, video):
    status, _, job = s.post("/api/jobs", token, {
        "video": video, "category": "overview", "quality": "standard",
        "platform_cut": "none"})
    assert status == 201, (status, job)
    return job["id"]


def wait_all(s, token, ids):
    """Polls the listing every half second until every job of ids is
    done; how many times it looked."""
    end = time.monotonic() + JOB_TIMEOUT
    looks = 0
    while time.monotonic() < end:
        _, _, listing = s.request("GET", "/api/jobs", token=token)
        looks += 1
        got = {j["id"]: j for j in listing["jobs"] if j["id"] in ids}
        if len(got) == len(ids) and all(
                j["state"] in ("done", "failed", "rejected", "cancelled")
                for j in got.values()):
            bad = [j for j in got.values() if j["state"] != "done"]
            if bad:
                raise SystemExit(f"jobs not done: {bad}")
            return looks
        time.sleep(0.5)
    raise SystemExit("the jobs did not end in time")


def claim_delay(holder, creator, wt, st, video):
    """ms from just before the job's POST to the held claim's answer."""
    got = {}

    def hold():
        got["r"] = holder.post("/api/worker/claim", wt,
                               {"worker": "bench", "wait": CLAIM_WAIT},
                               timeout=CLAIM_WAIT + 30)
        got["t"] = time.monotonic()
    th = threading.Thread(target=hold)
    th.start()
    end = time.monotonic() + 30
    while holder.health().get("workers_waiting") != 1:
        if time.monotonic() > end:
            raise SystemExit("the claim was not held")
        time.sleep(0.02)
    t0 = time.monotonic()
    job = new_job(creator, st, video)
    th.join(CLAIM_WAIT + 40)
    status, _, claimed = got["r"]
    if status != 200 or claimed["id"] != job:
        raise SystemExit(f"the held claim got {status} {claimed}")
    status, _, _ = holder.post(f"/api/worker/jobs/{job}/release", wt,
                               {"attempt": claimed["attempt"],
                                "owner": claimed["owner"]})
    assert status == 204, status
    status, _, _ = creator.request("POST", f"/api/jobs/{job}/cancel",
                                   token=st)
    assert status == 200, status
    return (got["t"] - t0) * 1000


def cli_out(cli, data, url, *args):
    p = subprocess.run([cli, "serve", "--data", data, "--db", url, *args],
                       capture_output=True, timeout=60, check=True)
    return p.stdout.decode().strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--queue", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    cli = os.path.join(build, "pipelines", "campuscut")
    os.environ["GST_PLUGIN_PATH_1_0"] = os.path.join(build, "plugins")
    os.environ["LC_ALL"] = "C.UTF-8"
    if not pgcluster.installed():
        raise SystemExit("PostgreSQL 15 is not installed "
                         "(scripts/bootstrap.sh installs it)")
    work = tempfile.mkdtemp(prefix="campuscut-bench-workers-")
    os.environ["GST_REGISTRY_1_0"] = os.path.join(work, "registry.bin")
    os.chmod(work, 0o755)
    servers, workers = [], []
    try:
        with pgcluster.PgCluster() as pg:
            url = pg.create_db("bench")
            data = os.path.join(work, "data")
            os.mkdir(data)
            cli_out(cli, data, url, "units", "add", "bench-district",
                    "--kind", "district")
            st = cli_out(cli, data, url, "users", "add", "school", "--role",
                         "submitter", "--unit", "bench-district")
            wt = cli_out(cli, data, url, "users", "add", "w", "--role",
                         "worker")
            src = os.path.join(work, "src.mp4")
            subprocess.run(
                ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                 "testsrc2=size=1280x720:rate=25", "-f", "lavfi", "-i",
                 "sine=frequency=440:sample_rate=48000", "-t",
                 str(a.seconds), "-c:v", "libx264", "-preset", "ultrafast",
                 "-crf", "18", "-c:a", "aac", src], check=True)
            A = Server(cli, data, os.path.join(work, "a.log"), "--db", url,
                       "--jobs", "0")
            servers.append(A)
            B = Server(cli, data, os.path.join(work, "b.log"), "--db", url,
                       "--jobs", "0")
            servers.append(B)
            # what the bench's own calls cost the count: a health call
            # reads the count before its own statements; a listing
            s0 = A.statements()
            s1 = A.statements()
            A.request("GET", "/api/jobs", token=st)
            per_health = s1 - s0
            per_listing = A.statements() - s1 - per_health
            for s in (A, B):
                end = time.monotonic() + 30
                while not s.health()["database"].get("notifications"):
                    if time.monotonic() > end:
                        raise SystemExit("no notifications")
                    time.sleep(0.1)
            video = upload(A, st, src)

            print(f"== (a) creation to claim, {a.rounds} rounds each, "
                  "alternating")
            other, same = [], []
            for _ in range(a.rounds):
                other.append(claim_delay(B, A, wt, st, video))
                same.append(claim_delay(B, B, wt, st, video))
            for name, d in (("job created on the other server (NOTIFY)",
                             other), ("job created on the same server",
                                      same)):
                print(f"   {name:44s} median {statistics.median(d):7.1f} ms"
                      f"   max {max(d):7.1f} ms")

            print(f"== (b) {a.queue} jobs: overview, standard quality, a "
                  f"{a.seconds} s 1280x720 source; workers of 1 slot, "
                  "1 thread")
            rates = {}
            for n in (1, 2):
                ws = []
                for i in range(n):
                    scratch = os.path.join(work, f"scratch{n}-{i}")
                    log = open(os.path.join(work, f"worker{n}-{i}.log"),
                               "ab")
                    p = subprocess.Popen(
                        [cli, "worker", "--server",
                         f"http://{(A, B)[i].host}:{(A, B)[i].port}/",
                         "--token", wt, "--jobs", "1", "--threads", "1",
                         "--scratch", scratch], stdout=subprocess.DEVNULL,
                        stderr=log, stdin=subprocess.DEVNULL)
                    ws.append((p, log))
                    workers.append(p)
                end = time.monotonic() + 30
                while sum(s.health()["workers_waiting"] for s in (A, B)) < n:
                    if time.monotonic() > end:
                        raise SystemExit("the workers did not wait")
                    time.sleep(0.1)
                before = A.statements() + B.statements()
                t0 = time.monotonic()
                ids = {new_job(A, st, video) for _ in range(a.queue)}
                looks = wait_all(A, st, ids)
                took = time.monotonic() - t0
                used = (A.statements() + B.statements() - before -
                        2 * per_health - looks * per_listing)
                rates[n] = a.queue / took * 3600
                print(f"   {n} worker(s): {took:7.1f} s, "
                      f"{rates[n]:6.1f} jobs/hour, "
                      f"{used / a.queue:5.1f} statements per job")
                if n == 2:
                    before = A.statements() + B.statements()
                    time.sleep(60)
                    idle = (A.statements() + B.statements() - before -
                            2 * per_health)
                    print(f"== (c) idle, two workers waiting: {idle} "
                          "statements in 60 s")
                for p, log in ws:
                    p.terminate()
                    p.wait(60)
                    log.close()
            print(f"   2 workers / 1 worker: {rates[2] / rates[1]:.2f}")
    finally:
        for p in workers:
            if p.poll() is None:
                p.kill()
        for s in servers:
            if s.proc.poll() is None:
                s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
