#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end tests of `campuscut serve`'s review of the campaign: rounds
and units' contacts from the command line; a job's round and submission
metadata, accepted and refused; decisions (reviewers only, bound to the
outputs' SHA-256, a reason required, the log append-only in the database)
and their void when a job is made anew; comments; the review queue; the
campaign's counts against the quotas with two units of each kind; the
tables as Excel (read back with openpyxl) and CSV (BOM, CRLF, formulas
neutralised); the submission pack (names, folders, the UTF-8 flag, the
members' SHA-256, what a submitter may fetch).

The servers, the HTTP helpers and the media come from test-serve.py and
test-jobs.py. Every wait is bounded; everything started is killed.

    CAMPUSCUT_CLI=build/pipelines/campuscut \\
    GST_PLUGIN_PATH_1_0=$PWD/build/plugins \\
    python3 tests/server/test-review.py [CASE...]

Ends with "Checks: N, Failures: F, Errors: E" (one check per case).
"""
import csv
import importlib.util
import io
import json
import os
import re
import sqlite3
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, file):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _openpyxl():
    """python3-openpyxl (scripts/bootstrap.sh --with-tests), also when
    python3 is not Debian's own (it is pure Python)."""
    try:
        import openpyxl
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        import openpyxl
    return openpyxl


tj = _load("jobs_tests", "test-jobs.py")
st = tj.st
check, wait_until, Failure = st.check, st.wait_until, st.Failure
JS = tj.JS
cli = st.cli

STORY_HEADERS = ["序号", "单位", "单位类型", "作品标题", "类别", "学生",
                 "榜样人物", "时长", "文件名", "审核结果", "审核人",
                 "审核时间", "联系人", "联系电话"]
FACT_HEADERS = ["序号", "单位", "单位类型", "作品标题", "学生", "榜样姓名",
                "毕业年份", "所学专业", "工作单位", "岗位", "主要事迹",
                "联系人", "联系电话"]
OPEN, PAST = "2099-12-31", "2020-01-01"


def people(data, units):
    """units: (name, kind, submitter) ...; plus the reviewer rita."""
    tokens = {}
    for name, kind, user in units:
        rc, _, err = cli(data, "units", "add", name, "--kind", kind)
        check(rc == 0, f"units add {name}: {err}")
        rc, out, err = cli(data, "users", "add", user, "--role", "submitter",
                           "--unit", name)
        check(rc == 0, f"users add {user}: {err}")
        tokens[user] = out.strip()
    rc, out, _ = cli(data, "users", "add", "rita", "--role", "reviewer")
    check(rc == 0, "users add rita")
    tokens["rita"] = out.strip()
    return tokens


def post(s, token, path, body):
    return s.json("POST", path, body=json.dumps(body).encode(), token=token,
                  headers=JS)


def story(video, **extra):
    """A story job on a short clip: the duration rule opened for it."""
    return {"video": video, "category": "story", "quality": "draft",
            "min_duration": 1, "max_duration": 600, **extra}


def seen(job):
    return [{"name": o["name"], "sha256": o["sha256"]}
            for o in job["outputs"]]


def decide(s, token, job, decision="approved", reason="符合要求",
           outputs=None):
    return post(s, token, f"/api/jobs/{job['id']}/decision",
                {"decision": decision, "reason": reason,
                 "outputs": seen(job) if outputs is None else outputs})


def tmp_empty(data):
    return os.listdir(os.path.join(data, "tmp")) == []


# -- cases -------------------------------------------------------------------

CASES = []


def case(func):
    CASES.append(func)
    return func


@case
def test_rounds_and_units_commands(c):
    data = c.data
    check(cli(data, "rounds", "add", "1", "--deadline", PAST)[0] == 0,
          "rounds add 1")
    rc, _, err = cli(data, "rounds", "add", "2", "--deadline", OPEN,
                     "--name", "第二轮")
    check(rc == 0, f"rounds add 2: {err}")
    for bad in (["rounds", "add", "3", "--deadline", "2025-02-30"],
                ["rounds", "add", "3"], ["rounds", "add", "0", "--deadline",
                                         OPEN],
                ["rounds", "add", "x", "--deadline", OPEN],
                ["units", "add", "东城区", "--kind", "district", "--phone",
                 "call me"],
                ["units", "set", "东城区"]):
        rc, _, _ = cli(data, *bad)
        check(rc == 2, f"{bad}: usage, not {rc}")
    rc, _, err = cli(data, "rounds", "add", "2", "--deadline", OPEN)
    check(rc == 1 and "already" in err, "a round is added once")
    rc, out, _ = cli(data, "rounds", "list")
    check(rc == 0 and f"1\t第1轮\t{PAST}\tclosed" in out
          and f"2\t第二轮\t{OPEN}\topen" in out, f"rounds list: {out}")
    rc, _, err = cli(data, "units", "add", "东城区", "--kind", "district",
                     "--contact", "王老师", "--phone", "010-6512 3456")
    check(rc == 0, f"units add with a contact: {err}")
    rc, _, _ = cli(data, "units", "set", "东城区", "--phone", "+86 10 1234")
    check(rc == 0, "units set")
    rc, _, err = cli(data, "units", "set", "nowhere", "--phone", "123")
    check(rc == 1 and "nowhere" in err, "units set of no unit")
    rc, out, _ = cli(data, "units", "list")
    check("东城区\tdistrict\t王老师\t+86 10 1234" in out, f"units list: {out}")


@case
def test_job_round_and_metadata(c):
    for args in (("1", "--deadline", PAST), ("2", "--deadline", OPEN)):
        check(cli(c.data, "rounds", "add", *args)[0] == 0, "rounds add")
    tokens = st.setup_people(c.data)
    t = tokens["alice"]
    s = c.start()
    video = tj.upload(s, t, b"not really a video")
    rm = {"name": "李师傅", "graduation_year": 2008, "major": "数控技术",
          "employer": "北京机床厂", "post": "车间主任",
          "deeds": "扎根一线十五年，带出三十名徒弟。"}
    job = tj.new_job(s, t, **story(video, student="张同学", role_model=rm))
    check(job["round"] == 2 and job["student"] == "张同学"
          and job["role_model"] == rm and job["review_state"] == "none",
          f"metadata and the open round: {job}")
    check(tj.get_job(s, t, job["id"])["role_model"] == rm, "GET shows them")
    late = tj.new_job(s, tokens["rita"], **tj.quick(video, round=1))
    check(late["round"] == 1, "a reviewer may file into a closed round")
    long_deeds = dict(rm, deeds="好" * 501)
    for fields, code, error in (
            (tj.quick(video, round=1), 409, "round_closed"),
            (tj.quick(video, round=9), 400, "unknown_round"),
            (tj.quick(video, round="2"), 400, "bad_field"),
            (tj.quick(video, student="张" * 51), 400, "bad_option"),
            (tj.quick(video, student=""), 400, "bad_option"),
            (tj.quick(video, role_model=rm), 400, "bad_option"),
            (story(video, role_model="李师傅"), 400, "bad_field"),
            (story(video, role_model={"major": "x"}), 400, "missing_field"),
            (story(video, role_model=dict(rm, hobby="x")), 400,
             "unknown_field"),
            (story(video, role_model=dict(rm, graduation_year=1900)), 400,
             "bad_option"),
            (story(video, role_model=dict(rm, graduation_year="2008")), 400,
             "bad_field"),
            (story(video, role_model=long_deeds), 400, "bad_option"),
            (story(video, role_model=dict(rm, post="a\nb")), 400,
             "bad_option")):
        status, _, reply = tj.post_job(s, t, **fields)
        check(status == code and reply["error"] == error,
              f"{fields}: {status} {reply}, expected {code} {error}")
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"))
    check(db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 2,
          "nothing refused was stored")
    db.close()
    # every round past: a submitter's job has none to go to
    db = sqlite3.connect(os.path.join(c.data, "campuscut.db"))
    db.execute("UPDATE rounds SET deadline = '2020-01-02' WHERE number = 2")
    db.commit()
    db.close()
    status, _, reply = tj.post_job(s, t, **tj.quick(video))
    check(status == 409 and reply["error"] == "round_closed",
          f"no open round: {status} {reply}")
    status, _, reply = tj.post_job(s, t, **tj.quick(video, round=2))
    check(status == 409 and reply["error"] == "round_closed",
          f"round 2 closed now: {status} {reply}")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_decisions_comments_and_void(c):
    tokens = st.setup_people(c.data)
    t, rita, bob = tokens["alice"], tokens["rita"], tokens["bob"]
    s = c.start("--retry-delay", "0")
    video = tj.upload(s, t, tj.media(c.tmp, "clip4.mp4", 4))
    job = tj.new_job(s, t, **tj.quick(video, platform_cut="00:01-00:03"))
    check(job["round"] is None, "no rounds set up: no round")
    status, _, reply = decide(s, rita, job)
    check(status == 409 and reply["error"] == "not_done",
          f"not done yet: {status} {reply}")
    job = tj.wait_job(s, t, job["id"])
    check(job["state"] == "done" and job["review_state"] == "pending",
          f"done, pending review: {job}")
    status, _, queue = s.json("GET", "/api/review/queue", token=rita)
    check(status == 200 and [j["id"] for j in queue["jobs"]] == [job["id"]],
          f"the queue: {status} {queue}")
    status, _, reply = s.json("GET", "/api/review/queue", token=t)
    check(status == 403 and reply["error"] == "forbidden",
          f"a submitter has no queue: {status}")
    status, _, reply = decide(s, t, job)
    check(status == 403 and reply["error"] == "forbidden",
          f"a submitter cannot decide: {status} {reply}")
    status, _, reply = decide(s, bob, job)
    check(status == 404, f"nor see another unit's job: {status}")
    full = next(o for o in job["outputs"] if o["name"] == "full.mp4")
    stale = [dict(o, sha256="0" * 64) if o["name"] == "full.mp4" else o
             for o in seen(job)]
    only_full = [{"name": "full.mp4", "sha256": full["sha256"]}]
    for body_change, code, error in (
            ({"reason": ""}, 400, "bad_reason"),
            ({"reason": "   "}, 400, "bad_reason"),
            ({"decision": "maybe"}, 400, "bad_decision"),
            ({"decision": "pending"}, 400, "bad_decision"),
            ({"outputs": stale}, 409, "outputs_changed"),
            ({"outputs": only_full}, 409, "outputs_changed"),
            ({"outputs": [{"name": "x.mp4", "sha256": full["sha256"]}]},
             409, "outputs_changed"),
            ({"outputs": [{"name": "full.mp4"}]}, 400, "missing_field"),
            ({"outputs": [{"name": "full.mp4", "sha256": "", "x": 1}]}, 400,
             "unknown_field")):
        body = {"decision": "approved", "reason": "好", "outputs": seen(job),
                **body_change}
        status, _, reply = post(s, rita, f"/api/jobs/{job['id']}/decision",
                                body)
        check(status == code and reply["error"] == error,
              f"{body_change}: {status} {reply}, expected {code} {error}")
    status, _, reply = post(s, rita, f"/api/jobs/{job['id']}/decision",
                            {"decision": "approved", "outputs": seen(job)})
    check(status == 400 and reply["error"] == "missing_field",
          "a reason is required")
    status, _, d = decide(s, rita, job, "changes_requested", "片头太长")
    check(status == 201 and d["decision"] == "changes_requested"
          and d["user"] == "rita" and d["outputs"] == seen(job),
          f"changes requested: {status} {d}")
    status, _, d = decide(s, rita, job, "approved", "已修改，通过")
    check(status == 201, f"approved: {status} {d}")
    check(tj.get_job(s, t, job["id"])["review_state"] == "approved",
          "the job is approved")
    status, _, queue = s.json("GET", "/api/review/queue", token=rita)
    check(queue["jobs"] == [], "the queue is empty")
    check_log_append_only(c.data, job["id"])
    check_comments(s, tokens, job)
    # made anew: the decision on the old files is void
    status, _, again = post(s, t, f"/api/jobs/{job['id']}/rerun", {})
    check(status == 200 and again["state"] == "queued"
          and again["review_state"] == "none",
          f"rerun: no decision stands from then on: {status} {again}")
    redone = tj.wait_job(s, t, job["id"])
    check(redone["state"] == "done" and redone["review_state"] == "pending"
          and redone["attempt"] == 2, f"done again, pending: {redone}")
    status, _, log = s.json("GET", f"/api/jobs/{job['id']}/decisions",
                            token=t)
    kinds = [(d["decision"], d["user"]) for d in log["decisions"]]
    check(status == 200 and kinds == [("changes_requested", "rita"),
                                      ("approved", "rita"), ("void", None)],
          f"the log, oldest first: {kinds}")
    check(log["decisions"][-1]["reason"] == "outputs changed"
          and log["decisions"][-1]["outputs"] == seen(job),
          f"the void names the files it voids: {log['decisions'][-1]}")
    old = {o["name"]: o["sha256"] for o in job["outputs"]}
    new = {o["name"]: o["sha256"] for o in redone["outputs"]}
    if old != new:
        status, _, reply = decide(s, rita, redone, outputs=seen(job))
        check(status == 409, f"the old files' hashes: {status} {reply}")
    status, _, d = decide(s, rita, redone)
    check(status == 201, "the new files can be approved")
    status, _, again = post(s, t, f"/api/jobs/{job['id']}/rerun", {})
    check(status == 200, "rerun again")
    status, _, log = s.json("GET", f"/api/jobs/{job['id']}/decisions",
                            token=rita)
    check(log["decisions"][-1]["decision"] == "void",
          "void with the rerun, before the new attempt")
    check(tj.wait_job(s, t, job["id"])["review_state"] == "pending",
          "pending again")
    status, _, log = s.json("GET", f"/api/jobs/{job['id']}/decisions",
                            token=rita)
    check([d["decision"] for d in log["decisions"]].count("void") == 2,
          "one void per voided decision")
    status, _, _ = post(s, t, f"/api/jobs/{job['id']}/retry", {})
    check(status == 409, "a done job is not retried, it is rerun")
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_platform_cut_made_again(c):
    """A reviewer's new segments: only the platform cut is made again (the
    full cut and the contact sheet keep their SHA-256), the report gives
    the new segments, the approval on the old files is void at once;
    submitters and bad lists are refused; a rerun afterwards is whole."""
    tokens = st.setup_people(c.data)
    t, rita = tokens["alice"], tokens["rita"]
    s = c.start("--retry-delay", "0")
    video = tj.upload(s, t, tj.media(c.tmp, "clip8.mp4", 8))
    job = tj.new_job(s, t, **tj.quick(video, platform_cut="00:01-00:03"))
    path = f"/api/jobs/{job['id']}/platform"
    status, _, reply = post(s, rita, path, {"platform_cut": "00:02-00:04"})
    check(status == 409 and reply["error"] == "not_done",
          f"not before the full cut is done: {status} {reply}")
    job = tj.wait_job(s, t, job["id"])
    check(job["state"] == "done", f"done: {job}")
    status, _, d = decide(s, rita, job)
    check(status == 201, f"approved: {status} {d}")
    for who, body, code, error in (
            (t, {"platform_cut": "00:02-00:04"}, 403, "forbidden"),
            (rita, {"platform_cut": "00:05-00:02"}, 400, "bad_request"),
            (rita, {"platform_cut": "0:00-1:01"}, 400, "bad_request"),
            (rita, {"platform_cut": "none"}, 400, "bad_request"),
            (rita, {"platform_cut": "0:09-0:12"}, 400, "bad_request"),
            (rita, {}, 400, "missing_field"),
            (rita, {"platform_cut": "0:01-0:02", "x": 1}, 400,
             "unknown_field")):
        status, _, reply = post(s, who, path, body)
        check(status == code and reply["error"] == error,
              f"{body}: {status} {reply}, expected {code} {error}")
    before = {o["name"]: o["sha256"] for o in job["outputs"]}
    out = os.path.join(c.data, "jobs", job["id"], "out")
    inodes = {name: os.stat(os.path.join(out, name)).st_ino
              for name in ("full.mp4", "contact.jpg", "contact.json")}
    status, _, queued = post(s, rita, path,
                             {"platform_cut": "00:04-00:06.4"})
    check(status == 200 and queued["state"] == "queued"
          and queued["review_state"] == "none",
          f"queued, no decision standing: {status} {queued}")
    status, _, log = s.json("GET", f"/api/jobs/{job['id']}/decisions",
                            token=rita)
    check([d["decision"] for d in log["decisions"]] == ["approved", "void"],
          f"void at once: {log}")
    done = tj.wait_job(s, t, job["id"])
    check(done["state"] == "done" and done["attempt"] == 2
          and done["review_state"] == "pending", f"done again: {done}")
    after = {o["name"]: o["sha256"] for o in done["outputs"]}
    check(set(after) == set(before), f"the same outputs: {sorted(after)}")
    for name in ("full.mp4", "contact.jpg", "contact.json"):
        check(after[name] == before[name], f"{name} kept as it was")
    check(after["platform.mp4"] != before["platform.mp4"],
          "a new platform cut")
    tj.check_outputs(s, t, done, c.data)
    tj.check_job_folder(c.data, job["id"], 2)
    status, _, report = s.json("GET", f"/api/jobs/{job['id']}/files/"
                               "report.json", token=t)
    platform = report["outputs"]["platform"]
    check(status == 200 and platform["segments"] == "0:04.000-0:06.400"
          and abs(platform["duration_s"] - 2.4) < 0.05
          and report["result"]["remade"] == "platform",
          f"the report's platform cut: {platform} {report['result']}")
    loudness = [k for k in platform["checks"] if k["check"] == "loudness"]
    check(platform["loudness"] is not None and len(loudness) == 1
          and loudness[0]["verdict"] == "pass",
          f"normalised and checked as the first run was: {loudness}")
    for name, ino in inodes.items():
        check(os.stat(os.path.join(out, name)).st_ino == ino,
              f"{name} is the same file, not made again")
    # a rerun after it makes everything again
    status, _, again = post(s, t, f"/api/jobs/{job['id']}/rerun", {})
    check(status == 200 and "remake" not in again["options"]
          and again["options"]["platform_cut"] == "00:04-00:06.4",
          f"a whole run with the new segments: {status} {again}")
    whole = tj.wait_job(s, t, job["id"])
    check(whole["state"] == "done", f"done: {whole}")
    status, _, report = s.json("GET", f"/api/jobs/{job['id']}/files/"
                               "report.json", token=t)
    check("remade" not in report["result"], "a whole run's report")
    check(s.stop() == 0, "SIGTERM: exit 0")


def check_log_append_only(data, job_id):
    db = sqlite3.connect(os.path.join(data, "campuscut.db"))
    try:
        for sql in ("UPDATE decisions SET decision = 'rejected'",
                    "DELETE FROM decisions",
                    f"UPDATE decisions SET reason = 'x' WHERE job_id = "
                    f"'{job_id}'"):
            try:
                db.execute(sql)
                db.commit()
                raise Failure(f"{sql}: the log was changed")
            except sqlite3.DatabaseError as e:
                check("append-only" in str(e), f"{sql}: {e}")
        n = db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
        check(n == 2, f"both entries still there: {n}")
    finally:
        db.close()


def check_comments(s, tokens, job):
    path = f"/api/jobs/{job['id']}/comments"
    status, _, a = post(s, tokens["alice"], path,
                        {"t": 1.5, "text": "片头字幕\n请再看看"})
    check(status == 201 and a["user"] == "alice" and a["t"] == 1.5,
          f"a submitter comments: {status} {a}")
    status, _, b = post(s, tokens["rita"], path, {"t": 0, "text": "好"})
    check(status == 201 and b["id"] > a["id"], "the reviewer too")
    for body, code in (({"t": -1, "text": "x"}, 400),
                       ({"t": 1, "text": " "}, 400),
                       ({"t": 1, "text": "x" * 1001}, 400),
                       ({"t": 1}, 400), ({"t": 1, "text": "x", "y": 1}, 400),
                       ({"t": "1", "text": "x"}, 400)):
        status, _, _ = post(s, tokens["alice"], path, body)
        check(status == code, f"{body}: {status}")
    status, _, _ = post(s, tokens["bob"], path, {"t": 1, "text": "x"})
    check(status == 404, f"another unit: {status}")
    status, _, listing = s.json("GET", path, token=tokens["alice"])
    check(status == 200 and [(x["user"], x["text"])
                             for x in listing["comments"]]
          == [("alice", "片头字幕\n请再看看"), ("rita", "好")],
          f"comments, oldest first: {listing}")
    status, _, _ = s.json("GET", path, token=tokens["bob"])
    check(status == 404, "another unit's comments do not exist")


# -- the campaign and the exports ---------------------------------------------

UNITS = (("东城区", "district", "alice"), ("西城区", "district", "dora"),
         ("技师学院", "college", "bob"), ("商贸学院", "college", "cora"))
EVIL_TITLE = '=HYPERLINK("http://x.invalid","点我")'


def campaign_jobs(c, s, tokens):
    """东城区: 2 stories and an overview approved, 1 of 2 craftsman talks
    (the other pending); 技师学院: one of each approved. The others none."""
    clip = tj.media(c.tmp, "clip4.mp4", 4)
    cut = {"platform_cut": "00:01-00:03"}
    rm = {"name": "李师傅", "graduation_year": 2008, "major": "数控技术",
          "employer": "北京机床厂", "post": "车间主任",
          "deeds": "扎根一线十五年。"}
    plan = (("alice", story, {"title": "同名作品", "student": "张同学",
                              "role_model": rm}, True),
            ("alice", story, {"title": "同名作品", "student": "@SUM(1+1)",
                              "role_model": dict(rm, name="-王师傅")}, True),
            ("alice", story, {"category": "craftsman",
                                 "title": 'a<b>c:d*e?f"g|h\\i/j. '}, True),
            ("alice", story, {"category": "craftsman", "title": "待审"},
             False),
            ("alice", tj.quick, {"title": "东城风采"}, True),
            ("bob", story, {"title": EVIL_TITLE, "student": "+1"}, True),
            ("bob", story, {"category": "craftsman", "title": "工匠"},
             True),
            ("bob", tj.quick, {"title": "学院风采"}, True))
    jobs = []
    for user, make, extra, approve in plan:
        video = tj.upload(s, tokens[user], clip)
        jobs.append((tj.new_job(s, tokens[user], **make(video, **cut,
                                                        **extra)), approve))
    done = []
    for job, approve in jobs:
        end = tj.wait_job(s, tokens["rita"], job["id"])
        check(end["state"] == "done", f"{end['options']}: {end['reason']}")
        if approve:
            status, _, d = decide(s, tokens["rita"], end)
            check(status == 201, f"approve: {status} {d}")
        done.append((end, approve))
    return done


def units_by_name(s, token):
    status, _, camp = s.json("GET", "/api/campaign?round=1", token=token)
    check(status == 200, f"campaign: {status} {camp}")
    return camp, {u["name"]: u for u in camp["units"]}


def check_campaign(s, tokens):
    camp, units = units_by_name(s, tokens["rita"])
    check(camp["round"]["number"] == 1 and camp["round"]["deadline"] == OPEN
          and camp["round"]["open"], f"the round: {camp['round']}")
    check(set(units) == {u for u, _, _ in UNITS}, f"units: {list(units)}")
    east, college = units["东城区"]["categories"], units["技师学院"]["categories"]
    check(east["story"] == {"submitted": 2, "passed": 2, "approved": 2,
                            "quota": 2, "missing": 0}, f"东城区 story {east}")
    check(east["craftsman"] == {"submitted": 2, "passed": 2, "approved": 1,
                                "quota": 2, "missing": 1},
          f"东城区 craftsman {east}")
    check(east["overview"]["approved"] == 1 and east["overview"]["quota"] == 1,
          f"东城区 overview {east}")
    check(all(college[k]["approved"] == 1 and college[k]["quota"] == 1
              for k in ("story", "craftsman", "overview")),
          f"技师学院 {college}")
    west = units["西城区"]["categories"]
    check(west["story"]["quota"] == 2 and west["story"]["submitted"] == 0
          and units["商贸学院"]["categories"]["story"]["quota"] == 1,
          "the quotas of the kinds")
    check(sorted(camp["short"]) == sorted(["东城区", "西城区", "商贸学院"])
          and not units["技师学院"]["short"] and units["东城区"]["short"],
          f"who is short: {camp['short']}")
    check(units["东城区"]["contact"] == "王老师", "the contact is shown")
    status, _, same = s.json("GET", "/api/campaign", token=tokens["rita"])
    check(status == 200 and same == camp, "without round=: the open round")
    mine, units = units_by_name(s, tokens["alice"])
    check(list(units) == ["东城区"] and mine["short"] == ["东城区"],
          f"a submitter sees their own unit: {list(units)}")
    for q, code in (("?round=7", 404), ("?round=x", 400)):
        status, _, _ = s.json("GET", "/api/campaign" + q, token=tokens["rita"])
        check(status == code, f"campaign{q}: {status}")
    return {name: u["id"] for name, u in
            units_by_name(s, tokens["rita"])[1].items()}


def xlsx(s, token, name):
    openpyxl = _openpyxl()
    status, h, body = s.request("GET", f"/api/exports/{name}?round=1",
                                token=token)
    check(status == 200 and h["Content-Type"].startswith(
        "application/vnd.openxmlformats"), f"{name}: {status} {body[:200]}")
    check("filename*=UTF-8''" in h["Content-Disposition"],
          f"a UTF-8 file name: {h['Content-Disposition']}")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    return rows


def values(row):
    return [cell.value for cell in row]


def check_story_xlsx(s, tokens):
    rows = xlsx(s, tokens["rita"], "recommended-story.xlsx")
    check(rows[0][0].value == "“榜样故事我来说”成果视频推荐汇总表",
          f"the heading: {rows[0][0].value}")
    check(values(rows[1]) == STORY_HEADERS, f"headers: {values(rows[1])}")
    data = [values(r) for r in rows[2:]]
    check([(r[0], r[1], r[2]) for r in data] == [(1, "东城区", "区"),
                                                 (2, "东城区", "区"),
                                                 (3, "技师学院", "学院")],
          f"rows by unit: {data}")
    check(all(re.fullmatch(r"\d\d:\d\d", r[7]) for r in data)
          and data[0][7] == "00:04", f"durations mm:ss: {[r[7] for r in data]}")
    check({data[0][8], data[1][8]} == {"东城区_榜样故事_同名作品.mp4",
                                       "东城区_榜样故事_同名作品-2.mp4"},
          f"file names, duplicates numbered: {data[0][8]} {data[1][8]}")
    # two works of one second: by id then, so either may come first
    zhang = next(r for r in data if r[5] == "张同学")
    check(zhang[6] == "李师傅" and zhang[9] == "通过" and zhang[10] == "rita"
          and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", zhang[11])
          and zhang[12] == "王老师" and zhang[13] == "+86 10 1234",
          f"a row: {zhang}")
    evil = rows[4][3]
    check(evil.value == EVIL_TITLE and evil.data_type == "s",
          f"a formula-like title is text: {evil.value} {evil.data_type}")
    at = next(r[5] for r in rows[2:4] if r[5].value == "@SUM(1+1)")
    check(at.data_type == "s", "a student starting with @ is text")
    rows = xlsx(s, tokens["rita"], "role-models.xlsx")
    check(values(rows[1]) == FACT_HEADERS, f"facts: {values(rows[1])}")
    facts = {r[5].value: r for r in rows[2:4]}
    check(values(facts["李师傅"])[5:11] == ["李师傅", 2008, "数控技术",
                                         "北京机床厂", "车间主任",
                                         "扎根一线十五年。"]
          and facts["-王师傅"][5].data_type == "s" and len(rows) == 5,
          f"the facts: {[values(r) for r in rows]}")
    rows = xlsx(s, tokens["rita"], "recommended-craftsman.xlsx")
    check("榜样人物" not in values(rows[1]) and len(rows) == 4,
          f"craftsman: {[values(r) for r in rows]}")


def check_csv(s, tokens):
    status, h, body = s.request(
        "GET", "/api/exports/recommended-story.csv?round=1",
        token=tokens["rita"])
    check(status == 200 and h["Content-Type"].startswith("text/csv"),
          f"csv: {status}")
    check(body.startswith(b"\xef\xbb\xbf"), "the UTF-8 BOM first")
    check(body.count(b"\r\n") == 4 and b"\n" not in body.replace(b"\r\n", b""),
          "CRLF after every row and nowhere else")
    rows = list(csv.reader(io.StringIO(body[3:].decode(), newline="")))
    check(rows[0] == STORY_HEADERS, f"csv headers: {rows[0]}")
    check(rows[3][3] == "'" + EVIL_TITLE and rows[3][5] == "'+1"
          and "'@SUM(1+1)" in (rows[1][5], rows[2][5])
          and rows[1][13] == "'+86 10 1234" and rows[1][0] == "1",
          f"formulas neutralised: {rows[1:]}")
    check('"\'=HYPERLINK(""http://x.invalid"",""点我"")"'.encode() in body,
          "RFC 4180 quoting")
    rows = list(csv.reader(io.StringIO(s.request(
        "GET", "/api/exports/role-models.csv?round=1",
        token=tokens["rita"])[2][3:].decode(), newline="")))
    check(rows[0] == FACT_HEADERS and "'-王师傅" in (rows[1][5], rows[2][5]),
          f"role-models.csv: {rows}")


def pack(s, token, unit_id, round_=1):
    return s.request("GET", f"/api/exports/pack?unit={unit_id}&round="
                     f"{round_}", token=token)


def check_pack(c, s, tokens, ids, done):
    status, h, body = pack(s, tokens["alice"], ids["东城区"])
    check(status == 200 and h["Content-Type"] == "application/zip",
          f"the pack: {status} {body[:300]}")
    check("filename*=UTF-8''" in h["Content-Disposition"], "its name")
    z = zipfile.ZipFile(io.BytesIO(body))
    names = z.namelist()
    videos = ["东城区_榜样故事_同名作品.mp4", "东城区_榜样故事_同名作品-2.mp4",
              "东城区_未来工匠_a_b_c_d_e_f_g_h_i_j.mp4",
              "东城区_活动概览_东城风采.mp4"]
    tables = ["榜样故事我来说成果视频推荐汇总表.xlsx",
              "未来工匠说成果视频推荐汇总表.xlsx",
              "榜样故事我来说典型事迹信息表.xlsx"]
    want = set(videos) | {"平台短视频/" + v for v in videos} | set(tables)
    check(set(n for n in names if not n.endswith("/")) == want,
          f"members: {sorted(names)}")
    check("平台短视频/" in names, "the platform folder")
    for info in z.infolist():
        check(info.flag_bits & 0x800, f"{info.filename}: the UTF-8 flag")
        if info.filename.endswith(".mp4"):
            check(info.compress_type == zipfile.ZIP_STORED,
                  f"{info.filename} stored")
    east = [j for j, ok in done if ok and j["unit"] == ids["东城区"]]
    sums = sorted(st.sha256(z.read(n)) for n in names if n.endswith(".mp4"))
    recorded = sorted(o["sha256"] for j in east for o in j["outputs"]
                      if o["name"].endswith(".mp4"))
    check(sums == recorded and len(sums) == 8,
          f"the members are the approved files: {sums} {recorded}")
    openpyxl = _openpyxl()
    sheet = openpyxl.load_workbook(io.BytesIO(z.read(tables[0]))).active
    check([r[1].value for r in sheet.iter_rows(min_row=3)] == ["东城区"] * 2,
          "the pack's tables have the unit's rows only")
    check(tmp_empty(c.data), "no temporary file left")
    for token, unit, code in ((tokens["alice"], ids["技师学院"], 404),
                              (tokens["bob"], ids["东城区"], 404),
                              (tokens["alice"], 999, 404),
                              (tokens["alice"], "x", 400)):
        status, _, _ = pack(s, token, unit)
        check(status == code, f"pack of unit {unit}: {status}")
    status, _, _ = s.request("GET", "/api/exports/pack?round=1",
                             token=tokens["rita"])
    check(status == 400, "pack without a unit")
    status, _, body = pack(s, tokens["rita"], ids["技师学院"])
    check(status == 200 and len(zipfile.ZipFile(io.BytesIO(body)).namelist())
          == 10, "a reviewer gets any unit's pack")
    # a file that is not the approved one is never sent
    job = next(j for j, ok in done if ok and j["unit"] == ids["技师学院"])
    path = os.path.join(c.data, "jobs", job["id"], "out", "full.mp4")
    with open(path, "ab") as f:
        f.write(b"tampered")
    status, _, reply = pack(s, tokens["rita"], ids["技师学院"])
    check(status == 409 and json.loads(reply)["error"] == "outputs_changed",
          f"a changed file fails the pack: {status} {reply}")
    check(tmp_empty(c.data), "and leaves nothing behind")


@case
def test_campaign_and_exports(c):
    check(cli(c.data, "rounds", "add", "1", "--deadline", OPEN)[0] == 0,
          "rounds add")
    tokens = people(c.data, UNITS)
    check(cli(c.data, "units", "set", "东城区", "--contact", "王老师",
              "--phone", "+86 10 1234")[0] == 0, "units set")
    s = c.start("--jobs", "2")
    done = campaign_jobs(c, s, tokens)
    ids = check_campaign(s, tokens)
    check_story_xlsx(s, tokens)
    check_csv(s, tokens)
    for name in ("recommended-story.xlsx", "role-models.csv"):
        status, _, reply = s.json("GET", f"/api/exports/{name}?round=1",
                                  token=tokens["alice"])
        check(status == 403 and reply["error"] == "forbidden",
              f"a submitter cannot export {name}: {status}")
    for path, code in (("/api/exports/recommended-story.pdf", 404),
                       ("/api/exports/other.xlsx", 404),
                       ("/api/exports/recommended-story.xlsx?round=5", 404)):
        status, _, _ = s.request("GET", path, token=tokens["rita"])
        check(status == code, f"{path}: {status}")
    status, _, _ = s.request("POST", "/api/exports/recommended-story.csv",
                             token=tokens["rita"], body=b"{}", headers=JS)
    check(status == 405, "exports are GET only")
    check_pack(c, s, tokens, ids, done)
    check(s.stop() == 0, "SIGTERM: exit 0")


@case
def test_safe_names_in_pack(c):
    """Device names, long titles: the pack's names stay Windows' names."""
    check(cli(c.data, "rounds", "add", "1", "--deadline", OPEN)[0] == 0,
          "rounds add")
    tokens = people(c.data, (("COM1.区", "district", "alice"),))
    s = c.start()
    clip = tj.media(c.tmp, "clip4.mp4", 4)
    video = tj.upload(s, tokens["alice"], clip)
    # the same long title twice (numbered within the length limit), two
    # titles that differ in case only, a direction override
    titles = ["长" * 200, "长" * 200, "Vlog", "VLOG", "a\u202egpj.exe"]
    jobs = [tj.new_job(s, tokens["alice"], **tj.quick(video, title=t))
            for t in titles]
    for job in jobs:
        job = tj.wait_job(s, tokens["alice"], job["id"])
        check(decide(s, tokens["rita"], job)[0] == 201, "approved")
    status, _, camp = s.json("GET", "/api/campaign", token=tokens["rita"])
    unit = camp["units"][0]["id"]
    status, _, body = pack(s, tokens["rita"], unit)
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    videos = sorted(n for n in names if n.endswith(".mp4") and "/" not in n)
    check(len(videos) == 5 and len({n.casefold() for n in videos}) == 5,
          f"five names, distinct without case: {videos}")
    long = sorted((n for n in videos if "长" in n), key=lambda n: "-2" in n)
    check(len(long) == 2
          and all(n.startswith("_COM1.区_活动概览_长") for n in long)
          and len(long[0]) == 101 + len(".mp4")
          and long[1].endswith("长-2.mp4") and len(long[1]) == 101 + 4,
          f"a device name and a long title: {long}")
    check(not any("\u202e" in n for n in names),
          f"no direction override in a name: {videos}")
    check(s.stop() == 0, "SIGTERM: exit 0")


def main(argv):
    return st.run_cases(CASES, argv, "campuscut-review-", after=tj.kill_leftovers)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
