// SPDX-License-Identifier: LGPL-2.1-or-later
// What every page shares: the API (the session cookie, and the CSRF token
// for every request that changes something), who is logged in, the
// header with its links and the language switch, DOM building without
// innerHTML (every text from the server goes in as text, never markup),
// and the formats of sizes, times and states.
'use strict';

const cc = {};

cc.csrf = null;
cc.me = null;

// An element: attributes (on* as listeners, class, dataset via data-*),
// then children (strings become text).
cc.el = function (tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false)
      continue;
    if (k.startsWith('on'))
      e.addEventListener(k.slice(2), v);
    else if (k === 'class')
      e.className = v;
    else if (k === 'i18n') {
      // a key, or [key, {vars}]: the language switch redoes it
      const [key, vars] = Array.isArray(v) ? v : [v, null];
      e.dataset.i18n = key;
      if (vars)
        e.dataset.i18nVars = JSON.stringify(vars);
      e.textContent = t(key, vars);
    } else
      e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false)
      continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
};

cc.$ = (sel, root) => (root || document).querySelector(sel);

// One API call; {status, data, headers}. A request that changes
// something carries the CSRF token the server gave this session.
cc.api = async function (method, path, body) {
  const headers = {};
  const opts = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD' && cc.csrf)
    headers['X-CSRF-Token'] = cc.csrf;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  let data = null;
  if ((r.headers.get('Content-Type') || '').startsWith('application/json'))
    data = await r.json();
  return { status: r.status, data, headers: r.headers };
};

// The error of an answer, as a sentence for people.
cc.problem = function (res) {
  if (res.status === 0)
    return t('err.network');
  const d = res.data || {};
  return `${t('err.server')} ${res.status}` +
    (d.message ? `: ${d.message}` : '');
};

// Who is logged in (and the CSRF token); to the login page without a
// session, coming back here afterwards.
cc.login_required = async function () {
  const r = await cc.api('GET', '/api/me');
  if (r.status === 401) {
    const next = location.pathname + location.search;
    location.replace('/login?next=' + encodeURIComponent(next));
    return new Promise(() => {});
  }
  if (r.status !== 200)
    throw new Error(cc.problem(r));
  cc.me = r.data;
  cc.csrf = r.data.csrf_token || null;
  return cc.me;
};

cc.is_reviewer = () => cc.me && cc.me.role !== 'submitter';

// The header: the pages this user has, who they are, the language and
// logging out.
cc.header = function (active) {
  const top = cc.$('#top');
  if (!top)
    return;
  const links = cc.is_reviewer() ?
    [['/review', 'nav.review'], ['/campaign', 'nav.campaign'],
     ['/submit', 'nav.submit'], ['/unit', 'nav.unit']] :
    [['/submit', 'nav.submit'], ['/unit', 'nav.unit']];
  const nav = cc.el('nav', { class: 'nav' },
    links.map(([href, key]) => cc.el('a', {
      href, i18n: key, class: href === active ? 'active' : null,
      'aria-current': href === active ? 'page' : null })));
  const who = cc.el('span', { class: 'who' }, cc.me.name,
    cc.me.unit ? ` · ${cc.me.unit.name}` : '',
    ' · ', cc.el('span', { i18n: 'role.' + cc.me.role }));
  const logout = cc.el('button', { type: 'button', class: 'link',
    id: 'logout', i18n: 'nav.logout', onclick: async () => {
      await cc.api('POST', '/api/logout');
      location.assign('/login');
    } });
  top.replaceChildren(cc.el('a', { href: '/', class: 'brand' },
    cc.el('img', { src: '/static/icon.svg', alt: '', width: 28,
      height: 28 }), cc.el('span', { i18n: 'app.name' })),
    nav, cc.el('div', { class: 'tools' }, who, i18n_toggle(), logout));
};

function i18n_toggle () {
  return cc.el('button', { type: 'button', class: 'lang', id: 'lang',
    'aria-label': 'Language / 语言', onclick: () => {
      i18n_set(i18n_lang() === 'zh' ? 'en' : 'zh');
    } }, i18n_lang() === 'zh' ? 'EN' : '中文');
}

// Sizes, durations and times.
cc.bytes = function (n) {
  if (n < 1024)
    return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let i = -1;
  do {
    n /= 1024;
    i++;
  } while (n >= 1024 && i < units.length - 1);
  return `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
};

cc.duration = function (s) {
  if (!isFinite(s) || s < 0)
    return '–';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
};

// A point of the video as an editor shows it: mm:ss:ff, the frame of the
// second last (at the outputs' 25 fps), not hundredths.
cc.FPS = 25;
cc.timecode = function (s) {
  const f = Math.round(s * cc.FPS);
  const m = Math.floor(f / (60 * cc.FPS));
  const sec = Math.floor(f / cc.FPS) % 60;
  return `${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}:` +
    String(f % cc.FPS).padStart(2, '0');
};

cc.when = function (iso) {
  if (!iso)
    return '–';
  const d = new Date(iso);
  return d.toLocaleString(i18n_lang() === 'zh' ? 'zh-CN' : 'en-GB',
    { dateStyle: 'short', timeStyle: 'short' });
};

cc.category = (id) => id ? t('cat.' + id) : '–';

// A job's state and review state as a coloured badge.
cc.badge = function (kind, value) {
  return cc.el('span', { class: `badge ${kind}-${value}`,
    'data-value': value, i18n: `${kind}.${value}` });
};

// report.json's checks in plain words: [{ok, text, found}], the cut's
// verdict first.
cc.report_lines = function (report) {
  const lines = [];
  const res = report && report.result;
  if (res && res.status !== 'done' && res.message)
    lines.push({ ok: false, text: 'report.stopped', found: res.message });
  for (const cut of ['full', 'platform']) {
    const o = report && report.outputs && report.outputs[cut];
    if (!o)
      continue;
    lines.push({ ok: o.verdict === 'pass', head: true,
      text: [`report.${cut}.${o.verdict === 'pass' ? 'pass' : 'fail'}`,
        { d: cc.duration(o.duration_s) }] });
    for (const c of o.checks || [])
      lines.push({ ok: c.verdict === 'pass', text: 'check.' + c.check,
        found: c.found });
  }
  const cap = report && report.captions;
  if (cap) {
    lines.push({ ok: !(cap.warnings || []).length,
      text: ['report.captions', { n: cap.cues }],
      found: (cap.warnings || []).join('; ') || null });
  }
  return lines;
};

cc.report_list = function (report) {
  return cc.el('ul', { class: 'checks' }, cc.report_lines(report).map(
    (l) => cc.el('li', { class: (l.ok ? 'ok' : 'bad') +
      (l.head ? ' head' : '') },
      cc.el('span', { class: 'mark', 'aria-hidden': 'true' },
        l.ok ? '✓' : '✗'), cc.el('span', { i18n: l.text }),
      l.found ? cc.el('small', null, l.found) : null)));
};

cc.fetch_json = async function (path) {
  const r = await fetch(path, { credentials: 'same-origin' });
  return r.ok ? r.json() : null;
};

// A message box: kind ok, bad or info.
cc.say = function (box, kind, text) {
  box.className = 'msg ' + kind;
  box.textContent = text;
  box.hidden = !text;
};

// Runs a page's start, with its errors shown rather than lost.
cc.start = function (fn) {
  document.addEventListener('DOMContentLoaded', () => {
    i18n_apply(document);
    fn().catch((e) => {
      const box = cc.el('p', { class: 'msg bad', role: 'alert' },
        String(e.message || e));
      (cc.$('main') || document.body).prepend(box);
    });
  });
};
