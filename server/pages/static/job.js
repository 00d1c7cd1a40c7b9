// SPDX-License-Identifier: LGPL-2.1-or-later
// One job's review: the full cut (16:9) and the platform cut (9:16) side
// by side, stepped frame by frame (← →, at the outputs' 25 fps) and
// played back, paused and forward with J K L as in editors; the contact
// sheet, whose frames seek the full cut (contact.json says where each is
// and the time of the frame shown); the captions as cues that seek; the
// machine checks; comments at points of the video; the decision log; and
// the decision, which names the outputs' SHA-256 as this page loaded
// them, so that a decision is never about files the reviewer did not see;
// and the platform cut's segments, changed and made again (segments.js).
'use strict';

const job_id = location.pathname.split('/')[2];
let job = null;
let seen = [];                  // [{name, sha256}] as loaded
let active = null;              // the player the keys move
let reverse = null;             // J's timer and speed
let cues = [];

const full = () => cc.$('#full');
const platform = () => cc.$('#platform');

function set_active (v) {
  active = v;
  for (const f of document.querySelectorAll('.player'))
    f.classList.toggle('active', f.contains(v));
  show_time();
}

function show_time () {
  if (active)
    cc.$('#t-time').textContent = cc.timecode(active.currentTime);
  const add = cc.$('#comment-add');
  if (add) {
    add.dataset.i18n = 'job.comment_at';
    add.dataset.i18nVars = JSON.stringify(
      { t: cc.timecode(full().currentTime) });
    add.textContent = t('job.comment_at',
      { t: cc.timecode(full().currentTime) });
  }
}

function stop_reverse () {
  if (reverse) {
    cancelAnimationFrame(reverse.frame);
    reverse = null;
  }
}

// One frame back or forward: on the frame grid, paused.
function step (n) {
  const v = active;
  stop_reverse();
  v.pause();
  const frame = Math.round(v.currentTime * cc.FPS) + n;
  const end = isFinite(v.duration) ? v.duration : Infinity;
  v.currentTime = Math.min(Math.max(0, frame / cc.FPS), end);
}

function pause () {
  stop_reverse();
  active.pause();
  active.playbackRate = 1;
}

// L: play; again: faster (2×, 4×, 8×).
function forward () {
  const v = active;
  if (reverse) {
    stop_reverse();
    v.playbackRate = 1;
  } else if (!v.paused) {
    v.playbackRate = Math.min(8, v.playbackRate * 2);
  }
  v.play();
}

// J: backwards at the speed asked for (again: faster). A <video> cannot
// play in reverse, so it seeks back on every screen frame by the time
// that passed — but only once the previous seek has landed: the decoder
// shows as many pictures as it can decode, and the pace stays true.
function backward () {
  const v = active;
  v.pause();
  const speed = reverse ? Math.min(8, reverse.speed * 2) : 1;
  stop_reverse();
  const r = { speed, last: performance.now(), frame: 0 };
  const tick = (now) => {
    if (reverse !== r)
      return;
    if (!v.seeking) {
      if (v.currentTime <= 0) {
        stop_reverse();
        return;
      }
      v.currentTime = Math.max(0, v.currentTime - (now - r.last) / 1000 *
        r.speed);
      r.last = now;
    }
    r.frame = requestAnimationFrame(tick);
  };
  reverse = r;
  r.frame = requestAnimationFrame(tick);
}

function seek_full (s) {
  stop_reverse();
  set_active(full());
  full().currentTime = s;
}

