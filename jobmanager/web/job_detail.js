// A job's detail row with Flink's tabs: Overview (the graph, the clicked vertex's subtasks, the
// vertices and operators), Checkpoints, Exceptions and Configuration (job_tabs.js). A refresh
// fetches only what the open tab shows and rewrites a part only when its HTML changed; the tab,
// the clicked vertex and a typed parallelism outlive it.
'use strict';
const jobTab = {}, openVertex = {}, rescaleTo = {};
const details = new Map();  // jid → {tr, ops, result, tabs, body, running, parallelism, seq}
const TABS = [['overview', 'Overview'], ['checkpoints', 'Checkpoints'],
              ['exceptions', 'Exceptions'], ['config', 'Configuration']];

function detailOf(id) {
  let d = details.get(id);
  if (d) return d;
  const tr = document.createElement('tr');
  tr.className = 'detail';
  tr.dataset.job = id;
  tr.innerHTML = `<td colspan="7"><p class="ops"><span class="buttons"></span>` +
    `<span class="op-result"></span></p><nav class="tabs">` +
    TABS.map(([tab, label]) => `<button type="button" data-action="tab" data-tab="${tab}" ` +
             `data-job="${esc(id)}">${label}</button>`).join('') +
    `</nav><div class="tab-body"></div></td>`;
  d = {tr, ops: tr.querySelector('.ops .buttons'), result: tr.querySelector('.op-result'),
       tabs: tr.querySelector('.tabs'), body: tr.querySelector('.tab-body'), running: null,
       parallelism: null, seq: 0};
  details.set(id, d);
  markTab(id);
  return d;
}

// Forgets the details of jobs the JobManager no longer lists.
function forgetDetails(known) {
  for (const id of [...details.keys()]) if (!known.has(id)) details.delete(id);
}

function markTab(id) {
  const tab = jobTab[id] ?? 'overview';
  for (const b of details.get(id).tabs.children) {
    b.classList.toggle('active', b.dataset.tab === tab);
  }
}

function showTab(id, tab) {
  jobTab[id] = tab;
  markTab(id);
  return refreshDetail(id);
}

// Savepoint, stop and rescale for a running job; drawn again only when it starts or stops running
// (a redraw would lose what is being typed into the parallelism box).
function renderOps(id, d, state) {
  const running = state === 'RUNNING';
  if (d.running !== running) {
    d.running = running;
    const j = esc(id);
    d.ops.innerHTML = running ?
      `<button data-action="savepoint" data-job="${j}">Savepoint</button>` +
      `<button data-action="stop" data-job="${j}">Stop with savepoint</button>` +
      `Parallelism <input class="rescale-to" type="number" min="1" style="width:4em" ` +
      `data-job="${j}">` +
      `<button data-action="rescale" data-job="${j}">Rescale</button>` : '';
  }
  const box = d.ops.querySelector('.rescale-to');
  const value = String(rescaleTo[id] ?? d.parallelism ?? '');
  if (box && box !== document.activeElement && box.value !== value) box.value = value;
}

async function refreshDetail(id) {
  const job = jobList.find(j => j.jid === id);
  if (!job || !openJobs.has(id)) return;
  const d = detailOf(id), tab = jobTab[id] ?? 'overview', seq = ++d.seq;
  let html;
  try {
    html = await TAB_VIEWS[tab](id, d);
    // The rescale box starts at the job's parallelism, known once its graph was read.
    if (d.parallelism == null && job.state === 'RUNNING') {
      jobParallelism(d, await get('/jobs/' + id));
    }
  } catch (err) {
    html = `<p class="error">${esc(err.message)}</p>`;
  }
  if (seq !== d.seq) return;  // a newer refresh of this job (another tab, say) is under way
  renderOps(id, d, job.state);
  d.body.dataset.tab = tab;
  setHtml(d.body, html);
}

function jobParallelism(d, job) {
  if (job.vertices.length) d.parallelism = job.vertices[job.vertices.length - 1].parallelism;
}

// The job's graph as Flink's dashboard draws it: a box per vertex, left to right by depth, arrows
// from its inputs labelled with their ship strategy; a box is coloured by how busy its subtasks
// were (blue idle to red busy, grey when back-pressured most) and shows its records in and out.
function busyColor(m) {
  const busy = m['accumulated-busy-time'], bp = m['accumulated-backpressured-time'];
  const total = busy + bp + m['accumulated-idle-time'];
  if (!total) return '#e8eef5';
  if (bp / total > 0.1 && bp > busy) return '#9e9e9e';
  const r = busy / total;
  return `hsl(${Math.round(210 * (1 - r))},70%,${Math.round(88 - 30 * r)}%)`;
}

