#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end tests of `campuscut serve`'s jobs and of `campuscut submit`:
upload -> job -> Server-Sent Events -> done -> outputs with Range; refused
and rejected jobs; cancel and retry; another unit's job; a job's process
killed from outside; three failures; kill -9 of the server during a job
and during a burst of database writes; the playlist trap inside the
sandbox with campuscut's own veto switched off; jobs without a sandbox;
event streams kept alive past the idle timeout; `campuscut submit --wait
--download` through a connection that breaks mid-upload.

The servers, the HTTP helpers and the people come from test-serve.py.
Media is generated at 320x240 with gst-launch-1.0. Every wait is bounded
in time and count; everything started is killed, even on failure.

    CAMPUSCUT_CLI=build/pipelines/campuscut \\
    GST_PLUGIN_PATH_1_0=build/plugins python3 tests/server/test-jobs.py [CASE...]

Ends with "Checks: N, Failures: F, Errors: E" (one check per case).
"""
import hashlib
import http.client
import http.server
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
_spec = importlib.util.spec_from_file_location(
    "serve_tests", os.path.join(HERE, "test-serve.py"))
st = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(st)

check, wait_until, Failure = st.check, st.wait_until, st.Failure
CLI, TUS, OFFSET_TYPE = st.CLI, st.TUS, st.OFFSET_TYPE
JOB_TIMEOUT = 240           # seconds for one job to end on a loaded machine
OUTPUTS = {"full.mp4", "platform.mp4", "report.json", "contact.jpg",
           "contact.json"}
FINAL = {"done", "rejected", "failed", "cancelled"}
JS = {"Content-Type": "application/json"}
# hlsdemux2 (1.22) cannot read file:// playlists; the legacy hlsdemux can,
# which is what the trap needs to be real without the sandbox
TRAP_ENV = {"CAMPUSCUT_TEST_DISABLE_PLAYLIST_VETO": "1",
            "GST_PLUGIN_FEATURE_RANK": "hlsdemux2:NONE"}


# -- media -------------------------------------------------------------------

MEDIA = {}


def gst_env():
    """gst-launch-1.0's environment: the system's plugins and registry,
    whatever the build under test (sanitized, say) put on the path."""
    env = dict(os.environ)
    for var in ("GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0", "GST_REGISTRY",
                "GST_REGISTRY_1_0", "GST_REGISTRY_FORK", "LD_PRELOAD"):
        env.pop(var, None)
    return env


def media(tmp, name, seconds, pattern="smpte"):
    """A 320x240 H.264/AAC MP4 of `seconds`, made once per run."""
    if name in MEDIA:
        return MEDIA[name]
    path = os.path.join(tmp, name)
    frames, samples = seconds * 25, seconds * 48000 // 1024
    subprocess.run(
        ["gst-launch-1.0", "-q", "videotestsrc", f"num-buffers={frames}",
         f"pattern={pattern}", "!",
         "video/x-raw,width=320,height=240,framerate=25/1,format=I420", "!",
         "x264enc", "speed-preset=ultrafast", "key-int-max=50", "!",
         "mp4mux", "name=m", "!", "filesink", f"location={path}",
         "audiotestsrc", f"num-buffers={samples}", "!",
         "audio/x-raw,rate=48000,channels=2", "!", "avenc_aac", "!", "m."],
        check=True, timeout=120, stdout=subprocess.DEVNULL, env=gst_env())
    MEDIA[name] = path
    return path


def segment(tmp):
    """A 2 s MPEG-TS segment, outside every data folder."""
    path = os.path.join(tmp, "outside", "seg.ts")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        subprocess.run(
            ["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=50", "!",
             "video/x-raw,width=320,height=240,framerate=25/1,format=I420",
             "!", "x264enc", "speed-preset=ultrafast", "key-int-max=25",
             "!", "mpegtsmux", "!", "filesink", f"location={path}"],
            check=True, timeout=60, stdout=subprocess.DEVNULL, env=gst_env())
    return path


def playlist(uri):
    return ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n"
            "#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\n%s\n#EXT-X-ENDLIST\n"
            % uri).encode()


# -- the API -----------------------------------------------------------------

def upload(s, token, data, kind="video", filename="clip.mp4"):
    """A complete upload of `data` (bytes or a path); its id."""
    if isinstance(data, str):
        with open(data, "rb") as f:
            data = f.read()
    loc = s.create(token, len(data), kind=kind, filename=filename)
    if data:
        status, _, _ = s.patch(token, loc, 0, data)
        check(status == 204, f"upload: {status}")
    return loc.rsplit("/", 1)[1]


def post_job(s, token, **fields):
    return s.json("POST", "/api/jobs", body=json.dumps(fields), token=token,
                  headers=JS)


def new_job(s, token, **fields):
    status, headers, job = post_job(s, token, **fields)
    check(status == 201, f"job created: {status} {job}")
    check(headers["Location"] == job["location"], "Location")
    return job


def get_job(s, token, job_id):
    status, _, job = s.json("GET", f"/api/jobs/{job_id}", token=token)
    check(status == 200, f"GET job: {status} {job}")
    return job


def wait_job(s, token, job_id, states=FINAL, timeout=JOB_TIMEOUT):
    return wait_until(
        lambda: (lambda j: j if j["state"] in states else None)(
            get_job(s, token, job_id)),
        timeout, step=0.2, what=f"job {job_id} in {sorted(states)}")


def quick(video, **extra):
    """The options of a short job: overview, draft, no platform cut."""
    return {"video": video, "category": "overview", "quality": "draft",
            "platform_cut": "none", **extra}


class EventStream:
    """GET /api/jobs/ID/events: yields (event, data) and ("comment", text)."""

    def __init__(self, s, job_id, token, timeout=JOB_TIMEOUT):
        self.conn = http.client.HTTPConnection(s.host, s.port,
                                               timeout=timeout)
        self.conn.request("GET", f"/api/jobs/{job_id}/events",
                          headers={"Authorization": "Bearer " + token})
        self.resp = self.conn.getresponse()

    def __iter__(self):
        event, data = None, []
        while True:
            line = self.resp.readline()
            if not line:
                return
            line = line.decode().rstrip("\n")
            if line.startswith(":"):
                yield "comment", line[1:].strip()
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and data:
                yield event, json.loads("\n".join(data))
                event, data = None, []

    def close(self):
        self.conn.close()


def follow(s, token, job_id, deadline=JOB_TIMEOUT):
    """Every event until the stream ends; the stream must end."""
    events, t0 = [], time.monotonic()
    stream = EventStream(s, job_id, token)
    try:
        for event in stream:
            events.append(event)
            check(time.monotonic() - t0 < deadline, "the stream ended")
    finally:
        stream.close()
    return events


# -- processes ---------------------------------------------------------------

def children_of(pids):
    """pids and all their descendants."""
    found, parents = set(pids), {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    parents[int(p)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    grew = True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in found and pid not in found:
                found.add(pid)
                grew = True
    return found


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def job_processes(job_id):
    """The processes of a job: whatever names its folder, and below."""
    roots = [int(p) for p in os.listdir("/proc")
             if p.isdigit() and job_id in cmdline(p)]
    return children_of(roots)


def job_process(job_id):
    """The job's `campuscut process`, once it runs."""
    for pid in job_processes(job_id):
        c = cmdline(pid)
        if " process " in c and "/bin/sh" not in c and "bwrap" not in c:
            return pid
    return None