function setup_transport () {
  cc.$('#t-prev').addEventListener('click', () => step(-1));
  cc.$('#t-next').addEventListener('click', () => step(1));
  cc.$('#t-pause').addEventListener('click', pause);
  cc.$('#t-fwd').addEventListener('click', forward);
  cc.$('#t-back').addEventListener('click', backward);
  for (const v of [full(), platform()]) {
    for (const ev of ['play', 'focus'])
      v.addEventListener(ev, () => set_active(v));
    v.closest('figure').addEventListener('pointerdown',
      () => set_active(v));
    for (const ev of ['timeupdate', 'seeked'])
      v.addEventListener(ev, () => {
        show_time();
        if (v === full())
          mark_cue(v.currentTime);
      });
  }
  document.addEventListener('keydown', (e) => {
    const tag = (e.target.tagName || '').toLowerCase();
    if (['input', 'textarea', 'select'].includes(tag) || e.ctrlKey ||
        e.metaKey || e.altKey || !active)
      return;
    const act = { ArrowLeft: () => step(-1), ArrowRight: () => step(1),
      j: backward, k: pause, l: forward }[e.key.length === 1 ?
      e.key.toLowerCase() : e.key];
    if (act) {
      e.preventDefault();
      act();
    }
  });
}

// The contact sheet: a click seeks the full cut to the frame clicked.
async function setup_sheet () {
  const sheet = (job.outputs || []).find((o) => o.name === 'contact.jpg');
  const layout_out = (job.outputs || []).find(
    (o) => o.name === 'contact.json');
  const img = cc.$('#sheet');
  if (!sheet) {
    img.hidden = true;
    return;
  }
  img.src = sheet.location;
  const layout = layout_out ? await cc.fetch_json(layout_out.location) : null;
  if (!layout)
    return;
  img.classList.add('seekable');
  img.addEventListener('click', (e) => {
    const r = img.getBoundingClientRect();
    const x = (e.clientX - r.left) * layout.width / r.width;
    const y = (e.clientY - r.top) * layout.height / r.height;
    const tile = layout.tiles.find((p) => x >= p.x && y >= p.y &&
      x < p.x + layout.tile_width + layout.gap &&
      y < p.y + layout.tile_height + layout.gap);
    if (tile)
      seek_full(tile.t);
  });
}

function mark_cue (s) {
  for (const li of document.querySelectorAll('#cues li')) {
    const on = s >= Number(li.dataset.start) && s < Number(li.dataset.end);
    li.classList.toggle('current', on);
  }
}

async function setup_captions () {
  const info = cc.$('#cap-info');
  if (!job.captions) {
    info.dataset.i18n = 'job.no_captions';
    info.textContent = t('job.no_captions');
    return;
  }
  const r = await cc.api('GET', `/api/jobs/${job.id}/captions`);
  if (r.status !== 200) {
    info.textContent = cc.problem(r);
    return;
  }
  cues = r.data.cues;
  info.textContent = `${r.data.format} · ${r.data.encoding} · ` +
    t('report.captions', { n: cues.length });
  cc.$('#cues').replaceChildren(...cues.map((c) => cc.el('li',
    { 'data-start': c.start, 'data-end': c.end },
    cc.el('button', { type: 'button', class: 'cue', onclick: () =>
      seek_full(c.start) },
    cc.el('span', { class: 'tc' }, cc.timecode(c.start)), ' ', c.text))));
}

async function show_comments () {
  const r = await cc.api('GET', `/api/jobs/${job.id}/comments`);
  const list = (r.data && r.data.comments) || [];
  cc.$('#comments').replaceChildren(...list.map((c) => cc.el('li',
    { 'data-t': c.t },
    cc.el('button', { type: 'button', class: 'tc link', onclick: () =>
      seek_full(c.t) }, cc.timecode(c.t)),
    ` ${c.user} · ${cc.when(c.at)}`, cc.el('p', null, c.text))));
}

async function show_log () {
  const r = await cc.api('GET', `/api/jobs/${job.id}/decisions`);
  const log = (r.data && r.data.decisions) || [];
  cc.$('#log').replaceChildren(...log.map((d) => cc.el('li',
    { 'data-decision': d.decision }, cc.badge('review', d.decision), ' ',
    d.user || t('job.system'), ' · ', cc.when(d.at),
    cc.el('p', null, d.decision === 'void' ? t('job.voided') : d.reason))));
  if (!log.length)
    cc.$('#log').replaceChildren(cc.el('li', { class: 'hint',
      i18n: 'job.no_log' }));
}

