// The jobs table: a row per job, updated in place (a cell is rewritten only when it changed),
// jobs that have not ended first, newest first within each group, filtered by the box above it.
// A click on a job's name opens its detail row (job_detail.js); only open, shown jobs have their
// details fetched on a refresh.
'use strict';
const TERMINAL = new Set(['FINISHED', 'CANCELED', 'FAILED']);
const jobRows = new Map();  // jid → its <tr>
const openJobs = new Set();
let jobList = [];  // the last /jobs/overview answer

function jobOrder(a, b) {
  const ended = TERMINAL.has(a.state) - TERMINAL.has(b.state);
  return ended || b['start-time'] - a['start-time'] || (a.jid < b.jid ? -1 : 1);
}

function jobMatches(job, filter) {
  return !filter || [job.name, job.state, job.jid].some(s => s.toLowerCase().includes(filter));
}

function jobCells(j) {
  const id = esc(j.jid);
  return [
    `<a href="#" data-action="toggle" data-job="${id}">${esc(j.name)}</a>`,
    id,
    `<span class="state state-${esc(j.state)}">${esc(j.state)}</span>`,
    esc(time(j['start-time'])),
    esc(dur(j.duration)),
    `${j.tasks.running}/${j.tasks.total} running`,
    TERMINAL.has(j.state) ? '' :
      `<button class="cancel" data-action="cancel" data-job="${id}">Cancel</button>`,
  ];
}

// Draws the table from `jobList` and the filter; returns the jobs shown.
function renderJobs() {
  const filter = $('job-filter').value.trim().toLowerCase();
  const shown = jobList.filter(j => jobMatches(j, filter)).sort(jobOrder);
  const rows = [];
  for (const j of shown) {
    rows.push(keyedRow(jobRows, j.jid, 'job', jobCells(j)));
    if (openJobs.has(j.jid)) rows.push(detailOf(j.jid).tr);
  }
  const known = new Set(jobList.map(j => j.jid));
  placeRows($('jobs').tBodies[0], rows, jobRows, known);
  forgetDetails(known);
  setText($('job-count'), (shown.length === jobList.length ? '' : `${shown.length} of `) +
          `${jobList.length} jobs`);
  return shown;
}

async function refreshJobs() {
  jobList = (await get('/jobs/overview')).jobs;
  const shown = renderJobs();
  await Promise.all(shown.filter(j => openJobs.has(j.jid)).map(j => refreshDetail(j.jid)));
}

// One line about an operation on a job: in its detail row when open, else above the table.
function report(id, text, error) {
  const el = (openJobs.has(id) && details.get(id)?.result) || $('message');
  el.className = el === $('message') ? '' : 'op-result';
  if (error) el.classList.add('error');
  el.textContent = text;
}

async function cancelJob(id) {
  report(id, 'cancelling ' + id);
  try {
    await call('PATCH', '/jobs/' + id + '?mode=cancel');
    report(id, 'cancelled ' + id);
    refresh();
  } catch (err) {
    report(id, err.message, true);
  }
}

// Savepoint, stop and rescale: Flink's trigger, then its status polled until COMPLETED.
async function operation(id, what, path, kind, body) {
  report(id, what + ' of ' + id + '…');
  try {
    const r = body ? await call('POST', '/jobs/' + id + path, JSON.stringify(body),
                                'application/json')
                   : await call('PATCH', '/jobs/' + id + path);
    for (;;) {
      await new Promise(f => setTimeout(f, 500));
      const s = await get('/jobs/' + id + '/' + kind + '/' + r['request-id']);
      if (s.status.id !== 'COMPLETED') continue;
      const op = s.operation || {};
      const failure = op['failure-cause'];
      if (failure) report(id, what + ' failed: ' + failure['stack-trace'], true);
      else report(id, what + ' done' + (op.location ? ': ' + op.location : ''));
      return refresh();
    }
  } catch (err) {
    report(id, err.message, true);
  }
}

// One listener for the rows the refresh updates (no inline handlers: names there resolve against
// the element and the document first).
$('jobs').addEventListener('click', e => {
  const a = e.target.closest('[data-action]');
  if (!a) return;
  e.preventDefault();
  const id = a.dataset.job;
  switch (a.dataset.action) {
    case 'toggle':
      if (openJobs.has(id)) openJobs.delete(id); else openJobs.add(id);
      renderJobs();
      if (openJobs.has(id)) refreshDetail(id);
      return;
    case 'cancel': return cancelJob(id);
    case 'savepoint': return operation(id, 'savepoint', '/savepoints', 'savepoints', {});
    case 'stop': return operation(id, 'stop', '/stop', 'savepoints', {drain: false});
    case 'rescale': {
      const n = rescaleTo[id] ?? a.parentElement.querySelector('.rescale-to').value;
      return operation(id, 'rescale to ' + n, '/rescaling?parallelism=' + encodeURIComponent(n),
                       'rescaling');
    }
    case 'tab': return showTab(id, a.dataset.tab);
    case 'vertex':
      openVertex[id] = openVertex[id] === a.dataset.vertex ? null : a.dataset.vertex;
      return refreshDetail(id);
  }
});
// What is typed into a rescale box is kept apart from the box.
$('jobs').addEventListener('input', e => {
  if (e.target.classList.contains('rescale-to')) rescaleTo[e.target.dataset.job] = e.target.value;
});
$('job-filter').addEventListener('input', () => renderJobs());
