// SPDX-License-Identifier: LGPL-2.1-or-later
// A resumable upload (tus 1.0) from the page, for campus networks that
// drop connections: the file goes in PATCHes of 8 MiB; when one breaks,
// the page asks the server with HEAD how far it got and sends the rest
// from there, after 0.5 s, then 1, 2, 4 … up to 30 s, giving up only
// after 8 breaks in a row that brought no byte further (as `campuscut
// submit` does). XMLHttpRequest rather than fetch: only it reports how
// far a request body has gone.
'use strict';

const TUS_CHUNK = 8 * 1024 * 1024;
const TUS_MAX_BREAKS = 8;
const TUS_STALL_MS = 30000;     // no byte sent for this long: a break too
const TUS_HEADERS = { 'Tus-Resumable': '1.0.0' };

class TusBreak extends Error {}

// Base64 of a text's UTF-8, as Upload-Metadata wants its values.
function tus_b64 (text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes)
    bin += String.fromCharCode(b);
  return btoa(bin);
}

function tus_sleep (ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// file: a File; kind: video, captions or logo; on: {progress(sent, total,
// speed), broken(breaks, wait_ms, reason), resumed(offset)}.
class TusUpload {
  constructor (file, kind, on) {
    this.file = file;
    this.kind = kind;
    this.on = on || {};
    this.location = null;
    this.offset = 0;
    this.breaks = 0;            // all of them, for the page to show
    this.samples = [];          // [ms, bytes] of the last seconds
  }

  async start () {
    await this.create();
    let in_a_row = 0;             // breaks that brought nothing further
    while (this.offset < this.file.size) {
      try {
        this.offset = await this.patch(this.offset);
        in_a_row = 0;
      } catch (e) {
        if (!(e instanceof TusBreak))
          throw e;
        this.breaks++;
        if (++in_a_row > TUS_MAX_BREAKS)
          throw new Error(t('up.gave_up'));
        const wait = Math.min(30000, 500 * 2 ** (in_a_row - 1));
        if (this.on.broken)
          this.on.broken(this.breaks, wait, e.message);
        await tus_sleep(wait);
        const before = this.offset;
        await this.resync();
        if (this.offset > before)
          in_a_row = 0;
      }
    }
    return this.location.split('/').pop();
  }

  async create () {
    const meta = `kind ${tus_b64(this.kind)},filename ` +
      tus_b64(this.file.name || this.kind);
    const r = await fetch('/api/uploads', { method: 'POST',
      credentials: 'same-origin', headers: { ...TUS_HEADERS,
        'Upload-Length': String(this.file.size), 'Upload-Metadata': meta,
        'X-CSRF-Token': cc.csrf } });
    if (r.status !== 201) {
      const d = await r.json().catch(() => ({}));
      throw new Error(cc.problem({ status: r.status, data: d }));
    }
    this.location = r.headers.get('Location');
  }

  // Where the server is: HEAD, retried while the network is down.
  async resync () {
    for (let i = 0; ; i++) {
      try {
        const r = await fetch(this.location, { method: 'HEAD',
          credentials: 'same-origin', headers: TUS_HEADERS,
          cache: 'no-store' });
        if (r.status === 200) {
          this.offset = Number(r.headers.get('Upload-Offset'));
          this.samples = [];
          if (this.on.resumed)
            this.on.resumed(this.offset);
          return;
        }
        if (r.status === 404)
          throw new Error(t('up.gone'));
      } catch (e) {
        if (!(e instanceof TypeError) || i >= TUS_MAX_BREAKS)
          throw e;
      }
      await tus_sleep(Math.min(30000, 500 * 2 ** i));
    }
  }

  // One PATCH from @offset; the server's new offset, or a TusBreak.
  patch (offset) {
    const end = Math.min(this.file.size, offset + TUS_CHUNK);
    const xhr = new XMLHttpRequest();
    return new Promise((resolve, reject) => {
      let stall = null;
      const watch = () => {
        clearTimeout(stall);
        stall = setTimeout(() => xhr.abort(), TUS_STALL_MS);
      };
      const broken = (why) => {
        clearTimeout(stall);
        reject(new TusBreak(why));
      };
      xhr.open('PATCH', this.location);
      for (const [k, v] of Object.entries(TUS_HEADERS))
        xhr.setRequestHeader(k, v);
      xhr.setRequestHeader('Upload-Offset', String(offset));
      xhr.setRequestHeader('Content-Type',
        'application/offset+octet-stream');
      xhr.setRequestHeader('X-CSRF-Token', cc.csrf);
      xhr.upload.onprogress = (e) => {
        watch();
        this.progress(offset + e.loaded);
      };
      xhr.onload = () => {
        clearTimeout(stall);
        const at = Number(xhr.getResponseHeader('Upload-Offset'));
        if (xhr.status === 204)
          resolve(at);
        else if (xhr.status === 409 || xhr.status === 423 ||
                 xhr.status >= 500)
          // not where the server is, or the broken request still holds
          // the upload there: ask again
          broken(`HTTP ${xhr.status}`);
        else {
          let d = {};
          try {
            d = JSON.parse(xhr.responseText);
          } catch (e) {}
          clearTimeout(stall);
          reject(new Error(cc.problem({ status: xhr.status, data: d })));
        }
      };
      xhr.onerror = () => broken(t('up.net_error'));
      xhr.onabort = () => broken(t('up.stalled'));
      xhr.ontimeout = () => broken(t('up.stalled'));
      watch();
      xhr.send(this.file.slice(offset, end));
    });
  }

  // Speed over the last 5 s, for the bar's words.
  progress (sent) {
    const now = performance.now();
    this.samples.push([now, sent]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 5000)
      this.samples.shift();
    const [t0, b0] = this.samples[0];
    const speed = now > t0 ? (sent - b0) * 1000 / (now - t0) : 0;
    if (this.on.progress)
      this.on.progress(sent, this.file.size, speed);
  }
}