def kill_leftovers(data):
    """Whatever still runs for a case's data folder (a job's processes
    outlive a killed server without the sandbox), killed."""
    roots = [int(p) for p in os.listdir("/proc")
             if p.isdigit() and data in cmdline(p)]
    for pid in children_of(roots) - {os.getpid()}:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def integrity_ok(data):
    db = sqlite3.connect(os.path.join(data, "campuscut.db"))
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()


def start_with_env(c, env, *args):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return c.start(*args)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def check_outputs(s, token, job, data, names=OUTPUTS):
    """The recorded outputs are the files, by name, size and SHA-256."""
    got = {o["name"]: o for o in job["outputs"]}
    check(set(got) == set(names), f"outputs {sorted(got)}")
    out = os.path.join(data, "jobs", job["id"], "out")
    check(sorted(os.listdir(out)) == sorted(names),
          f"nothing else in out/: {sorted(os.listdir(out))}")
    for name, o in got.items():
        with open(os.path.join(out, name), "rb") as f:
            body = f.read()
        check(o["size"] == len(body) and o["sha256"] == st.sha256(body),
              f"{name}'s size and SHA-256 as recorded")
        check(o["location"] == f"/api/jobs/{job['id']}/files/{name}",
              f"{name}'s location")


def check_job_folder(data, job_id, attempts):
    """Only out/ and the attempts' logs: no attempt folder, no temporary."""
    entries = sorted(os.listdir(os.path.join(data, "jobs", job_id)))
    want = sorted(["out"] + [f"attempt-{i}.log"
                             for i in range(1, attempts + 1)])
    check(entries == want, f"job folder {entries}, expected {want}")


# -- cases -------------------------------------------------------------------

CASES = []


def case(func):
    CASES.append(func)
    return func


