// What every part of the page uses: elements, HTML escaping, formats, the REST calls (the session
// is an HttpOnly cookie; a 401 shows the login form), and DOM updates that touch only what changed.
'use strict';
const $ = id => document.getElementById(id);

function esc(s) {
  return String(s).replace(/[&<>"']/g, c =>
    ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}

// A job's run time: "42s", "3m 5s", "2h 10m".
function dur(ms) {
  if (ms == null || ms < 0) return '-';
  const s = Math.floor(ms / 1000), m = Math.floor(s / 60), h = Math.floor(m / 60);
  return s < 60 ? s + 's' : m < 60 ? m + 'm ' + s % 60 + 's' : h + 'h ' + m % 60 + 'm';
}
// A short duration given in ms: "850 ms", "1.25 s", "60 s".
function millis(ms) {
  if (ms == null || ms < 0) return '-';
  return ms < 1000 ? Math.round(ms) + ' ms' : +(ms / 1000).toFixed(2) + ' s';
}
function bytes(n) {
  if (n == null || n < 0) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; ++i; }
  return (i ? n.toFixed(1) : Math.round(n)) + ' ' + units[i];
}
// A time (ms since the epoch) in UTC, to the second; 0 or less is "-".
function time(ms) {
  return ms > 0 ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}
function pct(x) { return x == null ? '-' : Math.round(100 * x) + '%'; }

// A table of name → value rows (values are HTML the caller escaped).
function kvTable(cls, rows) {
  return `<table class="kv ${cls}">` +
    rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('') + '</table>';
}

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function call(method, path, body, type) {
  const headers = {'X-EC-Request': '1'};
  if (type) headers['Content-Type'] = type;
  // A request without a body still says so (Content-Length: 0), or a server may wait for one.
  if (body === undefined && method !== 'GET') body = '';
  const r = await fetch(path, {method, headers, body});
  if (r.status === 401) { $('login').hidden = false; throw new HttpError(401, 'log in first'); }
  const text = await r.text();
  let json = {};
  try { json = JSON.parse(text); } catch (e) { /* not JSON: the text is the message */ }
  if (!r.ok) throw new HttpError(r.status, (json.errors || [text || 'HTTP ' + r.status])[0]);
  return json;
}
const get = path => call('GET', path);

// The last `lines` lines of a plain-text answer (a log), or why there are none.
async function tail(path, lines) {
  const r = await fetch(path);
  if (r.status === 401) $('login').hidden = false;
  return r.ok ? (await r.text()).split('\n').slice(-lines).join('\n') : 'HTTP ' + r.status;
}

// Rewrites an element only when its content changed: a refresh that finds nothing new leaves
// the DOM (and what the user is pointing at or selecting) alone.
function setHtml(el, html) {
  if (el.ecHtml !== html) { el.innerHTML = html; el.ecHtml = html; }
}
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

// A table row kept in `cache` by key, made once; each cell rewritten only when its HTML changed.
function keyedRow(cache, key, cls, cells) {
  let tr = cache.get(key);
  if (!tr) {
    tr = document.createElement('tr');
    tr.className = cls;
    tr.dataset.id = key;
    cache.set(key, tr);
  }
  while (tr.cells.length < cells.length) tr.insertCell();
  cells.forEach((html, i) => setHtml(tr.cells[i], html));
  return tr;
}
// Puts `rows` into `tbody` in this order, moving nodes only when the order changed; forgets the
// cached rows of keys not in `keep`.
function placeRows(tbody, rows, cache, keep) {
  if (rows.length !== tbody.rows.length || rows.some((tr, i) => tbody.rows[i] !== tr)) {
    tbody.replaceChildren(...rows);
  }
  for (const key of [...cache.keys()]) if (!keep.has(key)) cache.delete(key);
}
