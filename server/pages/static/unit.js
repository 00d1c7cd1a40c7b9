// SPDX-License-Identifier: LGPL-2.1-or-later
// My unit: what the round still needs (the campaign's counts against the
// quota), and every submission of the unit with its state, its review,
// the report's checks in plain words, the reviewers' decisions and
// comments.
'use strict';

function quota_cards (camp) {
  const unit = camp.units[0];
  if (!unit)
    return [cc.el('p', { class: 'hint', i18n: 'unit.no_unit' })];
  return Object.entries(unit.categories).map(([cat, c]) => {
    const done = c.missing === 0;
    return cc.el('div', { class: 'quota-card ' + (done ? 'ok' : 'short'),
      'data-category': cat, 'data-missing': c.missing },
      cc.el('h3', { i18n: 'cat.' + cat }),
      cc.el('p', { class: 'big nums' }, `${c.approved} / ${c.quota}`),
      cc.el('p', { i18n: done ? 'unit.enough' :
        ['unit.missing', { n: c.missing }] }),
      cc.el('p', { class: 'hint', i18n: ['unit.counts',
        { s: c.submitted, p: c.passed }] }));
  });
}

// A submission's details, read when opened: checks, decisions, comments.
async function details (job, box) {
  const parts = [];
  const rep = (job.outputs || []).find((o) => o.name === 'report.json');
  if (rep) {
    const report = await cc.fetch_json(rep.location);
    if (report)
      parts.push(cc.el('h4', { i18n: 'unit.checks' }),
        cc.report_list(report));
  } else if (job.reason) {
    parts.push(cc.el('p', { class: 'msg bad' }, job.reason));
  }
  const d = await cc.api('GET', `/api/jobs/${job.id}/decisions`);
  const log = (d.data && d.data.decisions) || [];
  if (log.length) {
    parts.push(cc.el('h4', { i18n: 'job.log' }), cc.el('ul', { class: 'log' },
      log.map((x) => cc.el('li', null, cc.badge('review', x.decision), ' ',
        x.user || '', ' · ', cc.when(x.at), cc.el('p', null, x.reason)))));
  }
  const c = await cc.api('GET', `/api/jobs/${job.id}/comments`);
  const comments = (c.data && c.data.comments) || [];
  if (comments.length) {
    parts.push(cc.el('h4', { i18n: 'job.comments' }), cc.el('ul',
      { class: 'log' }, comments.map((x) => cc.el('li', null,
        cc.el('span', { class: 'tc' }, cc.timecode(x.t)), ` ${x.user} · `,
        cc.el('p', null, x.text)))));
  }
  box.replaceChildren(...parts);
}

function job_card (job) {
  const o = job.options || {};
  const body = cc.el('div', { class: 'details-body' },
    cc.el('p', { class: 'hint', i18n: 'unit.loading' }));
  const det = cc.el('details', { class: 'job', 'data-job': job.id,
    'data-state': job.state },
    cc.el('summary', null,
      cc.el('span', { class: 'title' }, o.title || job.id.slice(0, 8)),
      cc.el('span', { class: 'meta' }, cc.category(o.category),
        job.student ? ` · ${job.student}` : '',
        ` · ${cc.when(job.created_at)}`),
      cc.el('span', { class: 'badges' }, cc.badge('state', job.state),
        job.review_state !== 'none' ? cc.badge('review', job.review_state) :
          null)),
    body);
  let loaded = false;
  det.addEventListener('toggle', () => {
    if (det.open && !loaded) {
      loaded = true;
      details(job, body).catch((e) => body.replaceChildren(String(e)));
    }
  });
  return det;
}

cc.start(async () => {
  await cc.login_required();
  cc.header('/unit');
  const camp = await cc.api('GET', '/api/campaign');
  if (camp.status === 200) {
    const r = camp.data.round;
    cc.$('#round').replaceChildren(cc.el('span', { i18n: ['unit.round',
      { name: r.name, deadline: r.deadline }] }), ' ', cc.el('span',
      { class: r.open ? 'badge open' : 'badge closed',
        i18n: r.open ? 'round.open' : 'round.closed' }));
    if (!cc.is_reviewer())
      cc.$('#quota').replaceChildren(...quota_cards(camp.data));
    else
      cc.$('#quota').replaceChildren(cc.el('p', { class: 'hint' },
        cc.el('a', { href: '/campaign', i18n: 'unit.see_campaign' })));
  } else {
    cc.$('#round').textContent = t('unit.no_round');
  }
  const r = await cc.api('GET', '/api/jobs');
  if (r.status !== 200)
    throw new Error(cc.problem(r));
  cc.$('#none').hidden = r.data.jobs.length > 0;
  cc.$('#jobs').replaceChildren(...r.data.jobs.map(job_card));
});