function graph(job) {
  const W = 190, H = 64, GX = 80, GY = 24, depth = {}, row = {}, perDepth = {}, vs = {};
  for (const v of job.vertices) vs[v.id] = v;
  for (const n of job.plan.nodes) {
    depth[n.id] = Math.max(0, ...(n.inputs || []).map(i => (depth[i.id] ?? -1) + 1));
    row[n.id] = perDepth[depth[n.id]] = (perDepth[depth[n.id]] ?? -1) + 1;
  }
  const x = id => 10 + depth[id] * (W + GX), y = id => 10 + row[id] * (H + GY);
  const cols = Math.max(0, ...Object.values(depth)) + 1;
  const rows = Math.max(0, ...Object.values(perDepth)) + 1;
  let g = `<svg class="graph" width="${cols * (W + GX)}" height="${rows * (H + GY) + 10}"><defs>` +
    `<marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto">` +
    `<path d="M0,0 L8,4 L0,8 z" fill="#1f2d3d"/></marker></defs>`;
  for (const n of job.plan.nodes) {
    for (const i of n.inputs || []) {
      const x1 = x(i.id) + W, y1 = y(i.id) + H / 2, x2 = x(n.id), y2 = y(n.id) + H / 2;
      g += `<line x1="${x1}" y1="${y1}" x2="${x2 - 2}" y2="${y2}" stroke="#1f2d3d" ` +
        `marker-end="url(#arrow)"/>` +
        `<text class="ship" x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 6}" ` +
        `text-anchor="middle">${esc(i.ship_strategy)}</text>`;
    }
  }
  // Records into the chain's first operator and out of its last (a vertex's network metrics are
  // 0 for a whole job in one chain, as in Flink).
  const ops = {};
  for (const o of job.operators || []) ops[o.name] = o;
  const io = v => {
    const names = v.name.split(' -> '), first = ops[names[0]], last = ops[names[names.length - 1]];
    return first && last ? [first.records_in, last.records_out]
                         : [v.metrics['read-records'], v.metrics['write-records']];
  };
  for (const n of job.plan.nodes) {
    const v = vs[n.id], [rin, rout] = io(v), sel = openVertex[job.jid] === n.id;
    const name = v.name.length > 26 ? v.name.slice(0, 25) + '…' : v.name;
    const left = x(n.id), top = y(n.id);
    g += `<g class="vertex${sel ? ' selected' : ''}" data-action="vertex" ` +
      `data-job="${esc(job.jid)}" data-vertex="${esc(n.id)}"><title>${esc(v.name)}</title>` +
      `<rect x="${left}" y="${top}" width="${W}" height="${H}" rx="6" ` +
      `fill="${busyColor(v.metrics)}"/>` +
      `<text x="${left + 8}" y="${top + 17}" font-weight="bold">${esc(name)}</text>` +
      `<text x="${left + 8}" y="${top + 35}">parallelism ${v.parallelism} · ` +
      `${esc(v.status)}</text><text class="records" x="${left + 8}" y="${top + 53}">` +
      `in ${rin} · out ${rout}</text></g>`;
  }
  return g + '</svg>';
}

async function subtasks(id, vid) {
  const [v, bp, wm] = await Promise.all([get(`/jobs/${id}/vertices/${vid}`),
                                         get(`/jobs/${id}/vertices/${vid}/backpressure`),
                                         get(`/jobs/${id}/vertices/${vid}/watermarks`)]);
  // Flink's watermark ids are "<subtask>.<metric>"; the value is event time in ms.
  const marks = new Map(wm.map(w => [Number(w.id.split('.')[0]), Number(w.value)]));
  const when = ms => { const d = new Date(ms); return isNaN(d) ? String(ms) : d.toISOString(); };
  let h = `<table class="subtasks"><caption>${esc(v.name)}: subtasks</caption>` +
    '<tr><th>subtask</th>' +
    '<th>status</th><th>TaskManager</th><th>records in</th><th>records out</th><th>bytes in</th>' +
    '<th>bytes out</th><th>busy</th><th>idle</th><th>back-pressured</th><th>watermark</th></tr>';
  const ratios = new Map(bp.subtasks.map(s => [s.subtask, s]));
  for (const s of v.subtasks) {
    const b = ratios.get(s.subtask) || {}, m = s.metrics;
    h += `<tr><td>${s.subtask}</td><td class="state-${esc(s.status)}">${esc(s.status)}</td>` +
      `<td>${esc(s['taskmanager-id'])} (${esc(s.endpoint)})</td>` +
      `<td class="num">${m['read-records']}</td>` +
      `<td class="num">${m['write-records']}</td><td class="num">${bytes(m['read-bytes'])}</td>` +
      `<td class="num">${bytes(m['write-bytes'])}</td><td>${pct(b.busyRatio)}</td>` +
      `<td>${pct(b.idleRatio)}</td><td>${pct(b.ratio)}</td>` +
      `<td>${marks.has(s.subtask) ? esc(when(marks.get(s.subtask))) : '-'}` +
      '</td></tr>';
  }
  return h + '</table>';
}

async function overviewTab(id, d) {
  const vertex = openVertex[id];
  const [job, sub] = await Promise.all([
    get('/jobs/' + id),
    vertex == null ? '' :
      subtasks(id, vertex).catch(e => `<p class="error">${esc(e.message)}</p>`)]);
  jobParallelism(d, job);
  let h = graph(job) + sub + '<table class="vertices"><tr><th>vertex</th><th>parallelism</th>' +
    '<th>status</th><th>records received</th><th>records sent</th><th>bytes received</th>' +
    '<th>bytes sent</th></tr>';
  for (const v of job.vertices) {
    const m = v.metrics;
    h += `<tr><td>${esc(v.name)}</td><td>${v.parallelism}</td><td class="state-${esc(v.status)}">` +
      `${esc(v.status)}</td><td class="num">${m['read-records']}</td><td class="num">` +
      `${m['write-records']}</td><td class="num">${bytes(m['read-bytes'])}</td><td class="num">` +
      `${bytes(m['write-bytes'])}</td></tr>`;
  }
  h += '</table><table class="operators"><tr><th>operator</th><th>records in</th>' +
    '<th>records out</th><th>dead letters</th></tr>';
  for (const o of job.operators) {
    h += `<tr><td>${esc(o.name)}</td><td class="num records-in">${o.records_in}</td>` +
      `<td class="num">${o.records_out}</td><td class="num">${o.records_dead_letter}</td></tr>`;
  }
  return h + '</table>';
}
