#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `campuscut serve` measured against the CLI alone, side by side in one
# run on one machine:
#   (a) one job through the server (upload done before; POST /api/jobs to
#       done: the sandboxed `campuscut process` and contact sheet, the
#       runner, the store) against the same work with the CLI alone
#       (`campuscut process` then `campuscut contact-sheet`), R runs each,
#       alternating; medians of wall and CPU time, and the ratio;
#   (b) upload throughput on loopback: a 2 GiB file in one tus PATCH (curl,
#       and `campuscut submit`'s libsoup client), the server's RSS sampled
#       every 0.1 s while it arrives;
#   (c) ten queued jobs of the same 60 s source, --jobs 1 against --jobs 2:
#       the time until all ten are done.
# Every command runs at the niceness this script was started with (run it
# under `nice -n 19` on a shared machine: both sides of each ratio are
# then equally nice'd). CPU time is sampled from /proc every 20 ms over
# each side's whole process tree (the server's own included), the same
# way for both sides: a sandboxed job's processes are not reaped into the
# server's own accounts.
#
# Usage: bench/serve.sh [--seconds N] [--runs R] [--queue Q] [--upload-mib M]
#                       [--build DIR]
#        (defaults: 60 s source, 3 runs, 10 queued jobs, 2048 MiB, ./build
#        rebuilt first; --build: that build folder, as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
seconds=60
runs=3
queue=10
upload_mib=2048
build=
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --queue) queue=$2; shift 2 ;;
    --upload-mib) upload_mib=$2; shift 2 ;;
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    *) echo "usage: bench/serve.sh [--seconds N] [--runs R] [--queue Q] [--upload-mib M]" >&2
       exit 2 ;;
  esac
done

if [ -z "$build" ]; then
  scripts/build.sh
  build=$top/build
fi
export GST_PLUGIN_PATH_1_0="$build/plugins"
work=$(mktemp -d "${TMPDIR:-/tmp}/campuscut-bench-serve-XXXXXX")
export GST_REGISTRY_1_0="$work/registry.bin"
trap 'rm -rf "$work"' EXIT

echo "== source: ${seconds} s 1280x720 25 fps, tone; jobs: overview, standard quality, no platform cut"
ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=25" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$seconds" \
  -c:v libx264 -preset ultrafast -crf 18 -c:a aac -b:a 128k "$work/src.mp4"
echo "== upload file: ${upload_mib} MiB of random bytes"
head -c "$((upload_mib * 1024 * 1024))" /dev/urandom > "$work/big.bin"

python3 - "$build/pipelines/campuscut" "$work" "$runs" "$queue" <<'PY'
import http.client, json, os, select, signal, statistics
import subprocess, sys, threading, time

cli, work, runs, queue = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
src, big = os.path.join(work, "src.mp4"), os.path.join(work, "big.bin")
OPTS = {"category": "overview", "quality": "standard", "platform_cut": "none"}


