// SPDX-License-Identifier: LGPL-2.1-or-later
// The review queue: done jobs awaiting a decision, oldest first, each a
// link to its review page.
'use strict';

cc.start(async () => {
  await cc.login_required();
  cc.header('/review');
  const [q, camp] = await Promise.all([cc.api('GET', '/api/review/queue'),
    cc.api('GET', '/api/campaign')]);
  if (q.status !== 200)
    throw new Error(cc.problem(q));
  const units = {};
  for (const u of (camp.status === 200 ? camp.data.units : []))
    units[u.id] = u.name;
  const rows = q.data.jobs.map((job) => {
    const o = job.options || {};
    const href = '/review/' + job.id;
    return cc.el('tr', { 'data-job': job.id },
      cc.el('td', { 'data-label': t('queue.work') }, cc.el('a', { href },
        o.title || job.id.slice(0, 8))),
      cc.el('td', null, units[job.unit] || '–'),
      cc.el('td', null, cc.category(o.category)),
      cc.el('td', null, job.student || '–'),
      cc.el('td', null, cc.when(job.finished_at)),
      cc.el('td', null, cc.el('a', { href, class: 'button',
        i18n: 'queue.open' })));
  });
  cc.$('#queue tbody').replaceChildren(...rows);
  cc.$('#empty').hidden = rows.length > 0;
  cc.$('#queue').hidden = rows.length === 0;
});
