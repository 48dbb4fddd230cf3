// The page's start: the cluster overview in the header, the login form, the JobManager's log,
// and the refresh every 2 s (one at a time: a refresh asked for while one runs follows it).
'use strict';
let refreshing = null, refreshAgain = false;

async function refreshOverview() {
  const o = await get('/overview');
  setText($('overview'), `${o.taskmanagers} task managers, ${o['slots-available']} of ` +
          `${o['slots-total']} slots free, ${o['jobs-running']} running, ${o['jobs-finished']} ` +
          `finished, ${o['jobs-cancelled']} canceled, ${o['jobs-failed']} failed`);
}

async function refreshOnce() {
  try {
    await Promise.all([refreshOverview(), refreshJobs(), refreshTaskManagers()]);
    setText($('connection'), '');
  } catch (err) {
    setText($('connection'), err.status === 401 ? '' : 'not up to date: ' + err.message);
  }
}

function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        refreshAgain = false;
        await refreshOnce();
      } while (refreshAgain);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

$('login').addEventListener('submit', async e => {
  e.preventDefault();
  const headers = {'Content-Type': 'application/json', 'X-EC-Request': '1'};
  const r = await fetch('/login', {method: 'POST', headers,
                                   body: JSON.stringify({token: $('token').value})});
  $('token').value = '';
  if (r.ok) {
    $('login').hidden = true;
    $('why').textContent = '';
    refresh();
  } else {
    $('why').textContent = (await r.json()).errors[0];
  }
});

$('jmlog-box').addEventListener('toggle', async () => {
  if ($('jmlog-box').open) $('jmlog').textContent = await tail('/jobmanager/log', 200);
});

refresh();
setInterval(() => { if (!refreshing) refresh(); }, 2000);
