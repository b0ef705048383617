// phoneflash status page: rows from server-sent events, actions by fetch.
'use strict';
(() => {
  const tbody = document.querySelector('#phones tbody');
  if (!tbody) return; // the login page
  const csrf = document.querySelector('meta[name=csrf]').content;
  const loggedIn = csrf !== '';
  const conn = document.getElementById('conn');
  const msg = document.getElementById('msg');
  const oled = document.getElementById('oled');
  const rows = new Map(); // mac -> {tr, hist, last: {bytes, at}, rate, open}

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const bytes = (n) => {
    if (n < 1024) return n + ' B';
    if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KiB';
    return (n / (1 << 20)).toFixed(1) + ' MiB';
  };
  const clock = (iso) => new Date(iso).toLocaleTimeString();
  const dur = (ms) => {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  };
  const show = (text, good) => {
    msg.textContent = text;
    msg.className = 'msg ' + (good ? 'ok' : 'err');
  };

  async function post(url, body) {
    const res = await fetch(url, { method: 'POST', body, headers: { 'X-CSRF-Token': csrf }, credentials: 'same-origin' });
    const text = (await res.text()).trim();
    show(res.ok ? text : res.status + ': ' + text, res.ok);
    return res.ok;
  }

  function button(label, cls, url, confirmText) {
    const b = el('button', cls, label);
    b.type = 'button';
    b.addEventListener('click', (ev) => {
      ev.stopPropagation();
      if (confirmText && !window.confirm(confirmText)) return;
      post(url);
    });
    return b;
  }

  function cell(tr, label) {
    const td = el('td');
    if (label) td.dataset.label = label;
    tr.appendChild(td);
    return td;
  }

  function progress(td, p, row) {
    td.replaceChildren();
    if (!p.file_count && !p.total) return;
    if (p.file_count) td.appendChild(el('div', '', 'file ' + p.file_index + ' of ' + p.file_count));
    const bar = el('progress');
    bar.max = p.total || 1;
    bar.value = p.bytes || 0;
    td.appendChild(bar);
    let line = bytes(p.bytes || 0) + ' of ' + bytes(p.total || 0);
    if (row.rate > 0) line += ' · ' + bytes(Math.round(row.rate)) + '/s';
    td.appendChild(el('div', 'small', line));
    if (p.file) td.appendChild(el('div', 'small', p.file));
  }

  function rate(row, p, now) {
    const last = row.last;
    if (p.stage !== 'loading') { row.rate = 0; row.last = null; return; }
    if (last && p.bytes > last.bytes && now > last.at) {
      const r = (p.bytes - last.bytes) / ((now - last.at) / 1000);
      row.rate = row.rate > 0 ? 0.7 * row.rate + 0.3 * r : r;
    } else if (last && p.bytes < last.bytes) {
      row.rate = 0;
    }
    if (!last || p.bytes !== last.bytes) row.last = { bytes: p.bytes, at: now };
  }

  async function loadHistory(mac, row) {
    const res = await fetch('/api/phones/' + mac + '/history', { credentials: 'same-origin' });
    const td = row.hist.firstChild;
    td.replaceChildren();
    if (!res.ok) { td.appendChild(el('p', 'msg err', 'history: ' + (await res.text()))); return; }
    const events = await res.json();
    const ol = el('ol');
    for (const e of events) {
      const li = el('li');
      li.appendChild(el('time', '', new Date(e.at).toLocaleTimeString()));
      li.appendChild(document.createTextNode(e.kind + (e.detail ? ': ' + e.detail : '') + ' [' + e.stage + ']'));
      ol.appendChild(li);
    }
    if (!events.length) ol.appendChild(el('li', 'muted', 'no history recorded'));
    td.appendChild(el('h2', '', 'History of ' + mac));
    td.appendChild(ol);
  }

  function newRow(mac) {
    const tr = el('tr', 'phone');
    tr.id = 'row-' + mac;
    const hist = el('tr', 'history');
    hist.hidden = true;
    const td = el('td', 'history');
    td.colSpan = 9;
    hist.appendChild(td);
    const row = { tr, hist, last: null, rate: 0, since: '' };
    tr.addEventListener('click', () => {
      hist.hidden = !hist.hidden;
      if (!hist.hidden) loadHistory(mac, row);
    });
    return row;
  }

  // A done phone with a warning (no account, not registered, a long
  // password) is not shown as plainly done.
  const warned = (p) => p.stage === 'done' && (!!p.reason || (!!p.result && p.result !== 'done'));

  // registration says where the phone registered and when, and what
  // became of asking it to re-read its config.
  function registration(td, p) {
    const r = p.registration;
    if (r) {
      let text = r.text;
      if (r.at && r.state !== 'not-checked') text += ' at ' + clock(r.at);
      td.appendChild(el('div', 'reg ' + r.state, text));
    }
    const c = p.check_sync;
    if (c) {
      let text = 'asked to re-read its config at ' + clock(c.asked) + (c.answer ? ' (' + c.answer + ')' : '');
      text += c.reread ? '; re-read at ' + clock(c.reread) : '; not re-read yet';
      td.appendChild(el('div', 'small sync', text));
    }
  }

  function fill(row, p, serverNow) {
    const tr = row.tr;
    tr.replaceChildren();
    tr.dataset.stage = p.stage;
    const port = cell(tr, 'Port');
    port.textContent = p.port ? String(p.port_index + 1) : '–';
    if (p.port) port.title = p.port;
    cell(tr, 'MAC').appendChild(el('span', 'mac', p.mac));
    cell(tr, 'Model').textContent = p.model || '?';
    const st = cell(tr, 'Stage');
    const cls = p.stage + (warned(p) ? ' warn' : '');
    st.appendChild(el('span', 'stage ' + cls, p.stage));
    if (p.reason && !(p.registration && p.registration.text === p.reason)) st.appendChild(el('div', 'reason ' + cls, p.reason));
    const loads = cell(tr, 'Load');
    loads.textContent = p.load || '?';
    if (p.load && p.load !== p.target) loads.title = 'ends on ' + p.target;
    progress(cell(tr, 'Progress'), p, row);
    registration(cell(tr, 'Registration'), p);
    cell(tr, 'Since').textContent = dur(serverNow - Date.parse(p.since));
    const b = cell(tr, '');
    b.className = 'buttons';
    if (loggedIn) {
      if (p.port) b.appendChild(button('power-cycle', '', '/api/ports/' + encodeURIComponent(p.port) + '/power-cycle', 'Power-cycle port ' + p.port + '? Every phone on it restarts.'));
      if (p.stage === 'failed' || p.stage === 'needs-reset') b.appendChild(button('retry', '', '/api/phones/' + p.mac + '/retry'));
      b.appendChild(button('forget', 'danger', '/api/phones/' + p.mac + '/forget', 'Forget ' + p.mac + '? Its history stays in the journal.'));
    }
    if (!row.hist.hidden && row.since !== p.since) loadHistory(p.mac, row);
    row.since = p.since;
  }

  function render(u) {
    const serverNow = Date.parse(u.now);
    const seen = new Set();
    for (const p of u.phones) {
      seen.add(p.mac);
      let row = rows.get(p.mac);
      if (!row) { row = newRow(p.mac); rows.set(p.mac, row); }
      rate(row, p, serverNow);
      fill(row, p, serverNow);
      tbody.appendChild(row.tr); // keeps the server's order
      tbody.appendChild(row.hist);
    }
    for (const [mac, row] of rows) {
      if (!seen.has(mac)) { row.tr.remove(); row.hist.remove(); rows.delete(mac); }
    }
    document.getElementById('empty').hidden = u.phones.length > 0;
    document.getElementById('summary').textContent = u.summary.text;
    document.getElementById('target').textContent = u.summary.target;
  }

  async function loadFirmware() {
    const ul = document.getElementById('loads');
    const res = await fetch('/api/firmware', { credentials: 'same-origin' });
    ul.replaceChildren();
    if (!res.ok) { ul.appendChild(el('li', 'muted', (await res.text()).trim())); return; }
    const fw = await res.json();
    for (const l of fw.loads) {
      ul.appendChild(el('li', '', l.name + ' (' + l.protocol + ' ' + l.release + ', ' + l.files.length + ' files, ' + bytes(l.files.reduce((n, f) => n + f.size, 0)) + ')'));
    }
    if (!fw.loads.length) ul.appendChild(el('li', 'muted', 'no firmware imported yet'));
  }

  function upload(id, url, after) {
    const form = document.getElementById(id);
    if (!form) return;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      show('uploading…', true);
      try {
        if (await post(url, new FormData(form))) { form.reset(); if (after) after(); }
      } catch (e) { show('upload failed: ' + e, false); }
    });
  }
  upload('fw-form', '/api/firmware', loadFirmware);
  upload('acct-form', '/api/accounts');

  const es = new EventSource('/events');
  es.addEventListener('open', () => { conn.textContent = 'live'; conn.className = 'conn live'; });
  es.addEventListener('error', () => { conn.textContent = 'reconnecting…'; conn.className = 'conn'; });
  es.addEventListener('phones', (e) => render(JSON.parse(e.data)));
  es.addEventListener('frame', () => { oled.src = '/oled.png?t=' + Date.now(); });
  oled.addEventListener('error', () => { oled.parentElement.hidden = true; });
  oled.addEventListener('load', () => { oled.parentElement.hidden = false; });
  loadFirmware();
})();