class TreeCpu(threading.Thread):
    """CPU seconds of a process tree: each process's user + system time,
    as last seen, sampled every 20 ms; started with the tree's root."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root, self.seen, self.base = root, {}, {}
        self.halt = threading.Event()
        self.sample(self.base)
        self.start()

    def sample(self, into):
        parents, cpu = {}, {}
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/stat") as f:
                    v = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(p)] = int(v[1])
            cpu[int(p)] = (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")
        for pid in cpu:
            q = pid
            while q > 1 and q != self.root:
                q = parents.get(q, 0)
            if q == self.root:
                into[pid] = max(into.get(pid, 0), cpu[pid])

    def run(self):
        while not self.halt.is_set():
            self.sample(self.seen)
            time.sleep(0.02)

    def stop(self):
        self.halt.set()
        self.join()
        self.sample(self.seen)
        return sum(v - self.base.get(p, 0) for p, v in self.seen.items())


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Server:
    def __init__(self, name, *args):
        self.data = os.path.join(work, name)
        subprocess.run([cli, "serve", "--data", self.data, "units", "add",
                        "U", "--kind", "district"], check=True,
                       capture_output=True)
        self.token = subprocess.run(
            [cli, "serve", "--data", self.data, "users", "add", "u", "--role",
             "submitter", "--unit", "U"], check=True,
            capture_output=True).stdout.decode().strip()
        self.proc = subprocess.Popen(
            [cli, "serve", "--data", self.data, "--listen", "127.0.0.1:0",
             *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        select.select([self.proc.stdout], [], [], 60)
        url = self.proc.stdout.readline().decode().split("listening on ")[1]
        self.port = int(url.strip().rstrip("/").rsplit(":", 1)[1])

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        h = {"Authorization": "Bearer " + self.token, **(headers or {})}
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.headers, data

    def upload(self, path):
        size = os.path.getsize(path)
        st, h, _ = self.request("POST", "/api/uploads", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": str(size),
            "Upload-Metadata": "kind dmlkZW8=,filename c3JjLm1wNA=="})
        loc = h["Location"]
        subprocess.run(self.curl_patch(loc, path), check=True)
        return loc.rsplit("/", 1)[1]

    def curl_patch(self, loc, path):
        return ["curl", "-s", "-o", "/dev/null", "-X", "PATCH", "-T", path,
                "-H", "Authorization: Bearer " + self.token,
                "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Offset: 0",
                "-H", "Content-Type: application/offset+octet-stream",
                "-H", "Expect:", f"http://127.0.0.1:{self.port}{loc}"]

    def job(self, video):
        st, _, body = self.request("POST", "/api/jobs", json.dumps(
            {"video": video, **OPTS}), {"Content-Type": "application/json"})
        assert st == 201, body
        return json.loads(body)["id"]

    def state(self, job):
        return json.loads(self.request("GET", f"/api/jobs/{job}")[2])

    def wait(self, jobs):
        while True:
            states = [self.state(j)["state"] for j in jobs]
            if all(s in ("done", "rejected", "failed", "cancelled")
                   for s in states):
                assert all(s == "done" for s in states), states
                return
            time.sleep(0.25)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


def cli_job(i):
    """The CLI alone, under a shell as the server runs it."""
    out = os.path.join(work, f"cli-{i}")
    t0 = time.monotonic()
    p = subprocess.Popen(["/bin/sh", "-c", f'"$0" process "$1" -o "$2" --quiet '
                          '--category overview --quality standard '
                          '--platform-cut none && echo >&9 && exec "$0" '
                          'contact-sheet "$2/full.mp4" "$2/contact.jpg"',
                          cli, src, out], pass_fds=(9,))
    cpu = TreeCpu(p.pid)
    os.read(r_fd, 1)
    t1 = time.monotonic()
    assert p.wait() == 0
    return t1 - t0, time.monotonic() - t0, cpu.stop()


r_fd, w_fd = os.pipe()
os.dup2(w_fd, 9)


def med(xs):
    return statistics.median(xs)


# (a) ------------------------------------------------------------------------
print(f"== (a) one job: server against the CLI alone, {runs} runs each, alternating")
s = Server("a", "--jobs", "1")
video = s.upload(src)
cli_wall, cli_proc_wall, cli_cpu, srv_wall, srv_cpu = [], [], [], [], []
for i in range(runs):
    p, w, c = cli_job(i)
    cli_proc_wall.append(p); cli_wall.append(w); cli_cpu.append(c)
    cpu, t0 = TreeCpu(s.proc.pid), time.monotonic()
    s.wait([s.job(video)])
    srv_wall.append(time.monotonic() - t0)
    srv_cpu.append(cpu.stop())
    print(f"  run {i + 1}: CLI {w:.1f} s (process {p:.1f} s), "
          f"server {srv_wall[-1]:.1f} s")
s.stop()
print(f"  CLI process + contact sheet: wall {med(cli_wall):.1f} s, CPU {med(cli_cpu):.1f} s"
      f" (process alone: wall {med(cli_proc_wall):.1f} s)")
print(f"  server job:                  wall {med(srv_wall):.1f} s, CPU {med(srv_cpu):.1f} s")
print(f"  ratio server/CLI: wall {med(srv_wall) / med(cli_wall):.3f}, "
      f"CPU {med(srv_cpu) / med(cli_cpu):.3f}")

# (b) ------------------------------------------------------------------------
size = os.path.getsize(big)
print(f"== (b) upload throughput on loopback: {size >> 20} MiB in one PATCH")
s = Server("b", "--jobs", "1", "--max-upload-size", str((size >> 20) + 1))
for client in ("curl", "campuscut submit"):
    s.request("GET", "/api/health")
    base, peak, done = rss_kb(s.proc.pid), 0, threading.Event()

    def sample():
        global peak
        while not done.is_set():
            peak = max(peak, rss_kb(s.proc.pid))
            time.sleep(0.1)
    th = threading.Thread(target=sample)
    th.start()
    t0 = time.monotonic()
    if client == "curl":
        st, h, _ = s.request("POST", "/api/uploads", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": str(size),
            "Upload-Metadata": "kind dmlkZW8=,filename YmlnLmJpbg=="})
        subprocess.run(s.curl_patch(h["Location"], big), check=True)
    else:
        subprocess.run([cli, "submit", big, "--server",
                        f"http://127.0.0.1:{s.port}/", "--token", s.token,
                        "--quiet"], check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    done.set()
    th.join()
    print(f"  {client}: {size / wall / 1e6:.0f} MB/s ({wall:.1f} s); server RSS "
          f"{base / 1024:.1f} MiB before, peak {peak / 1024:.1f} MiB "
          f"(+{(peak - base) / 1024:.1f} MiB)")
s.stop()

# (c) ------------------------------------------------------------------------
print(f"== (c) {queue} queued jobs of the {os.path.getsize(src) >> 20} MiB source: --jobs 1 against --jobs 2")
walls = {}
for jobs in (1, 2):
    s = Server(f"c{jobs}", "--jobs", str(jobs))
    video = s.upload(src)
    t0 = time.monotonic()
    s.wait([s.job(video) for _ in range(queue)])
    walls[jobs] = time.monotonic() - t0
    s.stop()
    print(f"  --jobs {jobs}: {walls[jobs]:.1f} s, {walls[jobs] / queue:.1f} s a job")
print(f"  ratio --jobs 2 / --jobs 1: {walls[2] / walls[1]:.3f}")
PY
