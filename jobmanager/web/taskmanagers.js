// The TaskManagers as /taskmanagers lists them: address, data and metrics ports, slots, free
// slots, last heartbeat and hardware; Details shows every field /taskmanagers/ID gives, Log the
// last 200 lines of the TaskManager's log.
'use strict';
const tmRows = new Map();  // TaskManager id → its <tr>
let openTm = null;         // the TaskManager whose details are shown

// cpuCores and physicalMemory as "4 cores, 15.5 GiB"; other figures by name; 0 is unknown.
function hardware(h) {
  return Object.entries(h || {}).filter(([, v]) => v).map(([k, v]) =>
    k === 'cpuCores' ? `${esc(v)} cores` :
    k === 'physicalMemory' ? bytes(v) : `${esc(k)} ${esc(v)}`).join(', ');
}

async function refreshTaskManagers() {
  const tms = (await get('/taskmanagers')).taskmanagers;
  // A column only when some TaskManager has it (metricsPort 0: it serves no /metrics).
  const metrics = tms.some(m => m.metricsPort);
  const hw = tms.some(m => hardware(m.hardware));
  setHtml($('tms').tHead, '<tr><th>id</th><th>address</th><th>data port</th>' +
          (metrics ? '<th>metrics port</th>' : '') + '<th>slots</th><th>free slots</th>' +
          '<th>last heartbeat</th>' + (hw ? '<th>hardware</th>' : '') + '<th></th></tr>');
  const rows = tms.map(m => {
    const id = esc(m.id);
    return keyedRow(tmRows, m.id, 'tm', [
      id, esc(m.path), esc(m.dataPort),
      ...(metrics ? [m.metricsPort ? esc(m.metricsPort) : '-'] : []),
      esc(m.slotsNumber), esc(m.freeSlots),
      `${esc(time(m.timeSinceLastHeartbeat))} (${Math.max(0, Math.round(
        (Date.now() - m.timeSinceLastHeartbeat) / 1000))} s ago)`,
      ...(hw ? [hardware(m.hardware)] : []),
      `<button class="tmdetail" data-tm="${id}">Details</button> ` +
        `<button class="tmlog" data-tm="${id}">Log</button>`]);
  });
  placeRows($('tms').tBodies[0], rows, tmRows, new Set(tms.map(m => m.id)));
  if (openTm != null) await showTaskManager(openTm);
}

// A field of /taskmanagers/ID as HTML: the heartbeat as a time, hardware as in the table.
function fieldValue(name, v) {
  if (name === 'timeSinceLastHeartbeat') return esc(time(v));
  if (name === 'hardware') return hardware(v) || '-';
  return v !== null && typeof v === 'object' ? esc(JSON.stringify(v)) : esc(v);
}

async function showTaskManager(id) {
  let h;
  try {
    const tm = await get('/taskmanagers/' + encodeURIComponent(id));
    h = kvTable('tm-fields', Object.entries(tm).map(([k, v]) => [k, fieldValue(k, v)]));
  } catch (err) {
    h = `<p class="error">${esc(err.message)}</p>`;
  }
  if (openTm === id) setHtml($('tm-detail'), `<h3>TaskManager ${esc(id)}</h3>` + h);
}

$('tms').addEventListener('click', async e => {
  const b = e.target.closest('button[data-tm]');
  if (!b) return;
  const id = b.dataset.tm;
  if (b.classList.contains('tmlog')) {
    const log = await tail('/taskmanagers/' + encodeURIComponent(id) + '/log', 200);
    $('tmlog').textContent = `${id}:\n` + log;
    return;
  }
  openTm = openTm === id ? null : id;
  if (openTm == null) setHtml($('tm-detail'), '');
  else await showTaskManager(id);
});