function show_job () {
  const o = job.options || {};
  cc.$('#work-title').textContent = o.title || job.id;
  document.title = `${o.title || job.id} · ${t('job.title')}`;
  cc.$('#work-meta').replaceChildren(cc.category(o.category),
    job.student ? ` · ${job.student}` : '',
    o.school ? ` · ${o.school}` : '', ' · ', cc.when(job.finished_at), ' ',
    cc.badge('state', job.state), ' ', cc.badge('review', job.review_state));
  const rm = job.role_model;
  if (rm) {
    const facts = cc.$('#role-model-facts');
    facts.hidden = false;
    facts.replaceChildren(...[['name', 'rm.name'], ['graduation_year',
      'rm.year'], ['major', 'rm.major'], ['employer', 'rm.employer'],
    ['post', 'rm.post'], ['deeds', 'rm.deeds']].filter(([k]) => rm[k])
      .flatMap(([k, key]) => [cc.el('dt', { i18n: key }),
        cc.el('dd', null, String(rm[k]))]));
  }
}

async function decide (e) {
  e.preventDefault();
  const msg = cc.$('#decide-msg');
  const choice = document.querySelector('input[name=decision]:checked');
  const reason = cc.$('#reason').value.trim();
  if (!choice || !reason) {
    cc.say(msg, 'bad', t(choice ? 'job.need_reason' : 'job.need_choice'));
    return;
  }
  cc.$('#decide-go').disabled = true;
  const r = await cc.api('POST', `/api/jobs/${job.id}/decision`,
    { decision: choice.value, reason, outputs: seen });
  cc.$('#decide-go').disabled = false;
  if (r.status === 201) {
    cc.say(msg, 'ok', t('job.decided', { d: t('review.' + r.data.decision) }));
    job.review_state = r.data.decision;
    show_job();
    await show_log();
  } else if (r.status === 409) {
    // the outputs are not the ones this page shows any more
    cc.say(msg, 'bad', t('job.changed'));
    cc.$('#reload').hidden = false;
  } else {
    cc.say(msg, 'bad', cc.problem(r));
  }
}

async function add_comment (e) {
  e.preventDefault();
  const text = cc.$('#comment').value.trim();
  if (!text)
    return;
  const r = await cc.api('POST', `/api/jobs/${job.id}/comments`,
    { t: Math.round(full().currentTime * 1000) / 1000, text });
  if (r.status !== 201)
    throw new Error(cc.problem(r));
  cc.$('#comment').value = '';
  await show_comments();
}

cc.start(async () => {
  await cc.login_required();
  cc.header('/review');
  const r = await cc.api('GET', '/api/jobs/' + job_id);
  if (r.status !== 200)
    throw new Error(cc.problem(r));
  job = r.data;
  seen = (job.outputs || []).map((o) => ({ name: o.name, sha256: o.sha256 }));
  show_job();
  const out = Object.fromEntries((job.outputs || []).map((o) =>
    [o.name, o]));
  if (out['full.mp4'])
    full().src = out['full.mp4'].location;
  if (out['platform.mp4']) {
    platform().src = out['platform.mp4'].location;
  } else {
    platform().hidden = true;
    cc.$('#no-platform').hidden = false;
  }
  setup_transport();
  set_active(full());
  cc.$('#reload').addEventListener('click', () => location.reload());
  cc.$('#decide').addEventListener('submit', decide);
  cc.$('#comment-form').addEventListener('submit', (e) =>
    add_comment(e).catch((err) => cc.say(cc.$('#decide-msg'), 'bad',
      String(err.message || err))));
  const rep = out['report.json'];
  const report = rep ? await cc.fetch_json(rep.location) : null;
  cc.$('#checks').replaceChildren(report ? cc.report_list(report) :
    cc.el('p', { class: 'hint' }, job.reason || '–'));
  segs.setup(job, report, seek_full);
  await Promise.all([setup_sheet(), setup_captions(), show_comments(),
    show_log()]);
  document.body.dataset.ready = '1';
});
