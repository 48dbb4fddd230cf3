// The job tabs besides Overview, each drawn from one or two REST answers as Flink's dashboard
// draws them: Checkpoints (/jobs/ID/checkpoints and /checkpoints/config), Exceptions
// (/jobs/ID/exceptions) and Configuration (/jobs/ID/config).
'use strict';

// A 404 (e.g. the checkpoint configuration of a job without checkpointing) as null.
const orNull = promise => promise.catch(e => e.status === 404 ? null : Promise.reject(e));

function checkpointRow(label, c, last) {
  if (!c) return `<tr><th>${label}</th><td colspan="5">none</td></tr>`;
  const at = c.trigger_timestamp ?? c.restore_timestamp;
  return `<tr><th>${label}</th><td>${c.id}</td><td class="time">${esc(time(at))}</td>` +
    `<td class="num">${c.end_to_end_duration == null ? '-' : millis(c.end_to_end_duration)}</td>` +
    `<td class="num">${c.state_size == null ? '-' : bytes(c.state_size)}</td>` +
    `<td>${esc(last ?? '')}</td></tr>`;
}

function summaryRow(label, p, format) {
  const keys = ['min', 'avg', 'p50', 'p90', 'p95', 'p99', 'p999', 'max'];
  return `<tr><th>${label}</th>` + keys.map(k => `<td class="num">${format(p[k])}</td>`).join('') +
    '</tr>';
}

function checkpointConfig(c) {
  if (!c) return '<p class="checkpoint-config">Checkpointing is not enabled for this job.</p>';
  const yes = b => b ? 'yes' : 'no';
  return kvTable('checkpoint-config', [
    ['mode', esc(c.mode)], ['interval', millis(c.interval)], ['timeout', millis(c.timeout)],
    ['max concurrent checkpoints', c.max_concurrent],
    ['externalized', yes(c.externalization.enabled) +
      (c.externalization.enabled ? ', deleted on cancellation: ' +
                                    yes(c.externalization.delete_on_cancellation) : '')],
    ['state backend', esc(c.state_backend)], ['checkpoint storage', esc(c.checkpoint_storage)],
    ['unaligned checkpoints', yes(c.unaligned_checkpoints)],
    ['tolerable failed checkpoints', c.tolerable_failed_checkpoints],
    ['checkpoints after tasks finish', yes(c.checkpoints_after_tasks_finish)]]);
}

async function checkpointsTab(id) {
  const [cp, config] = await Promise.all([get(`/jobs/${id}/checkpoints`),
                                          orNull(get(`/jobs/${id}/checkpoints/config`))]);
  const n = cp.counts, l = cp.latest, s = cp.summary;
  let h = '<h3>Counts</h3><table class="checkpoint-counts"><tr><th>triggered</th>' +
    '<th>in progress</th><th>completed</th><th>failed</th><th>restored</th></tr>' +
    `<tr><td class="num">${n.total}</td><td class="num">${n.in_progress}</td>` +
    `<td class="num">${n.completed}</td><td class="num">${n.failed}</td>` +
    `<td class="num">${n.restored}</td></tr></table>`;
  h += '<h3>Latest</h3><table class="checkpoint-latest"><tr><th></th><th>id</th><th>time</th>' +
    '<th>end to end</th><th>state size</th><th>path or cause</th></tr>' +
    checkpointRow('completed', l.completed, l.completed?.external_path) +
    checkpointRow('savepoint', l.savepoint, l.savepoint?.external_path) +
    checkpointRow('failed', l.failed, l.failed?.failure_message) +
    checkpointRow('restored', l.restored, l.restored &&
                  (l.restored.is_savepoint ? 'savepoint ' : '') + l.restored.external_path) +
    '</table>';
  h += '<h3>Summary</h3>';
  h += n.completed ?
    '<table class="checkpoint-summary"><tr><th></th><th>min</th><th>average</th><th>p50</th>' +
      '<th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th></tr>' +
      summaryRow('end to end duration', s.end_to_end_duration, millis) +
      summaryRow('state size', s.state_size, bytes) + '</table>' :
    '<p>No completed checkpoint yet.</p>';
  h += '<h3>History</h3>';
  h += cp.history.length ?
    '<table class="checkpoint-history"><tr><th>id</th><th>status</th><th>type</th>' +
      '<th>triggered</th><th>latest acknowledgement</th><th>end to end</th><th>state size</th>' +
      '<th>acknowledged</th><th>path or cause</th></tr>' +
      cp.history.map(c =>
        `<tr><td>${c.id}</td><td class="state-${esc(c.status)}">${esc(c.status)}</td>` +
        `<td>${c.is_savepoint ? 'savepoint' : 'checkpoint'}</td>` +
        `<td class="time">${esc(time(c.trigger_timestamp))}</td>` +
        `<td class="time">${esc(time(c.latest_ack_timestamp))}</td>` +
        `<td class="num">${millis(c.end_to_end_duration)}</td>` +
        `<td class="num">${bytes(c.state_size)}</td>` +
        `<td>${c.num_acknowledged_subtasks}/${c.num_subtasks}</td>` +
        `<td>${esc(c.external_path ?? c.failure_message ?? '')}</td></tr>`).join('') +
      '</table>' :
    '<p>No checkpoint yet.</p>';
  return h + '<h3>Configuration</h3>' + checkpointConfig(config);
}

async function exceptionsTab(id) {
  const history = (await get(`/jobs/${id}/exceptions`)).exceptionHistory;
  if (!history.entries.length) return '<p class="exceptions">No exceptions.</p>';
  return '<table class="exceptions"><tr><th>time</th><th>exception</th><th>task</th>' +
    '<th>TaskManager</th></tr>' +
    history.entries.map(e =>
      `<tr><td class="time">${esc(time(e.timestamp))}</td>` +
      `<td><pre class="trace">${esc(e.stacktrace)}</pre></td>` +
      `<td>${esc(e.taskName ?? '-')}</td><td>${esc(e.taskManagerId ?? '-')}` +
      `${e.endpoint ? ' (' + esc(e.endpoint) + ')' : ''}</td></tr>`).join('') +
    '</table>' + (history.truncated ? '<p class="hint">Older exceptions are left out.</p>' : '');
}

async function configTab(id) {
  const c = await get(`/jobs/${id}/config`), e = c['execution-config'];
  const user = Object.entries(e['user-config']).sort(([a], [b]) => a < b ? -1 : 1);
  return kvTable('job-config', [
    ['job id', esc(c.jid)], ['name', esc(c.name)], ['execution mode', esc(e['execution-mode'])],
    ['restart strategy', esc(e['restart-strategy'])],
    ['job parallelism', esc(e['job-parallelism'])]]) +
    '<h3>User configuration</h3>' +
    (user.length ? kvTable('user-config', user.map(([k, v]) => [k, esc(v)]))
                 : '<p class="user-config">No parameters.</p>');
}

const TAB_VIEWS = {overview: overviewTab, checkpoints: checkpointsTab, exceptions: exceptionsTab,
                   config: configTab};
