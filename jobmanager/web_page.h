// The JobManager's web UI: one self-contained page (no CDN, no download at run time) served at
// "/" on the REST port, built on the Flink-shaped REST API alone, like Flink's dashboard.
#pragma once

namespace ec {

inline constexpr const char* kWebPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EventCluster</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222}
header{background:#1f2d3d;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:baseline}
header h1{font-size:20px;margin:0}header span{font-size:14px;opacity:.9}
main{padding:10px 20px}section{margin-bottom:24px}h2{font-size:17px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f4f6f8}button{cursor:pointer}.state-RUNNING{color:#1a7f37}.state-FAILED{color:#c62828}
.state-CANCELED,.state-CANCELLING{color:#8a6d00}#why,#submit-result{margin-left:8px}
.detail td{background:#fafbfc}input[type=text]{width:36em}
</style></head>
<body>
<header><h1>EventCluster</h1><span id="overview"></span></header>
<main>
<form id="login" style="display:none">Token: <input id="token" type="password" autocomplete="off">
<button>Log in</button><span id="why"></span></form>
<section><h2>Running and finished jobs</h2><table id="jobs"></table></section>
<section><h2>Submit new job</h2>
<form id="submit">
<p>Job file: <input id="jobfile" type="file" accept=".json,application/json"></p>
<p>Program arguments: <input id="args" type="text" placeholder="--hostname 10.0.0.5 --port 9999 --kafka-topic events_processed"></p>
<p>Parallelism: <input id="parallelism" type="number" min="1" style="width:5em">
<button id="run">Submit</button><span id="submit-result"></span></p>
</form></section>
<section><h2>Task Managers</h2><table id="tms"></table></section>
<section><h2>Job Manager log</h2><details id="jmlog-box"><summary>The last 200 lines</summary>
<pre id="jmlog"></pre></details></section>
</main>
<script>
const $=id=>document.getElementById(id);
const open_=new Set();
function esc(s){return String(s).replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]))}
function dur(ms){if(ms<0)return '-';const s=Math.floor(ms/1000);return s<60?s+'s':Math.floor(s/60)+'m '+s%60+'s'}
async function call(method,path,body,type){
  const headers={'X-EC-Request':'1'};if(type)headers['Content-Type']=type;
  // A request without a body still says so (Content-Length: 0), or a server may wait for one.
  if(body===undefined&&method!='GET')body='';
  const r=await fetch(path,{method,headers,body});
  if(r.status==401){$('login').style.display='block';throw new Error('log in first')}
  const text=await r.text();let json={};try{json=JSON.parse(text)}catch(e){}
  if(!r.ok)throw new Error((json.errors||[text])[0]);
  return json}
const get=path=>call('GET',path);
$('jmlog-box').ontoggle=async()=>{if(!$('jmlog-box').open)return;
  const r=await fetch('/jobmanager/log');
  $('jmlog').textContent=r.ok?(await r.text()).split('\n').slice(-200).join('\n'):'HTTP '+r.status};
$('login').onsubmit=async e=>{e.preventDefault();
  const r=await fetch('/login',{method:'POST',headers:{'Content-Type':'application/json','X-EC-Request':'1'},
    body:JSON.stringify({token:$('token').value})});
  $('token').value='';
  if(r.ok){$('login').style.display='none';$('why').textContent='';refresh()}
  else $('why').textContent=(await r.json()).errors[0]};
$('submit').onsubmit=async e=>{e.preventDefault();$('submit-result').textContent='';
  try{const file=$('jobfile').files[0];if(!file)throw new Error('choose a job file');
    const form=new FormData();form.append('jarfile',file,file.name);
    const up=await call('POST','/jars/upload',form);
    const run={programArgsList:$('args').value.split(/\s+/).filter(a=>a)};
    if($('parallelism').value)run.parallelism=Number($('parallelism').value);
    const job=await call('POST','/jars/'+up.filename.split('/').pop()+'/run',JSON.stringify(run),'application/json');
    $('submit-result').textContent='submitted job '+job.jobid;refresh()}
  catch(err){$('submit-result').textContent=err.message}};
async function cancelJob(id){$('submit-result').textContent='cancelling '+id;
  try{await call('PATCH','/jobs/'+id+'?mode=cancel');$('submit-result').textContent='cancelled '+id;refresh()}
  catch(err){$('submit-result').textContent=err.message}}
function toggleJob(id){open_.has(id)?open_.delete(id):open_.add(id);refresh()}
// One listener for the table the refresh redraws (no inline handlers: names there resolve
// against the element and the document first).
$('jobs').addEventListener('click',e=>{const a=e.target.closest('[data-action]');if(!a)return;
  e.preventDefault();if(a.dataset.action=='cancel')cancelJob(a.dataset.job);else toggleJob(a.dataset.job)});
async function detail(id){
  const [job,cps,exc]=await Promise.all([get('/jobs/'+id),get('/jobs/'+id+'/checkpoints'),get('/jobs/'+id+'/exceptions')]);
  let h='<table class="vertices"><tr><th>vertex</th><th>parallelism</th><th>status</th><th>records received</th><th>records sent</th><th>bytes received</th><th>bytes sent</th></tr>';
  for(const v of job.vertices)h+=`<tr><td>${esc(v.name)}</td><td>${v.parallelism}</td><td class="state-${esc(v.status)}">${esc(v.status)}</td><td>${v.metrics['read-records']}</td><td>${v.metrics['write-records']}</td><td>${v.metrics['read-bytes']}</td><td>${v.metrics['write-bytes']}</td></tr>`;
  h+='</table><table class="operators"><tr><th>operator</th><th>records in</th><th>records out</th><th>dead letters</th></tr>';
  for(const o of job.operators)h+=`<tr><td>${esc(o.name)}</td><td class="records-in">${o.records_in}</td><td>${o.records_out}</td><td>${o.records_dead_letter}</td></tr>`;
  const c=cps.counts,l=cps.latest.completed;
  h+=`</table><p class="checkpoints">Checkpoints: ${c.completed} completed, ${c.failed} failed`+(l?`; latest ${l.id} took ${l.end_to_end_duration} ms, ${l.state_size} bytes`:'')+'</p>';
  const ex=exc.exceptionHistory.entries;
  if(ex.length){h+='<p>Exceptions:</p><ul class="exceptions">';for(const e of ex)h+=`<li>${new Date(e.timestamp).toISOString()}: ${esc(e.stacktrace)}</li>`;h+='</ul>'}
  return h}
async function refresh(){
  const o=await get('/overview');
  $('overview').textContent=`${o.taskmanagers} task managers, ${o['slots-available']} of ${o['slots-total']} slots free, ${o['jobs-running']} running, ${o['jobs-finished']} finished, ${o['jobs-cancelled']} canceled, ${o['jobs-failed']} failed`;
  const jobs=(await get('/jobs/overview')).jobs;
  let h='<tr><th>job</th><th>id</th><th>state</th><th>started</th><th>duration</th><th>tasks</th><th></th></tr>';
  for(const j of jobs){
    const ended=['FINISHED','CANCELED','FAILED'].includes(j.state);
    h+=`<tr class="job" data-id="${esc(j.jid)}"><td><a href="#" data-action="toggle" data-job="${esc(j.jid)}">${esc(j.name)}</a></td><td>${esc(j.jid)}</td><td class="state state-${esc(j.state)}">${esc(j.state)}</td><td>${new Date(j['start-time']).toISOString()}</td><td>${dur(j.duration)}</td><td>${j.tasks.running}/${j.tasks.total} running</td><td>${ended?'':`<button class="cancel" data-action="cancel" data-job="${esc(j.jid)}">Cancel</button>`}</td></tr>`;
    if(open_.has(j.jid))h+=`<tr class="detail"><td colspan="7">${await detail(j.jid)}</td></tr>`}
  $('jobs').innerHTML=h;
  let t='<tr><th>id</th><th>address</th><th>data port</th><th>slots</th><th>free</th><th>last heartbeat</th></tr>';
  for(const m of (await get('/taskmanagers')).taskmanagers)t+=`<tr><td>${esc(m.id)}</td><td>${esc(m.path)}</td><td>${m.dataPort}</td><td>${m.slotsNumber}</td><td>${m.freeSlots}</td><td>${m.timeSinceLastHeartbeat} ms ago</td></tr>`;
  $('tms').innerHTML=t}
refresh().catch(()=>{});setInterval(()=>refresh().catch(()=>{}),2000);
</script></body></html>)html";

}  // namespace ec
