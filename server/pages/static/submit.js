// SPDX-License-Identifier: LGPL-2.1-or-later
// The submission page: the video (dropped or chosen), the category and
// the work's facts, captions and the unit's logo; each file uploaded with
// tus (tus.js), resuming by itself; then the job, followed live through
// its event stream until it ends, with the report's checks in plain
// words.
'use strict';

const FINAL_STATES = ['done', 'rejected', 'failed', 'cancelled'];
let video_file = null;

// The unit's last logo upload, offered again: schools send the same one.
function logo_key () {
  return 'campuscut.logo.' + (cc.me.unit ? cc.me.unit.name : cc.me.name);
}

function last_logo () {
  try {
    return JSON.parse(localStorage.getItem(logo_key()));
  } catch (e) {
    return null;
  }
}

function choose_video (file) {
  if (!file)
    return;
  video_file = file;
  cc.$('#video-name').textContent = `${file.name} · ${cc.bytes(file.size)}`;
  cc.$('#drop').classList.add('chosen');
}

function setup_drop () {
  const drop = cc.$('#drop'), input = cc.$('#video');
  drop.addEventListener('click', () => input.click());
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  input.addEventListener('change', () => choose_video(input.files[0]));
  for (const ev of ['dragenter', 'dragover'])
    drop.addEventListener(ev, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  for (const ev of ['dragleave', 'drop'])
    drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    choose_video(e.dataTransfer.files[0]);
  });
}

function show_role_model () {
  cc.$('#role-model').hidden = cc.$('#category').value !== 'story';
}

function value (id) {
  return cc.$(id).value.trim();
}

// The job's fields from the form; a sentence when something is missing.
function job_fields () {
  if (!video_file)
    return t('submit.need_video');
  const f = { category: value('#category'), quality: value('#quality') };
  if (value('#platform-cut'))
    f.platform_cut = value('#platform-cut');
  if (!value('#title'))
    return t('submit.need_title');
  f.title = value('#title');
  if (value('#student'))
    f.student = value('#student');
  if (value('#school'))
    f.school = value('#school');
  if (f.category === 'story') {
    if (!value('#rm-name'))
      return t('submit.need_rm');
    const rm = { name: value('#rm-name') };
    if (value('#rm-year'))
      rm.graduation_year = Number(value('#rm-year'));
    for (const [k, id] of [['major', '#rm-major'], ['employer',
      '#rm-employer'], ['post', '#rm-post'], ['deeds', '#rm-deeds']]) {
      if (value(id))
        rm[k] = value(id);
    }
    f.role_model = rm;
  }
  return f;
}

// Uploads one file with the bar and its words; the upload's id.
async function upload (file, kind) {
  const bar = cc.$('#up-bar'), text = cc.$('#up-text'), net = cc.$('#up-net');
  cc.$('#up-what').replaceChildren(cc.el('span',
    { i18n: 'up.kind.' + kind }), ` · ${file.name}`);
  bar.value = 0;
  const up = new TusUpload(file, kind, {
    progress (sent, total, speed) {
      bar.value = total ? sent / total : 1;
      const left = speed > 0 ? cc.duration((total - sent) / speed) : '–';
      text.textContent = `${cc.bytes(sent)} / ${cc.bytes(total)} · ` +
        `${cc.bytes(speed)}/s · ${t('up.left', { t: left })}`;
      net.hidden = true;
    },
    broken (breaks, wait, why) {
      net.dataset.breaks = breaks;
      cc.say(net, 'info', t('up.broken', { s: (wait / 1000).toFixed(1),
        why }));
    },
    resumed (offset) {
      cc.say(net, 'info', t('up.resumed', { b: cc.bytes(offset) }));
      bar.value = file.size ? offset / file.size : 1;
    },
  });
  const id = await up.start();
  bar.value = 1;
  net.dataset.breaks = up.breaks;
  document.body.dataset.breaks = String(
    Number(document.body.dataset.breaks || 0) + up.breaks);
  return id;
}

