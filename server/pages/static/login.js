// SPDX-License-Identifier: LGPL-2.1-or-later
// The login page: the token (and the name, optional) for a session
// cookie; then to the page the visitor came for, or their first page.
'use strict';

cc.start(async () => {
  cc.$('#lang-login').addEventListener('click',
    () => i18n_set(i18n_lang() === 'zh' ? 'en' : 'zh'));
  cc.$('#login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const msg = cc.$('#msg');
    const body = { token: cc.$('#token').value.trim() };
    const name = cc.$('#name').value.trim();
    if (name)
      body.name = name;
    cc.say(msg, 'info', t('login.wait'));
    let r;
    try {
      r = await cc.api('POST', '/api/login', body);
    } catch (err) {
      r = { status: 0 };
    }
    if (r.status !== 200) {
      cc.say(msg, 'bad', r.status === 401 ? t('login.wrong') :
        cc.problem(r));
      return;
    }
    const next = new URLSearchParams(location.search).get('next');
    // only a page of this server: never another site (browsers read
    // "//host" and "/\host" alike)
    const safe = next && /^\/[^/\\]/.test(next) && !next.startsWith('/api/');
    location.assign(safe ? next :
      r.data.role === 'submitter' ? '/submit' : '/review');
  });
});
