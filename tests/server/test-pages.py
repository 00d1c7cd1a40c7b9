#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The web pages of `campuscut serve` in a real browser: headless Chromium
driven by Selenium, against a server on 127.0.0.1.

One round, as a school and a reviewer live it: a submitter logs in,
uploads a video (with GBK captions and the unit's logo, which the page
offers again next time) through the Submit page while a proxy between the
browser and the server breaks the connection once in the middle of the
upload's body (the page must ask where the server is and resume by
itself), and watches the job end on the page; My unit shows it and what is missing. The
submitter's cookie cannot open the reviewers' pages nor another unit's
job (checked over HTTP: 403 and 404, not only hidden). A reviewer finds
the job in the queue; both players show the right picture sizes (16:9 and
9:16) and play; a frame step moves by 0.04 s; a comment is added at the
player's time; a caption cue and a frame of the contact sheet seek the
player; the decision is recorded (and one about files that are not the
job's is refused, shown as "the files changed"); the campaign page shows
the counts; the Excel table and the unit's pack behind its links are
read back. No page may log a script error or a refused resource.

Screenshots go to $CAMPUSCUT_PAGES_SCREENSHOTS when it is set (the
pictures in docs/pages/ were made so). Every wait is bounded; the browser,
the proxy and the server are stopped, also on failure.

    CAMPUSCUT_CLI=build/pipelines/campuscut \\
    GST_PLUGIN_PATH_1_0=$PWD/build/plugins python3 tests/server/test-pages.py

Ends with "Checks: N, Failures: F, Errors: E". Without Chromium it skips
(exit 77), except under CI, where the browser is part of the test
packages (scripts/bootstrap.sh --with-tests) and its absence fails.
"""
import importlib.util
import io
import json
import os
import socket
import subprocess
import sys
import time
import threading
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 30                   # seconds for anything on a page
JOB_WAIT = 240              # seconds for a job to end on a loaded machine
CUT_AFTER = 1536 * 1024     # bytes of the first PATCH the proxy lets by


def _load(name, file):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _debian(module):
    """A module from Debian's packages, also when python3 is not Debian's
    own (a pyenv shim does not see dist-packages; these are pure
    Python)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        return importlib.import_module(module)


tj = _load("jobs_tests", "test-jobs.py")
st = tj.st
check, wait_until, Failure = st.check, st.wait_until, st.Failure
cli = st.cli


# -- the broken connection ---------------------------------------------------

class CutProxy:
    """A TCP proxy on 127.0.0.1 in front of the server that lets the first
    PATCH's first CUT_AFTER bytes through and then closes both sides, as a
    campus network drops a connection. Everything else passes."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.armed = True
        self.cut_at = None          # bytes of the PATCH passed when cut
        self.socks = []
        self.running = True
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.socks += [client, upstream]
            threading.Thread(target=self.up, args=(client, upstream),
                             daemon=True).start()
            threading.Thread(target=self.pipe, args=(upstream, client),
                             daemon=True).start()

    def pipe(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        self.close_both(src, dst)

    def up(self, client, upstream):
        """Browser to server; cuts the first PATCH mid-body."""
        seen = None                 # bytes of this connection's PATCH
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                with self.lock:
                    if seen is None and self.armed and \
                            data.startswith(b"PATCH /api/uploads/"):
                        self.armed = False
                        seen = 0
                if seen is not None:
                    room = CUT_AFTER - seen
                    if len(data) >= room:
                        upstream.sendall(data[:room])
                        self.cut_at = CUT_AFTER
                        break
                    seen += len(data)
                upstream.sendall(data)
        except OSError:
            pass
        self.close_both(client, upstream)

    @staticmethod
    def close_both(a, b):
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def stop(self):
        self.running = False
        self.listener.close()
        with self.lock:
            for s in self.socks:
                try:
                    s.close()
                except OSError:
                    pass


# -- the browser -------------------------------------------------------------

def chromium():
    return next((p for p in CHROMIUM if os.path.exists(p)), None)


class Browser:
    """Headless Chromium through chromedriver, with its console kept."""

    def __init__(self, tmp):
        self.webdriver = _debian("selenium.webdriver")
        from selenium.webdriver.chrome.service import Service
        opts = self.webdriver.ChromeOptions()
        opts.binary_location = chromium()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    "--autoplay-policy=no-user-gesture-required",
                    "--lang=zh-CN", "--no-first-run",
                    "--disable-background-networking",
                    f"--user-data-dir={os.path.join(tmp, 'chromium')}"):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service(CHROMEDRIVER)
        self.d = self.webdriver.Chrome(service=self.service, options=opts)
        self.d.set_page_load_timeout(WAIT)
        self.d.set_script_timeout(WAIT)
        self.problems = []

    def quit(self):
        try:
            self.d.quit()
        except Exception:
            pass

    def get(self, url):
        self.d.get(url)
        self.console()

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def wait(self, cond, what, timeout=WAIT):
        """Polls cond() (a JS expression, or a callable); bounded."""
        def value():
            if callable(cond):
                return cond()
            return self.js("return " + cond)
        return wait_until(value, timeout, step=0.1, what=what)

    def find(self, css):
        return self.wait(lambda: self.js(
            "return document.querySelector(arguments[0])", css),
            f"the element {css}")

    def click(self, css):
        """A click as a person's, on the element brought to the middle of
        the window (the sticky header covers the top)."""
        e = self.find(css)
        self.js("arguments[0].scrollIntoView({block: 'center'})", e)
        e.click()

    def text(self, css):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return e ? e.textContent : null", css)

    def console(self):
        """Script errors and refused resources the pages logged; the
        upload's broken connection and the refused decision are the
        test's own."""
        for e in self.d.get_log("browser"):
            if e["level"] != "SEVERE":
                continue
            msg = e["message"]
            if "/api/uploads/" in msg and ("ERR_" in msg or "409" in msg
                                            or "423" in msg):
                continue
            if "/decision" in msg and "409" in msg:
                continue            # the decision on files not seen
            self.problems.append(msg)

    def shot(self, name, css=None):
        """The window, from the top of the page or with @css's element at
        its top."""
        folder = os.environ.get("CAMPUSCUT_PAGES_SCREENSHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            if css:
                self.js("window.scrollTo(0, document.querySelector("
                        "arguments[0]).getBoundingClientRect().top + "
                        "window.scrollY - 64)", css)
            else:
                self.js("window.scrollTo(0, 0)")
            self.d.save_screenshot(os.path.join(folder, name + ".png"))

    def login(self, base, token):
        self.d.delete_all_cookies()
        self.get(base + "/login")
        self.find("#token").send_keys(token)
        self.click("#login button[type=submit]")
        self.wait("location.pathname !== '/login'", "logged in")

    def cookie(self):
        c = self.d.get_cookie("campuscut_session")
        check(c and c["httpOnly"] and c.get("sameSite") == "Strict",
              f"the session cookie is HttpOnly and SameSite=Strict: {c}")
        return "campuscut_session=" + c["value"]


# -- media -------------------------------------------------------------------

def moving_video(tmp):
    """12 s of moving bars with sound at 640x480, a few MB: big enough
    that the proxy cuts the upload in the middle of its body."""
    path = os.path.join(tmp, "bars12.mp4")
    subprocess.run(
        ["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=300",
         "pattern=smpte", "horizontal-speed=4", "!",
         "video/x-raw,width=640,height=480,framerate=25/1,format=I420", "!",
         "x264enc", "speed-preset=ultrafast", "key-int-max=25",
         "pass=quant", "quantizer=18", "!", "mp4mux", "name=m", "!",
         "filesink", f"location={path}", "audiotestsrc", "num-buffers=563",
         "!", "audio/x-raw,rate=48000,channels=2", "!", "avenc_aac", "!",
         "m."],
        check=True, timeout=120, stdout=subprocess.DEVNULL, env=tj.gst_env())
    return path


CUES = [(1.0, 3.0, "第一句：欢迎来到实训车间"),
        (4.0, 6.5, "第二句：这是数控机床"),
        (7.5, 9.0, "第三句：谢谢观看")]


def captions_file(tmp):
    """An SRT in GBK, as Windows editors save them."""
    path = os.path.join(tmp, "字幕.srt")

    def ts(s):
        return "00:00:%02d,%03d" % (int(s), round(s % 1 * 1000))
    text = "".join(f"{i}\r\n{ts(a)} --> {ts(b)}\r\n{t}\r\n\r\n"
                   for i, (a, b, t) in enumerate(CUES, 1))
    with open(path, "wb") as f:
        f.write(text.encode("gbk"))
    return path


# -- the round ---------------------------------------------------------------

def setup(c):
    check(cli(c.data, "rounds", "add", "1", "--deadline", "2099-12-31")[0]
          == 0, "rounds add")
    return st.setup_people(c.data)


def other_units_job(s, tokens):
    """A job of 技师学院 (bob's): not a video, rejected at once."""
    video = tj.upload(s, tokens["bob"], b"not a video")
    return tj.new_job(s, tokens["bob"], **tj.quick(video))["id"]


def story_job(c, s, tokens):
    """A story of 东城区 made over the API, for the tables: a short clip
    with the duration rule opened for it."""
    video = tj.upload(s, tokens["alice"], tj.media(c.tmp, "clip4.mp4", 4))
    return tj.new_job(s, tokens["alice"], video=video, category="story",
                      quality="draft", min_duration=1, max_duration=600,
                      platform_cut="none", title="李师傅的故事",
                      student="张同学",
                      role_model={"name": "李师傅", "graduation_year": 2008,
                                  "major": "数控技术", "employer": "某机床厂",
                                  "post": "高级技师",
                                  "deeds": "二十年扎根车间。"})["id"]


def logo_file(tmp):
    path = os.path.join(tmp, "校徽.svg")
    with open(path, "w") as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" width="64" '
                'height="64"><circle cx="32" cy="32" r="28" fill="#b3261e"/>'
                '</svg>')
    return path


def submit_through_page(b, base, video, captions, logo):
    b.get(base + "/submit")
    b.find("#drop")
    check(b.text("#category option[value=overview]") == "活动综述",
          "the categories in Chinese by default")
    b.js("document.getElementById('video').hidden = false")
    b.find("#video").send_keys(video)
    b.wait("document.getElementById('video-name').textContent !== ''",
           "the chosen video shown")
    b.js("document.getElementById('video').hidden = true")
    b.js("const s = document.getElementById('category');"
         "s.value = 'overview'; s.dispatchEvent(new Event('change'))")
    check(b.js("return document.getElementById('role-model').hidden"),
          "the role model's facts only for stories")
    b.find("#title").send_keys("技能节活动综述")
    b.find("#student").send_keys("王同学")
    b.find("#captions").send_keys(captions)
    check(b.js("return document.getElementById('last-logo-row').hidden"),
          "no earlier logo to offer")
    b.find("#logo").send_keys(logo)
    b.click("details summary")
    b.js("document.getElementById('quality').value = 'draft';"
         "document.getElementById('platform-cut').value = 'auto'")
    b.shot("submit")
    b.click("#go")


def watch_upload_and_job(b, proxy, size):
    b.wait("document.getElementById('job-state').dataset.state || "
           "document.querySelector('#up-msg.bad')",
           "the job created after the upload", timeout=120)
    check(not b.js("return document.querySelector('#up-msg.bad')"),
          f"the upload failed on the page: {b.text('#up-msg')}")
    check(proxy.cut_at is not None and proxy.cut_at < size,
          f"the proxy broke the upload mid-body: {proxy.cut_at} of {size}")
    breaks = int(b.js("return document.body.dataset.breaks || '0'"))
    check(breaks >= 1, f"the page saw the break and resumed: {breaks}")
    state = b.wait("['done', 'rejected', 'failed'].includes(document."
                   "getElementById('job-state').dataset.state) && document."
                   "getElementById('job-state').dataset.state",
                   "the job's end on the page", timeout=JOB_WAIT)
    check(state == "done", f"the job done: {state} "
          f"{b.text('#job-text')} {b.text('#up-msg')}")
    b.wait("document.querySelectorAll('#job-report li').length > 5",
           "the report's checks on the page")
    check(b.js("return document.querySelectorAll('#job-report li.bad')"
               ".length") == 0, "every check passed, in plain words")
    b.shot("submit-done")


def check_upload_whole(s, token, video):
    status, _, body = s.json("GET", "/api/uploads", token=token)
    check(status == 200, "the uploads")
    with open(video, "rb") as f:
        sha = st.sha256(f.read())
    vids = [u for u in body["uploads"] if u["kind"] == "video"
            and u["sha256"] == sha]
    check(len(vids) == 1 and vids[0]["complete"],
          f"the resumed upload is the file, byte for byte: {body}")


def check_unit_page(b, base):
    b.get(base + "/unit")
    b.wait("document.querySelectorAll('details.job').length === 2",
           "both of the unit's jobs listed")
    ov = b.find(".quota-card[data-category=overview]")
    check(ov.get_attribute("data-missing") == "1"
          and "还差 1 个" in ov.text, f"overview still missing: {ov.text}")
    b.js("document.querySelector('details.job').open = true")
    b.wait("document.querySelectorAll('details.job[open] .checks li')"
           ".length > 5", "the checks in plain words")
    check("文件格式为 MP4" in b.text("details.job[open] .checks"),
          "a check in plain Chinese")
    b.shot("unit")


def check_submitter_refused(s, cookie, bobs_job):
    """Not only hidden: the server refuses the submitter."""
    for path, want in (("/review", 403), ("/campaign", 403),
                       (f"/review/{bobs_job}", 403),
                       ("/api/review/queue", 403),
                       (f"/api/jobs/{bobs_job}", 404),
                       (f"/api/jobs/{bobs_job}/files/report.json", 404),
                       (f"/api/jobs/{bobs_job}/captions", 404),
                       (f"/api/jobs/{bobs_job}/comments", 404)):
        status, _, _ = s.request("GET", path, cookie=cookie)
        check(status == want, f"a submitter's {path}: {status}, not {want}")
    status, h, _ = s.request("GET", "/review")
    check(status == 303 and h["Location"] == "/login?next=/review",
          f"no session: to the login page: {status}")


def check_headers(s):
    status, h, body = s.request("GET", "/static/job.js")
    check(status == 200 and h["Content-Type"].startswith("text/javascript")
          and "default-src 'self'" in h["Content-Security-Policy"]
          and "unsafe-inline" not in h["Content-Security-Policy"]
          and h["Cache-Control"] == "no-cache" and h["ETag"],
          f"a script's headers: {dict(h)}")
    status, _, _ = s.request("GET", "/static/job.js",
                             headers={"If-None-Match": h["ETag"]})
    check(status == 304, f"revalidated: {status}")
    status, h, page = s.request("GET", "/login")
    check(status == 200 and h["Content-Type"] == "text/html; charset=utf-8"
          and b"<script>" not in page and b" style=" not in page,
          "the login page: HTML, no inline script or style")
    for path in ("/static/../ccpages.c", "/static/nothing.js",
                 "/static/.hidden"):
        status, _, _ = s.request("GET", path)
        check(status == 404, f"{path}: {status}")
    status, _, body = s.json("GET", "/api/nothing")
    check(status == 404 and body["error"] == "not_found", "the API's 404")


def review_page(b, base, job):
    b.get(base + "/review")
    b.find(f"#queue tr[data-job='{job}'] a")
    b.shot("review-queue")
    b.click(f"#queue tr[data-job='{job}'] a")
    b.wait("document.body.dataset.ready === '1'", "the review page")
    try:
        b.wait("document.getElementById('full').readyState >= 1 && "
               "document.getElementById('platform').readyState >= 1",
               "both players' pictures known")
    except Failure as e:
        raise Failure(f"{e}: " + json.dumps(b.js(
            "return ['full', 'platform'].map(id => { const v = document."
            "getElementById(id); return [v.src, v.readyState, "
            "v.networkState, v.error && v.error.message]; })")))
    fw, fh, pw, ph = b.js(
        "const f = document.getElementById('full'), "
        "p = document.getElementById('platform'); return [f.videoWidth, "
        "f.videoHeight, p.videoWidth, p.videoHeight]")
    check(fw * 9 == fh * 16 and pw * 16 == ph * 9 and fw > 0 and pw > 0,
          f"full {fw}x{fh} is 16:9, platform {pw}x{ph} is 9:16")
    for v in ("full", "platform"):
        b.js(f"const v = document.getElementById('{v}'); v.muted = true; "
             "v.play()")
        b.wait(f"document.getElementById('{v}').currentTime > 0.3",
               f"the {v} cut plays")
        b.js(f"document.getElementById('{v}').pause()")


def seek_and_wait(b, t):
    b.js(f"document.getElementById('full').currentTime = {t}")
    b.wait(f"Math.abs(document.getElementById('full').currentTime - {t})"
           " < 0.001 && !document.getElementById('full').seeking",
           f"the full cut at {t}")


def full_time(b):
    return b.js("const v = document.getElementById('full');"
                "return v.seeking ? null : v.currentTime")


def review_tools(b, keys):
    b.click("#fig-full figcaption")
    check(b.js("return document.getElementById('fig-full').classList"
               ".contains('active')"), "a click makes the full cut active")
    seek_and_wait(b, 2.0)
    b.find("body").send_keys(keys.ARROW_RIGHT)
    t = b.wait(lambda: (lambda x: x if x and x > 2.001 else None)(
        full_time(b)), "one frame on")
    check(abs(t - 2.04) < 0.002, f"one frame is 0.04 s: {t}")
    b.click("#t-prev")
    b.wait("Math.abs(document.getElementById('full').currentTime - 2.0)"
           " < 0.002", "one frame back")
    b.find("body").send_keys("l")
    b.wait("!document.getElementById('full').paused", "L plays")
    b.find("body").send_keys("k")
    b.wait("document.getElementById('full').paused", "K pauses")
    seek_and_wait(b, 6.0)
    b.find("body").send_keys("j")
    b.wait("document.getElementById('full').currentTime < 5.5",
           "J plays backwards")
    b.find("body").send_keys("k")
    stopped = b.wait(lambda: full_time(b), "K stops J")
    time.sleep(0.5)
    check(full_time(b) == stopped and stopped > 2.0,
          f"K stops going backwards at {stopped}")
    seek_and_wait(b, 2.04)
    b.find("#comment").send_keys("这里字幕偏早")
    b.wait("document.getElementById('comment-add').textContent"
           ".includes('00:02:01')", "the comment's time on its button")
    b.click("#comment-add")
    b.wait("[...document.querySelectorAll('#comments li')].some(li => "
           "li.textContent.includes('这里字幕偏早') && "
           "Math.abs(li.dataset.t - 2.04) < 0.01)",
           "the comment listed at its time")
    cues = b.js("return [...document.querySelectorAll('#cues li')].map("
                "li => [Number(li.dataset.start), li.textContent])")
    check(len(cues) == 3 and cues[1][0] == CUES[1][0]
          and CUES[1][2] in cues[1][1], f"the caption cues: {cues}")
    b.click("#cues li:nth-child(2) button")
    b.wait(f"Math.abs(document.getElementById('full').currentTime - "
           f"{CUES[1][0]}) < 0.01", "a cue seeks the player")
    b.wait("document.querySelector('#cues li.current')",
           "the cue shown as the current one")


def contact_sheet_seeks(b, s, token, job):
    outputs = {o["name"]: o for o in tj.get_job(s, token, job)["outputs"]}
    _, _, layout = s.json("GET", outputs["contact.json"]["location"],
                          token=token)
    tiles = layout["tiles"]
    check(len(tiles) >= 2, f"a sheet of several frames: {layout}")
    b.wait("document.getElementById('sheet').complete && "
           "document.getElementById('sheet').naturalWidth > 0",
           "the contact sheet shown")
    tile = tiles[-1]
    b.js("const img = document.getElementById('sheet'), r = "
         "img.getBoundingClientRect(), k = r.width / arguments[0]; "
         "img.dispatchEvent(new MouseEvent('click', {bubbles: true, "
         "clientX: r.left + (arguments[1] + arguments[3] / 2) * k, "
         "clientY: r.top + (arguments[2] + arguments[4] / 2) * k}))",
         layout["width"], tile["x"], tile["y"], layout["tile_width"],
         layout["tile_height"])
    b.wait(f"Math.abs(document.getElementById('full').currentTime - "
           f"{tile['t']}) < 0.01", f"the sheet's last frame seeks to "
           f"{tile['t']}")


def change_platform_segments(b, s, token, job):
    """The platform cut's segments: a list past the video's end refused on
    the page, a list typed, one end dragged on the timeline, then only the
    platform cut made again; the page comes back with the new cut."""
    from selenium.webdriver.common.action_chains import ActionChains
    b.find("#segments-card:not([hidden])")
    before = {o["name"]: o["sha256"]
              for o in tj.get_job(s, token, job)["outputs"]}
    box = b.find("#segments")
    box.clear()
    box.send_keys("0:13-0:15")
    b.wait("document.getElementById('remake').disabled && "
           "document.getElementById('seg-total').textContent"
           ".includes('超出')", "a start past the end refused and told")
    box.clear()
    box.send_keys("0:01-0:03,0:05-0:07")
    b.wait("document.querySelectorAll('#timeline .seg').length === 2 && "
           "!document.getElementById('remake').disabled",
           "two segments on the timeline")
    handle = b.find("#timeline .seg[data-index='1'] .handle.end")
    b.js("arguments[0].scrollIntoView({block: 'center'})", handle)
    width, duration = b.js(
        "return [document.getElementById('timeline')"
        ".getBoundingClientRect().width, segs.duration]")
    dx = round(2.0 * width / duration)
    ActionChains(b.d).click_and_hold(handle).move_by_offset(
        dx // 2, 0).move_by_offset(dx - dx // 2, 0).release().perform()
    end = b.wait(lambda: (lambda v: v if v and v > 7.5 else None)(
        b.js("return segs.list[1][1]")), "the end dragged on")
    check(abs(end - 9.0) < 0.3, f"dragged 2 s on: the end at {end}")
    text = b.js("return document.getElementById('segments').value")
    check(text.startswith("0:01-0:03,0:05-0:0"),
          f"the list follows the drag: {text}")
    total = b.js("return segs.total()")
    check(f"合计 {total:.2f} 秒" in b.text("#seg-total")
          and abs(total - 2.0 - (end - 5.0)) < 0.001,
          f"the total shown: {b.text('#seg-total')}")
    b.shot("review-segments", "#segments-card")
    b.js("window.before_remake = true")
    b.click("#remake")
    b.wait("document.getElementById('seg-msg').textContent"
           ".includes('正在重做')", "the page says the cut is being made")
    b.wait("window.before_remake === undefined && "
           "document.body.dataset.ready === '1' && "
           "document.getElementById('platform').readyState >= 1",
           "the page back with the new platform cut", timeout=tj.JOB_TIMEOUT)
    got = b.js("return document.getElementById('platform').duration")
    check(abs(got - total) < 0.06,
          f"the new platform cut lasts {got} s, the segments {total} s")
    check(b.js("return segs.format(segs.list)") == text,
          "the page shows the segments as made")
    after = {o["name"]: o["sha256"]
             for o in tj.get_job(s, token, job)["outputs"]}
    check(after["full.mp4"] == before["full.mp4"]
          and after["platform.mp4"] != before["platform.mp4"],
          "only the platform cut made again")


def decide(b, s, token, job):
    b.click("input[name=decision][value=approved]")
    b.find("#reason").send_keys("内容完整，字幕准确")
    b.shot("review-job")
    b.click("#decide-go")
    b.wait("document.querySelector('#log li[data-decision=approved]')",
           "the decision in the log")
    b.shot("review-decision", ".review-grid")
    check("内容完整，字幕准确" in b.text("#log"), "the reason in the log")
    check(tj.get_job(s, token, job)["review_state"] == "approved",
          "the job approved")
    # a decision about files that are not the job's: "reload"
    b.js("seen[0].sha256 = '0'.repeat(64)")
    b.click("input[name=decision][value=rejected]")
    b.click("#decide-go")
    b.wait("!document.getElementById('reload').hidden",
           "409: the reload button")
    check("文件已变化" in b.text("#decide-msg"),
          f"409 told as the files changed: {b.text('#decide-msg')}")
    check(tj.get_job(s, token, job)["review_state"] == "approved",
          "nothing recorded on files not seen")


def campaign_page(b, base):
    b.get(base + "/campaign")
    row = b.find("tr[data-name='东城区']")
    b.wait("document.querySelectorAll('#units tbody tr').length === 2",
           "both units")
    overview = b.text("tr[data-name='东城区'] td[data-category=overview]")
    story = b.text("tr[data-name='东城区'] td[data-category=story]")
    check(overview.startswith("1/1") and story.startswith("1/2"),
          f"the counts: overview {overview}, story {story}")
    check("short" in row.get_attribute("class")
          and "未完成" in b.text("tr[data-name='东城区'] td.status"),
          "a unit that has not delivered, in colour and words")
    check("2 个单位尚未完成" in b.text("#summary"),
          f"the units short at a glance: {b.text('#summary')}")
    check("2099-12-31" in b.text("#round"), "the deadline")
    b.shot("campaign")
    hrefs = b.js("return [...document.querySelectorAll('a[data-export]')]"
                 ".map(a => a.getAttribute('href'))")
    pack = b.js("return document.querySelector(\"tr[data-name='东城区'] "
                "a[download]\").getAttribute('href')")
    return hrefs, pack


def check_downloads(s, cookie, hrefs, pack, jobs):
    openpyxl = _debian("openpyxl")
    story = next(h for h in hrefs if "recommended-story.xlsx" in h)
    status, h, body = s.request("GET", story, cookie=cookie)
    check(status == 200 and body[:2] == b"PK", f"the Excel table: {status}")
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    check(rows[1][:4] == ["序号", "单位", "单位类型", "作品标题"]
          and rows[2][1] == "东城区" and rows[2][3] == "李师傅的故事",
          f"the story table's rows: {rows}")
    status, _, body = s.request("GET", pack, cookie=cookie)
    check(status == 200, f"the pack: {status}")
    z = zipfile.ZipFile(io.BytesIO(body))
    names = z.namelist()
    want = {"东城区_活动概览_技能节活动综述.mp4",
            "平台短视频/东城区_活动概览_技能节活动综述.mp4",
            "东城区_榜样故事_李师傅的故事.mp4"}
    check(want <= set(names), f"the pack's names: {names}")
    full = next(o for o in jobs["overview"]["outputs"]
                if o["name"] == "full.mp4")
    check(st.sha256(z.read("东城区_活动概览_技能节活动综述.mp4"))
          == full["sha256"], "the pack holds the approved full cut")


def phone_view(b, base):
    b.d.set_window_size(390, 844)
    try:
        b.get(base + "/submit")
        b.find("#drop")
        b.wait("document.documentElement.scrollWidth <= 390",
               "no sideways scrolling on a phone")
        h = b.js("return document.getElementById('go')"
                 ".getBoundingClientRect().height")
        check(h >= 44, f"a touch-size button: {h}")
        # the row is filled once the page knows who is logged in
        b.wait("!document.getElementById('last-logo-row').hidden",
               "the unit's last logo offered again")
        b.shot("submit-phone")
        check("校徽.svg" in b.text("#last-logo-text")
              and b.js("return document.getElementById('last-logo')"
                       ".checked"), "the unit's last logo, chosen")
        b.click("#lang")
        b.wait("document.querySelector('h1').textContent === "
               "'Submit a video'", "English on the switch")
        b.get(base + "/submit")
        b.wait("document.querySelector('h1').textContent === "
               "'Submit a video'", "English remembered")
        b.click("#lang")
    finally:
        b.d.set_window_size(1280, 900)


def test_a_round_in_the_browser(c):
    tokens = setup(c)
    s = c.start()
    check_headers(s)
    bobs_job = other_units_job(s, tokens)
    story = story_job(c, s, tokens)
    video, captions = moving_video(c.tmp), captions_file(c.tmp)
    logo = logo_file(c.tmp)
    size = os.path.getsize(video)
    check(size > 2 * CUT_AFTER, f"a video of a few MB: {size}")
    proxy = CutProxy(s.host, s.port)
    base = f"http://127.0.0.1:{proxy.port}"
    b = Browser(c.tmp)
    try:
        b.login(base, tokens["alice"])
        check(b.js("return location.pathname") == "/submit",
              "a submitter starts at Submit")
        cookie = b.cookie()
        submit_through_page(b, base, video, captions, logo)
        watch_upload_and_job(b, proxy, size)
        check_upload_whole(s, tokens["alice"], video)
        jobs = {j["options"].get("category"): j for j in s.json(
            "GET", "/api/jobs", token=tokens["alice"])[2]["jobs"]}
        overview = jobs["overview"]["id"]
        status, _, cap = s.json("GET", f"/api/jobs/{overview}/captions",
                                cookie=cookie)
        check(status == 200 and cap["format"] == "SRT"
              and [(q["start"], q["end"], q["text"]) for q in cap["cues"]]
              == CUES, f"the cues, read from GBK: {cap}")
        tj.wait_job(s, tokens["alice"], story)
        check_unit_page(b, base)
        check_submitter_refused(s, cookie, bobs_job)
        phone_view(b, base)

        b.login(base, tokens["rita"])
        check(b.js("return location.pathname") == "/review",
              "a reviewer starts at the queue")
        review_page(b, base, overview)
        from selenium.webdriver.common.keys import Keys
        review_tools(b, Keys)
        contact_sheet_seeks(b, s, tokens["rita"], overview)
        change_platform_segments(b, s, tokens["rita"], overview)
        decide(b, s, tokens["rita"], overview)
        status, _, _ = s.json(
            "POST", f"/api/jobs/{story}/decision", token=tokens["rita"],
            headers=tj.JS, body=json.dumps({
                "decision": "approved", "reason": "事迹感人",
                "outputs": [{"name": o["name"], "sha256": o["sha256"]}
                            for o in tj.get_job(s, tokens["rita"],
                                                story)["outputs"]]}))
        check(status == 201, f"the story approved: {status}")
        hrefs, pack = campaign_page(b, base)
        jobs["overview"] = tj.get_job(s, tokens["rita"], overview)
        check_downloads(s, b.cookie(), hrefs, pack, jobs)
        b.console()
        check(not b.problems, "the pages logged problems:\n" +
              "\n".join(b.problems))
    finally:
        b.quit()
        proxy.stop()
    check(s.stop() == 0, "SIGTERM: exit 0")


def main(argv):
    if chromium() is None or not os.path.exists(CHROMEDRIVER):
        print("SKIP: no chromium or chromedriver here (Debian's chromium, "
              "chromium-driver and python3-selenium: scripts/bootstrap.sh "
              "--with-tests)")
        return 1 if os.environ.get("CI") else 77
    return st.run_cases((test_a_round_in_the_browser,), argv,
                        "campuscut-pages-", after=tj.kill_leftovers)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