// The logo: a new file, or the unit's last one if the server still has
// it.
async function logo_upload () {
  const file = cc.$('#logo').files[0];
  if (file) {
    const id = await upload(file, 'logo');
    localStorage.setItem(logo_key(), JSON.stringify({ id, name: file.name }));
    return id;
  }
  const last = last_logo();
  if (!last || !cc.$('#last-logo').checked)
    return null;
  const r = await cc.api('GET', '/api/uploads/' + last.id);
  return r.status === 200 && r.data.complete ? last.id : null;
}

function show_state (job) {
  const s = cc.$('#job-state');
  s.className = 'badge state-' + job.state;
  s.dataset.state = job.state;
  s.dataset.i18n = 'state.' + job.state;
  s.textContent = t('state.' + job.state);
  if (job.state === 'done')
    cc.$('#job-bar').value = 1;
  if (job.reason)
    cc.$('#job-text').textContent = job.reason;
}

// Follows the job's event stream until it ends; EventSource reconnects
// by itself when the stream breaks, and its first event says where the
// job is.
function follow (job) {
  cc.$('#job').hidden = false;
  show_state(job);
  const es = new EventSource(job.events);
  es.addEventListener('state', async (e) => {
    const j = JSON.parse(e.data);
    show_state(j);
    if (!FINAL_STATES.includes(j.state))
      return;
    es.close();
    cc.$('#job-phase').textContent = '';
    const rep = (j.outputs || []).find((o) => o.name === 'report.json');
    if (rep) {
      const report = await cc.fetch_json(rep.location);
      if (report)
        cc.$('#job-report').replaceChildren(cc.report_list(report));
    }
  });
  es.addEventListener('phase', (e) => {
    const p = JSON.parse(e.data).phase;
    cc.$('#job-phase').textContent = t('phase.' + p);
  });
  es.addEventListener('progress', (e) => {
    const p = JSON.parse(e.data);
    cc.$('#job-bar').value = p.percent / 100;
    cc.$('#job-text').textContent = `${p.percent.toFixed(0)} % · ` +
      `${cc.duration(p.position)} / ${cc.duration(p.duration)}`;
  });
}

async function on_submit (e) {
  e.preventDefault();
  const fields = job_fields();
  const fmsg = cc.$('#form-msg');
  if (typeof fields === 'string') {
    cc.say(fmsg, 'bad', fields);
    return;
  }
  cc.say(fmsg, 'info', '');
  cc.$('#go').disabled = true;
  cc.$('#submit').classList.add('busy');
  cc.$('#progress').hidden = false;
  const msg = cc.$('#up-msg');
  try {
    fields.video = await upload(video_file, 'video');
    const captions = cc.$('#captions').files[0];
    if (captions)
      fields.captions = await upload(captions, 'captions');
    const logo = await logo_upload();
    if (logo)
      fields.logo = logo;
    const r = await cc.api('POST', '/api/jobs', fields);
    if (r.status !== 201)
      throw new Error(cc.problem(r));
    cc.say(msg, 'ok', t('submit.created'));
    follow(r.data);
  } catch (err) {
    cc.say(msg, 'bad', String(err.message || err));
    cc.$('#go').disabled = false;
    cc.$('#submit').classList.remove('busy');
  }
}

cc.start(async () => {
  await cc.login_required();
  cc.header('/submit');
  if (cc.me.unit)
    cc.$('#school').value = cc.me.unit.name;
  setup_drop();
  cc.$('#category').addEventListener('change', show_role_model);
  show_role_model();
  const last = last_logo();
  if (last) {
    cc.$('#last-logo-row').hidden = false;
    cc.$('#last-logo').checked = true;
    const span = cc.$('#last-logo-text');
    span.dataset.i18n = 'submit.last_logo';
    span.dataset.i18nVars = JSON.stringify({ name: last.name });
    span.textContent = t('submit.last_logo', { name: last.name });
  }
  cc.$('#submit').addEventListener('submit', on_submit);
});
