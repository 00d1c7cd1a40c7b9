// SPDX-License-Identifier: LGPL-2.1-or-later
// The platform cut's segments on the review page: a timeline of the full
// cut on which each segment's ends (or the whole segment) are dragged, and
// the same list as text in the syntax `campuscut process --platform-cut`
// takes ("0:12.5-0:40,1:35-2:07"). Either one edits the other. Times snap
// to the outputs' frames; segments stay in order, apart and at least a
// frame long; the total is shown against the 60 s rule. "Make only the
// platform cut again" sends the list (POST /api/jobs/ID/platform): the
// server makes the platform cut anew beside the full cut, voids any
// decision, and this page reloads when the job is done.
'use strict';

const segs = {
  list: [],                     // [[start, end]] in seconds, in order
  duration: 0,                  // the full cut's
  max_total: 60,
  job: null,
  seek: null,                   // seeks the full cut
};

segs.snap = (s) => Math.round(s * cc.FPS) / cc.FPS;

// "[[h:]m:]s[.f]" in seconds; NaN when it is not a time.
segs.parse_time = function (text) {
  const parts = text.trim().split(':');
  if (parts.length > 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p)) ||
      parts.slice(0, -1).some((p) => p.includes('.')))
    return NaN;
  return parts.reduce((acc, p) => acc * 60 + Number(p), 0);
};

// m:ss with the fraction of a second when there is one.
segs.format_time = function (s) {
  const f = Math.round(s * cc.FPS);
  const m = Math.floor(f / (60 * cc.FPS));
  const rest = (f - m * 60 * cc.FPS) / cc.FPS;
  const sec = rest.toFixed(2).replace(/\.?0+$/, '');
  return `${m}:${rest < 10 ? '0' : ''}${sec}`;
};

segs.format = (list) => list.map(([a, b]) =>
  `${segs.format_time(a)}-${segs.format_time(b)}`).join(',');

// The list typed, or {error} saying what is wrong with it.
segs.parse = function (text) {
  const list = [];
  const items = text.split(',').map((x) => x.trim()).filter((x) => x);
  if (!items.length)
    return { error: t('seg.empty') };
  for (const item of items) {
    const ends = item.split('-');
    const [a, b] = ends.map(segs.parse_time);
    if (ends.length !== 2 || isNaN(a) || isNaN(b))
      return { error: t('seg.bad_time', { x: item }) };
    if (b <= a || (list.length && a < list[list.length - 1][1]))
      return { error: t('seg.bad_order') };
    list.push([segs.snap(a), segs.snap(b)]);
  }
  if (segs.duration && list[0][0] >= segs.duration)
    return { error: t('seg.past_end') };
  return { list };
};

segs.total = () => segs.list.reduce((n, [a, b]) => n + (b - a), 0);

// Shows the total against the rule; FALSE when the list cannot be sent.
segs.show_total = function (problem) {
  const total = segs.total();
  const box = cc.$('#seg-total');
  const over = total > segs.max_total + 1e-6;
  box.dataset.i18n = 'seg.total';
  box.dataset.i18nVars = JSON.stringify({ s: total.toFixed(2) });
  box.textContent = t('seg.total', { s: total.toFixed(2) });
  box.className = over || problem ? 'msg bad' : 'hint';
  if (problem)
    box.textContent += ' · ' + problem;
  else if (over)
    box.textContent += ' · ' + t('seg.too_long');
  cc.$('#remake').disabled = over || !!problem || !segs.list.length;
  return !cc.$('#remake').disabled;
};

segs.pct = (s) => `${(100 * s / (segs.duration || 1)).toFixed(4)}%`;

// The blocks on the timeline, from segs.list: moved in place while their
// number stays (a block being dragged keeps its pointer capture).
segs.draw = function () {
  const line = cc.$('#timeline');
  let blocks = [...line.querySelectorAll('.seg')];
  if (blocks.length !== segs.list.length) {
    blocks.forEach((b) => b.remove());
    blocks = segs.list.map((_, i) => cc.el('div', { class: 'seg',
      'data-index': i },
    cc.el('span', { class: 'handle start', 'data-end': 'start',
      'aria-label': t('seg.start') }),
    cc.el('span', { class: 'handle end', 'data-end': 'end',
      'aria-label': t('seg.end') })));
    line.append(...blocks);
  }
  segs.list.forEach(([a, b], i) => {
    blocks[i].title = `${segs.format_time(a)}-${segs.format_time(b)}`;
    blocks[i].style.left = segs.pct(a);
    blocks[i].style.width = segs.pct(b - a);
  });
};

// The text, the blocks and the total from segs.list.
segs.changed = function () {
  cc.$('#segments').value = segs.format(segs.list);
  segs.draw();
  segs.show_total(null);
};

// A point of the timeline in seconds, on the frame grid.
segs.at = function (clientX) {
  const r = cc.$('#timeline').getBoundingClientRect();
  const x = Math.min(Math.max(0, clientX - r.left), r.width);
  return segs.snap(segs.duration * x / (r.width || 1));
};

