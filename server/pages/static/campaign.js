// SPDX-License-Identifier: LGPL-2.1-or-later
// The campaign: for each unit and category, submitted / passed the checks
// / approved against the quota, with the round's deadline; the units that
// have not delivered stand out (colour and words, never colour alone);
// the tables of approved works as Excel and CSV, and each unit's pack.
'use strict';

const CATS = ['story', 'craftsman', 'overview'];
const TABLES = ['recommended-story', 'recommended-craftsman', 'role-models'];

function days_left (deadline) {
  const end = new Date(deadline + 'T23:59:59');
  return Math.ceil((end - new Date()) / 86400000);
}

function head () {
  return cc.el('tr', null, cc.el('th', { i18n: 'camp.unit' }),
    CATS.map((c) => cc.el('th', { i18n: 'cat.' + c })),
    cc.el('th', { i18n: 'camp.status' }), cc.el('th', { i18n: 'camp.pack' }));
}

function unit_row (u, round) {
  const cells = CATS.map((cat) => {
    const c = u.categories[cat];
    return cc.el('td', { class: c.missing ? 'short' : 'ok',
      'data-category': cat, 'data-label': t('cat.' + cat) },
      cc.el('span', { class: 'nums big' }, `${c.approved}/${c.quota}`),
      cc.el('small', { i18n: ['camp.cell', { s: c.submitted,
        p: c.passed }] }));
  });
  const missing = CATS.filter((c) => u.categories[c].missing)
    .map((c) => `${t('cat.' + c)} ${u.categories[c].missing}`);
  const pack = `/api/exports/pack?unit=${u.id}&round=${round.number}`;
  return cc.el('tr', { class: u.short ? 'short' : 'ok', 'data-unit': u.id,
    'data-name': u.name },
  cc.el('th', { scope: 'row' }, u.name, cc.el('small', { i18n: 'kind.' +
    u.kind })),
  cells,
  cc.el('td', { class: 'status', 'data-label': t('camp.status') },
    u.short ? cc.el('span', { class: 'badge short',
      i18n: ['camp.short', { what: missing.join('、') }] }) :
      cc.el('span', { class: 'badge ok', i18n: 'camp.done' })),
  cc.el('td', { 'data-label': t('camp.pack') }, cc.el('a', { href: pack,
    class: 'button', download: '', i18n: 'camp.pack_get' })));
}

cc.start(async () => {
  await cc.login_required();
  cc.header('/campaign');
  const want = new URLSearchParams(location.search).get('round');
  const q = want && /^\d+$/.test(want) ? `?round=${want}` : '';
  const r = await cc.api('GET', '/api/campaign' + q);
  if (r.status === 404) {
    cc.say(cc.$('#summary'), 'info', t('camp.no_round'));
    return;
  }
  if (r.status !== 200)
    throw new Error(cc.problem(r));
  const round = r.data.round;
  const left = days_left(round.deadline);
  cc.$('#round').replaceChildren(cc.el('strong', null, round.name), ' · ',
    cc.el('span', { i18n: ['camp.deadline', { d: round.deadline }] }), ' ',
    cc.el('span', { class: 'badge ' + (round.open ? 'open' : 'closed'),
      i18n: round.open ? ['camp.days_left', { n: left }] : 'round.closed' }));
  const short = r.data.short;
  cc.say(cc.$('#summary'), short.length ? 'bad' : 'ok',
    short.length ? t('camp.n_short', { n: short.length,
      names: short.join('、') }) : t('camp.all_done'));
  cc.$('#units thead').replaceChildren(head());
  cc.$('#units tbody').replaceChildren(...r.data.units.map(
    (u) => unit_row(u, round)));
  const links = [];
  for (const name of TABLES) {
    for (const ext of ['xlsx', 'csv']) {
      links.push(cc.el('li', null, cc.el('a', { download: '',
        href: `/api/exports/${name}.${ext}?round=${round.number}`,
        'data-export': `${name}.${ext}` },
      cc.el('span', { i18n: 'export.' + name }), ` (${ext.toUpperCase()})`)));
    }
  }
  cc.$('#exports').replaceChildren(...links);
});