@case
def test_job_end_to_end(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start()
    video = upload(s, t, media(c.tmp, "clip4.mp4", 4))
    job = new_job(s, t, **quick(video, platform_cut="00:01-00:03",
                                title="技能成才", people=["张三", "李四"]))
    check(job["state"] == "queued" and job["attempt"] == 0
          and job["outputs"] == [] and job["errors"] == [],
          f"a new job: {job}")
    check(job["options"] == {"category": "overview", "quality": "draft",
                             "platform_cut": "00:01-00:03",
                             "title": "技能成才", "people": ["张三", "李四"]},
          f"options as given: {job['options']}")
    events = follow(s, t, job["id"])
    kinds = [e for e, _ in events]
    states = [d["state"] for e, d in events if e == "state"]
    phases = [d["phase"] for e, d in events if e == "phase"]
    progress = [d for e, d in events if e == "progress"]
    check(states[-1] == "done" and "running" in states,
          f"states {states}")
    check("encode" in phases and "contact-sheet" in phases,
          f"phases {phases}")
    check(progress and all(0 <= p["percent"] <= 100 and p["job"] == job["id"]
                           for p in progress), f"progress {progress}")
    check(kinds[-1] == "state", "the final state ends the stream")
    done = get_job(s, t, job["id"])
    check(done["progress"] == 1 and done["attempt"] == 1
          and done["exit_code"] == 0 and done["finished_at"],
          f"done: {done}")
    check_outputs(s, t, done, c.data)
    check_job_folder(c.data, job["id"], 1)
    check_ranges(s, t, done)
    status, _, listing = s.json("GET", "/api/jobs", token=t)
    check(status == 200 and [j["id"] for j in listing["jobs"]] == [job["id"]],
          "the list")
    status, _, reply = s.json("DELETE", f"/api/uploads/{video}", token=t,
                              headers=TUS)
    check(status == 409 and reply["error"] == "in_use",
          f"an upload a job uses stays: {status}")
    check(s.stop() == 0, "SIGTERM: exit 0")


def check_ranges(s, t, job):
    """full.mp4 with Range as a <video> asks; the others whole."""
    files = {o["name"]: o for o in job["outputs"]}
    loc, size = files["full.mp4"]["location"], files["full.mp4"]["size"]
    status, h, body = s.request("GET", loc, token=t)
    check(status == 200 and h["Accept-Ranges"] == "bytes"
          and h["Content-Type"] == "video/mp4"
          and st.sha256(body) == files["full.mp4"]["sha256"],
          f"whole file: {status}")
    etag = h["ETag"]
    for rng, start, end in (("bytes=100-199", 100, 199),
                            ("bytes=0-", 0, size - 1),
                            ("bytes=-50", size - 50, size - 1),
                            (f"bytes={size - 10}-{size + 1000}",
                             size - 10, size - 1)):
        status, h, part = s.request("GET", loc, token=t,
                                    headers={"Range": rng})
        check(status == 206 and h["Content-Range"] ==
              f"bytes {start}-{end}/{size}" and part == body[start:end + 1]
              and int(h["Content-Length"]) == end - start + 1,
              f"{rng}: {status} {h['Content-Range']}")
    for rng in (f"bytes={size}-", "bytes=9223372036854775808-",
                "bytes=18446744073709551615-", "bytes=-0"):
        status, h, _ = s.request("GET", loc, token=t, headers={"Range": rng})
        check(status == 416 and h["Content-Range"] == f"bytes */{size}",
              f"{rng}: past the end: {status}")
    status, h, part = s.request("GET", loc, token=t,
                                headers={"Range": f"bytes=-{size * 4}"})
    check(status == 206 and part == body, "a suffix longer than the file")
    status, _, whole = s.request("GET", loc, token=t, headers={
        "Range": "bytes=0-9", "If-Range": '"not-the-etag"'})
    check(status == 200 and len(whole) == size, "If-Range of another file")
    status, _, part = s.request("GET", loc, token=t, headers={
        "Range": "bytes=0-9", "If-Range": etag})
    check(status == 206 and part == body[:10], "If-Range of this file")
    status, h, head = s.request("HEAD", loc, token=t,
                                headers={"Range": "bytes=10-19"})
    check(status == 206 and head == b"" and h["Content-Length"] == "10",
          f"HEAD with Range: {status}")
    status, h, jpeg = s.request("GET", files["contact.jpg"]["location"],
                                token=t)
    check(status == 200 and jpeg[:3] == b"\xff\xd8\xff"
          and h["Content-Type"] == "image/jpeg", "the contact sheet")
    status, _, report = s.json("GET", files["report.json"]["location"],
                               token=t)
    check(status == 200 and report["result"]["status"] == "done", "report")
    check_contact_layout(s, t, files, jpeg, report)
    for bad in ("x.mp4", "..%2Fout%2Ffull.mp4", "full.mp4/x", "log"):
        status, _, _ = s.request("GET", f"/api/jobs/{job['id']}/files/{bad}",
                                 token=t)
        check(status in (400, 404), f"files/{bad}: {status}")


def jpeg_size(data):
    """(width, height) from a JPEG's first start-of-frame marker."""
    i = 2
    while i + 9 < len(data):
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if 0xc0 <= marker <= 0xcf and marker not in (0xc4, 0xc8, 0xcc):
            return (int.from_bytes(data[i + 7:i + 9], "big"),
                    int.from_bytes(data[i + 5:i + 7], "big"))
        i += 2 + length
    return None


def check_contact_layout(s, t, files, jpeg, report):
    """contact.json: the sheet's grid as the JPEG has it, and each frame's
    time inside the video, in order."""
    status, h, lay = s.json("GET", files["contact.json"]["location"], token=t)
    check(status == 200 and h["Content-Type"] == "application/json",
          f"the sheet's layout: {status}")
    check((lay["width"], lay["height"]) == jpeg_size(jpeg),
          f"layout {lay['width']}x{lay['height']}, JPEG {jpeg_size(jpeg)}")
    tiles, cols = lay["tiles"], lay["columns"]
    duration = report["outputs"]["full"]["duration_s"]
    check(len(tiles) >= 1 and lay["rows"] == -(-len(tiles) // cols)
          and lay["interval_s"] == 5, f"the grid: {lay}")
    for i, tile in enumerate(tiles):
        check(tile["x"] == lay["gap"] + (i % cols) * (lay["tile_width"]
                                                       + lay["gap"])
              and tile["y"] == lay["gap"] + (i // cols) * (
                  lay["tile_height"] + lay["gap"]), f"tile {i}: {tile}")
        check(0 <= tile["t"] < duration, f"tile {i}'s time {tile['t']}")
    times = [tile["t"] for tile in tiles]
    check(times == sorted(times), f"times in order: {times}")


@case
def test_job_requests_refused(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start()
    video = upload(s, t, b"not really a video")
    bobs = upload(s, tokens["bob"], b"bob's")
    captions = upload(s, t, b"1\n00:00:01,000 --> 00:00:02,000\nhi\n",
                      kind="captions", filename="a.srt")
    half = s.create(t, 100).rsplit("/", 1)[1]
    for fields, code, error in (
            ({"video": video, "colour": "red"}, 400, "unknown_field"),
            ({"category": "overview"}, 400, "missing_field"),
            ({"video": 5}, 400, "bad_field"),
            ({"video": video, "people": ["a", 1]}, 400, "bad_field"),
            ({"video": video, "category": "news"}, 400, "bad_option"),
            ({"video": video, "category": "Overview"}, 400, "bad_option"),
            ({"video": video, "quality": "ultra"}, 400, "bad_option"),
            ({"video": video, "fps": "25abc"}, 400, "bad_option"),
            ({"video": video, "fps": "500"}, 400, "bad_option"),
            ({"video": video, "loudness": "loud"}, 400, "bad_option"),
            ({"video": video, "platform_cut": "00:10-00:05"}, 400,
             "bad_option"),
            ({"video": video, "platform_aspect": "square"}, 400,
             "bad_option"),
            ({"video": video, "on_too_long": "shrug"}, 400, "bad_option"),
            ({"video": video, "trim_fade": 11}, 400, "bad_option"),
            ({"video": video, "min_duration": 200, "max_duration": 100},
             400, "bad_option"),
            ({"video": video, "school": "a\nb"}, 400, "bad_option"),
            ({"video": video, "title": "x" * 201}, 400, "bad_option"),
            ({"video": video, "people": ["p"] * 21}, 400, "bad_option"),
            ({"video": video, "video_encoder": "x264enc"}, 400,
             "unknown_field"),
            ({"video": bobs}, 400, "unknown_upload"),
            ({"video": "0" * 32}, 400, "unknown_upload"),
            ({"video": "../../etc/passwd"}, 400, "unknown_upload"),
            ({"video": captions}, 400, "wrong_upload_kind"),
            ({"video": video, "captions": video}, 400, "wrong_upload_kind"),
            ({"video": half}, 409, "upload_incomplete")):
        status, _, reply = post_job(s, t, **fields)
        check(status == code and reply["error"] == error,
              f"{fields}: {status} {reply}")
    status, _, reply = s.json("POST", "/api/jobs", body="{", token=t,
                              headers=JS)
    check(status == 400 and reply["error"] == "bad_json", "malformed JSON")
    status, _, _ = s.json("POST", "/api/jobs",
                          body=json.dumps({"video": video}), token=t,
                          headers={"Content-Type": "text/plain"})
    check(status == 415, "not JSON: 415")
    status, _, _ = s.json("POST", "/api/jobs",
                          body=json.dumps({"video": video}), headers=JS)
    check(status == 401, "no token: 401")
    status, h, _ = s.json("PUT", "/api/jobs", token=t)
    check(status == 405 and h["Allow"] == "GET, POST", "PUT: 405")
    for path, method in (("/api/jobs/" + "0" * 32, "GET"),
                         ("/api/jobs/" + "0" * 32 + "/cancel", "POST"),
                         ("/api/jobs/" + "0" * 32 + "/nonsense", "GET"),
                         ("/api/jobsx", "GET")):
        status, _, _ = s.json(method, path, token=t, body=b"", headers=JS)
        check(status == 404, f"{method} {path}: {status}")
    status, _, _ = s.json("DELETE", "/api/jobs/" + "0" * 32, token=t)
    check(status == 405, "DELETE a job: 405")
    job = "/api/jobs/" + "0" * 32
    for method, path in (("OST", job + "/cancel"), ("GET", job + "/cancel"),
                         ("POST", job), ("ET", job), ("E", job + "/events"),
                         ("HEAD", job + "/events"),
                         ("POST", job + "/files/full.mp4")):
        status, _, _ = s.json(method, path, token=t, body=b"", headers=JS)
        check(status == 405, f"{method} {path}: {status}")
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"))
    check(db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 0,
          "no job was created")
    db.close()
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_rejected_jobs(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start()
    short = upload(s, t, media(c.tmp, "clip4.mp4", 4))
    story = new_job(s, t, video=short, category="story", quality="draft")
    garbage = upload(s, t, os.urandom(50000), filename="broken.mp4")
    broken = new_job(s, t, **quick(garbage))
    for job, code, words in ((story, 3, "180"), (broken, 4, "")):
        end = wait_job(s, t, job["id"])
        check(end["state"] == "rejected" and end["exit_code"] == code
              and end["attempt"] == 1 and words in end["reason"]
              and len(end["errors"]) == 1
              and end["errors"][0]["exit_code"] == code,
              f"rejected with exit {code}: {end}")
        check_outputs(s, t, end, c.data, names={"report.json"})
        status, _, reply = s.json("POST", f"/api/jobs/{job['id']}/retry",
                                  token=t, body=b"", headers=JS)
        check(status == 409 and reply["error"] == "not_retryable",
              "a rejected job is not retried")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_other_unit_cannot_see(c):
    tokens = st.setup_people(c.data)
    s = c.start()
    video = upload(s, tokens["alice"], b"alice's video")
    job = new_job(s, tokens["alice"], **quick(video))
    wait_job(s, tokens["alice"], job["id"])
    jid = job["id"]
    for method, path in (("GET", f"/api/jobs/{jid}"),
                         ("GET", f"/api/jobs/{jid}/events"),
                         ("GET", f"/api/jobs/{jid}/files/report.json"),
                         ("POST", f"/api/jobs/{jid}/cancel"),
                         ("POST", f"/api/jobs/{jid}/retry")):
        status, _, reply = s.json(method, path, token=tokens["bob"],
                                  body=b"", headers=JS)
        check(status == 404 and reply["error"] == "not_found",
              f"bob: {method} {path}: {status}")
    status, _, listing = s.json("GET", "/api/jobs", token=tokens["bob"])
    check(status == 200 and listing["jobs"] == [], "bob's list is empty")
    status, _, listing = s.json("GET", "/api/jobs", token=tokens["rita"])
    check([j["id"] for j in listing["jobs"]] == [jid], "the reviewer sees it")
    status, _, _ = s.json("GET", f"/api/jobs/{jid}/files/report.json",
                          token=tokens["rita"])
    check(status == 200, "and its files")
    check(s.stop() == 0, "SIGTERM: exit 0")


def wait_running(s, t, job_id):
    """Until the job's process reports progress; its pid."""
    wait_job(s, t, job_id, states={"running"})
    return wait_until(lambda: job_process(job_id)
                      and get_job(s, t, job_id)["phase"] == "encode"
                      and job_process(job_id), 120, step=0.1,
                      what="the job's process encoding")


@case
def test_cancel_and_retry(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start()
    video = upload(s, t, media(c.tmp, "clip20.mp4", 20, "ball"))
    job = new_job(s, t, video=video, category="overview",
                  platform_cut="none")
    wait_running(s, t, job["id"])
    stream = EventStream(s, job["id"], t)
    status, _, cancelled = s.json("POST", f"/api/jobs/{job['id']}/cancel",
                                  token=t, body=b"", headers=JS)
    check(status == 200 and cancelled["state"] == "cancelled",
          f"cancel: {status} {cancelled}")
    last = [d for e, d in stream if e == "state"][-1]
    stream.close()
    check(last["state"] == "cancelled", "the stream ends cancelled")
    wait_until(lambda: not job_processes(job["id"]), 20,
               what="the job's processes gone")
    wait_until(lambda: not os.path.exists(os.path.join(
        c.data, "jobs", job["id"], "run-1")), 10, what="its folder cleared")
    check(get_job(s, t, job["id"])["outputs"] == [], "no outputs")
    status, _, reply = s.json("POST", f"/api/jobs/{job['id']}/cancel",
                              token=t, body=b"", headers=JS)
    check(status == 409 and reply["error"] == "not_cancellable",
          "cancelled twice: 409")
    status, _, again = s.json("POST", f"/api/jobs/{job['id']}/retry",
                              token=t, body=b"", headers=JS)
    check(status == 200 and again["state"] in ("queued", "running")
          and again["max_attempts"] == 4, f"retry: {again}")
    end = wait_job(s, t, job["id"])
    check(end["state"] == "done" and end["attempt"] == 2,
          f"done on retry: {end}")
    check_outputs(s, t, end, c.data, names=OUTPUTS - {"platform.mp4"})
    check_job_folder(c.data, job["id"], 2)
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_killed_process_is_retried(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start("--retry-delay", "0")
    video = upload(s, t, media(c.tmp, "clip20.mp4", 20, "ball"))
    job = new_job(s, t, video=video, category="overview",
                  platform_cut="none")
    os.kill(wait_running(s, t, job["id"]), signal.SIGKILL)
    end = wait_job(s, t, job["id"])
    check(end["state"] == "done" and end["attempt"] == 2
          and len(end["errors"]) == 1 and end["errors"][0]["attempt"] == 1
          and "killed" in end["errors"][0]["reason"]
          and end["errors"][0]["exit_code"] is None,
          f"killed, then done: {end}")
    check_outputs(s, t, end, c.data, names=OUTPUTS - {"platform.mp4"})
    check_job_folder(c.data, job["id"], 2)
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_third_failure_stays_failed(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start("--retry-delay", "0", "--job-max-time", "1")
    video = upload(s, t, media(c.tmp, "clip20.mp4", 20, "ball"))
    job = new_job(s, t, video=video, category="overview",
                  platform_cut="none")
    end = wait_job(s, t, job["id"])
    check(end["state"] == "failed" and end["attempt"] == 3
          and end["exit_code"] == 1 and end["finished_at"]
          and [e["attempt"] for e in end["errors"]] == [1, 2, 3]
          and all("--max-time" in e["reason"] for e in end["errors"]),
          f"failed three times: {end}")
    check_outputs(s, t, end, c.data, names={"report.json"})
    status, _, again = s.json("POST", f"/api/jobs/{job['id']}/retry",
                              token=t, body=b"", headers=JS)
    check(status == 200 and again["max_attempts"] == 6, "retried by hand")
    s.json("POST", f"/api/jobs/{job['id']}/cancel", token=t, body=b"",
           headers=JS)
    wait_until(lambda: not job_processes(job["id"]), 20, what="no process")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_kill9_server_during_job(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start("--retry-delay", "0")
    video = upload(s, t, media(c.tmp, "clip20.mp4", 20, "ball"))
    job = new_job(s, t, video=video, category="overview",
                  platform_cut="none")
    wait_running(s, t, job["id"])
    s.proc.kill()
    s.proc.wait(30)
    wait_until(lambda: not job_processes(job["id"]), 20,
               what="the job's processes die with the server")
    check(integrity_ok(c.data), "integrity_check after kill -9")
    s2 = c.start("--retry-delay", "0")
    end = wait_job(s2, t, job["id"])
    check(end["state"] == "done" and end["attempt"] == 2
          and len(end["errors"]) == 1
          and "server stopped" in end["errors"][0]["reason"],
          f"queued again, done once: {end}")
    check_outputs(s2, t, end, c.data, names=OUTPUTS - {"platform.mp4"})
    check_job_folder(c.data, job["id"], 2)
    check(s2.stop() == 0, "SIGTERM: exit 0")
    check(integrity_ok(c.data), "integrity_check")


@case
def test_sigterm_gives_running_job_back(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start()
    video = upload(s, t, media(c.tmp, "clip20.mp4", 20, "ball"))
    job = new_job(s, t, video=video, category="overview",
                  platform_cut="none")
    wait_running(s, t, job["id"])
    check(s.stop() == 0, "SIGTERM with a job running: exit 0")
    check(not job_processes(job["id"]), "its processes were killed")
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"))
    row = db.execute("SELECT state, attempt, lease_owner, errors FROM jobs"
                     " WHERE id = ?", (job["id"],)).fetchone()
    db.close()
    check(row == ("queued", 0, None, "[]"),
          f"given back, the attempt not counted: {row}")
    check(not os.path.exists(os.path.join(c.data, "jobs", job["id"],
                                          "run-1")), "its folder removed")
    s2 = c.start()
    wait_job(s2, t, job["id"], states={"running"})
    check(get_job(s2, t, job["id"])["attempt"] == 1, "run again as attempt 1")
    s2.json("POST", f"/api/jobs/{job['id']}/cancel", token=t, body=b"",
            headers=JS)
    wait_until(lambda: not job_processes(job["id"]), 20, what="no process")
    check(s2.stop() == 0, "SIGTERM: exit 0")


def process_environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return dict(kv.split("=", 1) for kv in
                    f.read().decode(errors="replace").split("\0") if "=" in kv)


@case
def test_relative_data_private_environment(c):
    """--data given relative and no sandbox: the job still reads its
    input; the server's environment stays with the server (a token in it
    does not reach the job); a stop with an event stream open is clean."""
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    secret = "CAMPUSCUT_SERVE_TEST_SECRET"
    os.environ["SERVE_TEST_TOKEN"] = secret
    try:
        s = st.Server(os.path.relpath(c.data), "--no-sandbox", "--jobs", "1",
                      "--heartbeat", "0.1")
    finally:
        os.environ.pop("SERVE_TEST_TOKEN")
    c.servers.append(s)
    video = upload(s, t, media(c.tmp, "clip20.mp4", 20, "ball"))
    job = new_job(s, t, **quick(video))
    pid = wait_until(lambda: job_process(job["id"]) or (
        get_job(s, t, job["id"])["state"] in FINAL and -1), JOB_TIMEOUT,
        what="the job's process")
    check(pid > 0, f"the job runs: {get_job(s, t, job['id'])}")
    env = process_environ(pid)
    check("SERVE_TEST_TOKEN" not in env
          and secret not in "\0".join(env.values()),
          "the server's environment is not the job's")
    check("PATH" in env and env.get("GST_PLUGIN_PATH_1_0") ==
          os.environ.get("GST_PLUGIN_PATH_1_0"),
          f"what the job needs is passed: {sorted(env)}")
    end = wait_job(s, t, job["id"])
    check(end["state"] == "done", f"the job read its input: {end}")
    queued = [new_job(s, t, **quick(video)) for _ in range(2)]
    stream = EventStream(s, queued[1]["id"], t)
    first = next(iter(stream))
    check(first[0] == "state", f"a stream is open: {first}")
    check(s.stop() == 0, "SIGTERM with a stream open: exit 0")
    stream.close()


def hammer(s, token, video, created, stop):
    """Writes as fast as the server takes them: uploads, jobs, cancels."""
    while not stop.is_set():
        try:
            loc = s.create(token, 0, filename="empty.mp4")
            created["uploads"].append(loc.rsplit("/", 1)[1])
            status, _, job = post_job(s, token, **quick(video))
            if status == 201:
                created["jobs"].append(job["id"])
                s.json("POST", f"/api/jobs/{job['id']}/cancel",
                       token=token, body=b"", headers=JS)
        except (OSError, http.client.HTTPException, Failure, ValueError):
            return


@case
def test_kill9_during_database_writes(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    # kill -9 between an upload's record and its file: repaired at start
    c.expected_log = ["its file was missing; it starts again from 0"]
    s = c.start()
    video = upload(s, t, b"a tiny, broken video")
    created, stop = {"uploads": [], "jobs": []}, threading.Event()
    threads = [threading.Thread(target=hammer,
                                args=(s, t, video, created, stop))
               for _ in range(4)]
    for th in threads:
        th.start()
    wait_until(lambda: len(created["jobs"]) >= 20, 60,
               what="a burst of writes")
    s.proc.kill()
    s.proc.wait(30)
    stop.set()
    for th in threads:
        th.join(30)
    check(integrity_ok(c.data), "integrity_check after kill -9")
    s2 = c.start()
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"))
    jobs = {r[0] for r in db.execute("SELECT id FROM jobs")}
    uploads = {r[0] for r in db.execute("SELECT id FROM uploads")}
    running = db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'running'"
                         " AND lease_owner NOT LIKE ?",
                         (f"%:{s2.proc.pid}:%",)).fetchone()[0]
    db.close()
    check(set(created["jobs"]) <= jobs, "every acknowledged job is there")
    check(set(created["uploads"]) <= uploads,
          "every acknowledged upload is there")
    check(running == 0, "nothing runs under the dead server's lease")
    wait_until(lambda: all(get_job(s2, t, j)["state"] in FINAL
                           for j in jobs), JOB_TIMEOUT,
               what="every job ends")
    print(f"  {len(created['jobs'])} jobs, {len(created['uploads'])} "
          "uploads acknowledged before kill -9")
    check(s2.stop() == 0, "SIGTERM: exit 0")
    check(integrity_ok(c.data), "integrity_check")


class Recorder(http.server.BaseHTTPRequestHandler):
    """Serves the segment and counts who asked."""
    requests = []
    body = b""

    def do_GET(self):
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "video/mp2t")
        self.send_header("Content-Length", str(len(Recorder.body)))
        self.end_headers()
        self.wfile.write(Recorder.body)

    def log_message(self, *args):
        pass


def trap_jobs(s, t, tmp, port):
    """Two playlist jobs: to a file outside, and to http://; their ends."""
    ends = []
    for name, uri in (("file.m3u8", "file://" + segment(tmp)),
                      ("http.m3u8", f"http://127.0.0.1:{port}/seg.ts")):
        video = upload(s, t, playlist(uri), filename=name)
        ends.append(new_job(s, t, **quick(video))["id"])
    return [wait_job(s, t, j) for j in ends]


def probed_video(s, t, job):
    files = {o["name"]: o for o in job["outputs"]}
    if "report.json" not in files:
        return 0
    _, _, report = s.json("GET", files["report.json"]["location"], token=t)
    return (report["input"].get("probe") or {}).get("video_streams", 0)


@case
def test_sandbox_playlist_trap(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    with open(segment(c.tmp), "rb") as f:
        Recorder.body = f.read()
    Recorder.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    try:
        # the veto on: refused as a playlist, before anything reads it
        s = c.start("--retry-delay", "0")
        video = upload(s, t, playlist("file://" + segment(c.tmp)),
                       filename="a.m3u8")
        end = wait_job(s, t, new_job(s, t, **quick(video))["id"])
        check(end["state"] == "rejected" and "playlist" in end["reason"],
              f"the veto refuses it: {end['reason']}")
        s.stop()
        # the veto off, in the sandbox: nothing outside can be read
        s = start_with_env(c, TRAP_ENV, "--retry-delay", "0")
        for end in trap_jobs(s, t, c.tmp, port):
            print(f"  in the sandbox: {end['state']}: {end['reason']}")
            check(end["state"] in ("rejected", "failed")
                  and probed_video(s, t, end) == 0
                  and not any(o["name"] == "full.mp4"
                              for o in end["outputs"]),
                  f"the sandbox stops it: {end['state']} {end['reason']}")
        check(Recorder.requests == [], f"no request: {Recorder.requests}")
        check(s.stop() == 0, "SIGTERM: exit 0")
    finally:
        httpd.shutdown()
        httpd.server_close()


@case
def test_playlist_trap_is_real_without_sandbox(c):
    """The control: the same inputs without the sandbox do get read."""
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    with open(segment(c.tmp), "rb") as f:
        Recorder.body = f.read()
    Recorder.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        s = start_with_env(c, TRAP_ENV, "--no-sandbox", "--retry-delay", "0")
        file_end, _ = trap_jobs(s, t, c.tmp, httpd.server_address[1])
        check(probed_video(s, t, file_end) == 1,
              "without the sandbox the outside file was read")
        check(Recorder.requests, "and the URL was fetched")
        check(s.stop() == 0, "SIGTERM: exit 0")
    finally:
        httpd.shutdown()
        httpd.server_close()


@case
def test_no_sandbox_needs_the_switch(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = start_with_env(c, {"PATH": "/nonexistent"})
    status, _, h = s.json("GET", "/api/health")
    check(h["sandbox"]["namespaces"] is False and h["jobs_enabled"] is False
          and "not installed" in h["sandbox"]["detail"], f"health: {h}")
    video = upload(s, t, media(c.tmp, "clip4.mp4", 4))
    status, _, reply = post_job(s, t, **quick(video))
    check(status == 503 and reply["error"] == "sandbox_unavailable",
          f"no job without a sandbox: {status}")
    check("--no-sandbox" in s.stderr(), "the server said so at start")
    check(s.stop() == 0, "SIGTERM: exit 0")
    s = start_with_env(c, {"PATH": "/nonexistent"}, "--no-sandbox")
    status, _, h = s.json("GET", "/api/health")
    check(h["jobs_enabled"] is True and h["sandbox"]["used"] is False,
          f"health with --no-sandbox: {h}")
    end = wait_job(s, t, new_job(s, t, **quick(video))["id"])
    check(end["state"] == "done", f"it runs: {end}")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_event_stream_outlives_idle_timeout(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start("--jobs", "1", "--idle-timeout", "1", "--heartbeat", "0.3")
    busy = upload(s, t, media(c.tmp, "clip20.mp4", 20, "ball"))
    first = new_job(s, t, video=busy, category="overview",
                    platform_cut="none")
    wait_job(s, t, first["id"], states={"running"})
    waiting = new_job(s, t, video=busy, category="overview",
                      platform_cut="none")
    stream = EventStream(s, waiting["id"], t)
    idle = s.raw()
    t0, seen = time.monotonic(), []
    for event in stream:
        seen.append(event)
        if time.monotonic() - t0 > 3:
            break
    check(seen[0][0] == "state" and seen[0][1]["state"] == "queued",
          "the stream starts with the state")
    beats = sum(1 for e, _ in seen if e == "comment")
    check(beats >= 5, f"heartbeats: {beats}")
    idle.settimeout(1)
    try:
        check(idle.recv(1) == b"", "an idle connection is dropped")
    except ConnectionResetError:
        pass
    idle.close()
    for j in (waiting, first):
        s.json("POST", f"/api/jobs/{j['id']}/cancel", token=t, body=b"",
               headers=JS)
    rest = [d for e, d in stream if e == "state"]
    stream.close()
    check(rest and rest[-1]["state"] == "cancelled",
          "the stream ends with the final state")
    wait_until(lambda: not job_processes(first["id"]), 20, what="no process")
    check(s.stop() == 0, "SIGTERM: exit 0")


class BreakingProxy:
    """A TCP proxy that cuts the first connection to carry more than
    `limit` bytes upstream, once."""

    def __init__(self, upstream, limit):
        self.upstream, self.limit, self.cuts = upstream, limit, 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream, timeout=60)
            pair = (client, server)
            threading.Thread(target=self.pump, args=(client, server, pair,
                                                     True), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, pair,
                                                     False), daemon=True).start()

    def pump(self, src, dst, pair, upstream):
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                sent += len(data)
                if upstream and sent > self.limit:
                    with self.lock:
                        if self.cuts == 0:
                            self.cuts = 1
                            for s in pair:
                                s.shutdown(socket.SHUT_RDWR)
                            return
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self):
        self.sock.close()


def submit(*args, timeout=JOB_TIMEOUT):
    p = subprocess.run([CLI, "submit", *args], capture_output=True,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@case
def test_submit_wait_download(c):
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start()
    clip = media(c.tmp, "clip4.mp4", 4)
    proxy = BreakingProxy((s.host, s.port), os.path.getsize(clip) // 3)
    try:
        out = os.path.join(c.tmp, "submit-out")
        rc, stdout, stderr = submit(
            clip, "--server", f"http://127.0.0.1:{proxy.port}/", "--token", t,
            "--category", "overview", "--quality", "draft",
            "--platform-cut", "00:01-00:03", "--title", "t", "--people", "a",
            "--people", "b", "--wait", "--download", out)
        check(rc == 0, f"submit: {rc}\n{stdout}\n{stderr}")
        check(proxy.cuts == 1 and "broke off" in stderr,
              f"the upload broke once and resumed: {stderr}")
        job_id = stdout.split("job: /api/jobs/")[1].split()[0]
        check("state: done" in stdout, f"state: {stdout}")
        job = get_job(s, t, job_id)
        check(job["options"]["people"] == ["a", "b"], "options passed")
        status, _, up = s.json("GET", f"/api/uploads/{job['video']}", token=t)
        with open(clip, "rb") as f:
            check(up["sha256"] == st.sha256(f.read()),
                  "the resumed upload is the file")
        for o in job["outputs"]:
            with open(os.path.join(out, o["name"]), "rb") as f:
                check(st.sha256(f.read()) == o["sha256"],
                      f"downloaded {o['name']}")
            check(f"file: {os.path.join(out, o['name'])}" in stdout,
                  f"{o['name']} named")
        check(sorted(os.listdir(out)) == sorted(OUTPUTS),
              f"no partial file: {os.listdir(out)}")
    finally:
        proxy.close()
    server = f"http://{s.host}:{s.port}/"
    rc, stdout, _ = submit(clip, "--server", server, "--token", t,
                           "--category", "story", "--quality", "draft",
                           "--wait", "--quiet")
    check(rc == 3 and "state: rejected" in stdout, f"rejected: exit {rc}")
    rc, _, stderr = submit(clip, "--server", server, "--token", t,
                           "--category", "news", "--quiet")
    check(rc == 2 and "category" in stderr, f"refused options: exit {rc}")
    rc, _, _ = submit(clip, "--server", server, "--token", "wrong" * 9,
                      "--quiet")
    check(rc == 1, f"a wrong token: exit {rc}")
    rc, _, _ = submit(clip, "--server", server)
    check(rc == 2, "no token: usage")
    rc, stdout, _ = submit(clip, "--server", server, "--token", t,
                           "--category", "overview", "--quiet")
    check(rc == 0 and "job: /api/jobs/" in stdout, "without --wait: queued")
    check(s.stop() == 0, "SIGTERM: exit 0")


def main(argv):
    return st.run_cases(CASES, argv, "campuscut-jobs-", after=kill_leftovers)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