// Dragging: a handle moves that end, the block moves the whole segment,
// never past its neighbours, the video's ends or a frame's length.
segs.drag = function (e) {
  const block = e.target.closest('.seg');
  if (!block || e.button > 0)
    return;
  e.preventDefault();
  const i = Number(block.dataset.index);
  const which = e.target.dataset.end || 'move';
  const [a0, b0] = segs.list[i];
  const lo = i ? segs.list[i - 1][1] : 0;
  const hi = i + 1 < segs.list.length ? segs.list[i + 1][0] : segs.duration;
  const frame = 1 / cc.FPS;
  const from = segs.at(e.clientX);
  block.setPointerCapture(e.pointerId);
  block.classList.add('dragging');
  const move = (ev) => {
    const now = segs.at(ev.clientX);
    if (which === 'start')
      segs.list[i][0] = segs.snap(Math.min(Math.max(lo, now), b0 - frame));
    else if (which === 'end')
      segs.list[i][1] = segs.snap(Math.max(Math.min(hi, now), a0 + frame));
    else {
      const d = Math.min(Math.max(lo - a0, now - from), hi - b0);
      segs.list[i] = [segs.snap(a0 + d), segs.snap(b0 + d)];
    }
    segs.changed();
    const s = segs.list[i][which === 'end' ? 1 : 0];
    if (segs.seek)
      segs.seek(Math.min(s, Math.max(0, segs.duration - frame)));
  };
  const up = () => {
    block.removeEventListener('pointermove', move);
    block.removeEventListener('pointerup', up);
    block.removeEventListener('pointercancel', up);
    block.classList.remove('dragging');
  };
  block.addEventListener('pointermove', move);
  block.addEventListener('pointerup', up);
  block.addEventListener('pointercancel', up);
};

// A segment of up to 5 s where the full cut stands, in the room there is.
segs.add = function (at) {
  const s = segs.snap(Math.min(at, segs.duration));
  const next = segs.list.find(([a]) => a > s);
  const room = Math.min(next ? next[0] : segs.duration, segs.duration) - s;
  const inside = segs.list.some(([a, b]) => s >= a && s < b);
  const len = Math.min(5, room, segs.max_total - segs.total());
  if (inside || len < 1 / cc.FPS) {
    segs.show_total(t('seg.no_room'));
    return;
  }
  segs.list.push([s, segs.snap(s + len)]);
  segs.list.sort((x, y) => x[0] - y[0]);
  segs.changed();
};

segs.typed = function () {
  const r = segs.parse(cc.$('#segments').value);
  if (r.list) {
    segs.list = r.list;
    segs.draw();
  }
  segs.show_total(r.error || null);
};

// After the request: the job's state until it ends, then the new files.
segs.follow = async function () {
  const msg = cc.$('#seg-msg');
  const deadline = Date.now() + 30 * 60 * 1000;
  while (Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 1000));
    const r = await cc.api('GET', `/api/jobs/${segs.job.id}`);
    if (r.status !== 200)
      continue;
    if (r.data.state === 'done') {
      location.reload();
      return;
    }
    if (['failed', 'rejected', 'cancelled'].includes(r.data.state)) {
      cc.say(msg, 'bad', t('seg.failed', { r: r.data.reason ||
        r.data.state }));
      return;
    }
  }
};

segs.remake = async function (e) {
  e.preventDefault();
  segs.typed();
  if (!segs.show_total(null))
    return;
  const msg = cc.$('#seg-msg');
  cc.$('#remake').disabled = true;
  const r = await cc.api('POST', `/api/jobs/${segs.job.id}/platform`,
    { platform_cut: segs.format(segs.list) });
  if (r.status !== 200) {
    cc.$('#remake').disabled = false;
    cc.say(msg, 'bad', cc.problem(r));
    return;
  }
  cc.say(msg, 'info', t('seg.working'));
  await segs.follow();
};

// @report: the job's report.json (the full cut's length, the platform
// cut's segments as made); @seek: moves the full cut's player.
segs.setup = function (job, report, seek) {
  const card = cc.$('#segments-card');
  const outputs = (report && report.outputs) || {};
  if (job.state !== 'done' || !outputs.full) {
    card.hidden = true;
    return;
  }
  segs.job = job;
  segs.seek = seek;
  segs.duration = outputs.full.duration_s || 0;
  const made = outputs.platform && outputs.platform.segments;
  segs.list = made ? segs.parse(made).list || [] : [];
  card.hidden = false;
  cc.$('#timeline').addEventListener('pointerdown', (e) => {
    if (e.target.closest('.seg'))
      segs.drag(e);
    else if (seek)
      seek(segs.at(e.clientX));
  });
  cc.$('#segments').addEventListener('input', segs.typed);
  cc.$('#seg-add').addEventListener('click', () =>
    segs.add(cc.$('#full').currentTime));
  cc.$('#seg-form').addEventListener('submit', (e) =>
    segs.remake(e).catch((err) => cc.say(cc.$('#seg-msg'), 'bad',
      String(err.message || err))));
  cc.$('#full').addEventListener('timeupdate', segs.playhead);
  cc.$('#full').addEventListener('seeked', segs.playhead);
  segs.changed();
  segs.playhead();
};

segs.playhead = function () {
  cc.$('#playhead').style.left = segs.pct(cc.$('#full').currentTime);
};
