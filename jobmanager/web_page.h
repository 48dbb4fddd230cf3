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
svg.graph{display:block;margin:6px 0}svg.graph g.vertex{cursor:pointer}svg.graph text{font-size:12px}
svg.graph rect{stroke:#1f2d3d;stroke-width:1}svg.graph g.selected rect{stroke-width:3}
svg.graph .ship{font-size:11px;fill:#555}.ops button{margin-right:6px}
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
<section><h2>Task Managers</h2><table id="tms"></table><pre id="tmlog"></pre></section>
<section><h2>Job Manager log</h2><details id="jmlog-box"><summary>The last 200 lines</summary>
<pre id="jmlog"></pre></details></section>
</main>
<script>
const $=id=>document.getElementById(id);
const open_=new Set(),openVertex={},rescaleTo={};
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
// A TaskManager's log (its last 200 lines), which the JobManager reads from it.
$('tms').addEventListener('click',async e=>{const b=e.target.closest('button.tmlog');if(!b)return;
  const r=await fetch('/taskmanagers/'+encodeURIComponent(b.dataset.tm)+'/log');
  $('tmlog').textContent=`${b.dataset.tm}:\n`+(r.ok?(await r.text()).split('\n').slice(-200).join('\n'):'HTTP '+r.status)});
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
  e.preventDefault();const id=a.dataset.job;
  switch(a.dataset.action){
    case 'cancel':return cancelJob(id);
    case 'savepoint':return operation(id,'savepoint','/savepoints','savepoints',{});
    case 'stop':return operation(id,'stop','/stop','savepoints',{drain:false});
    // What was typed, even if a refresh redrew the box from a request sent before.
    case 'rescale':{const n=rescaleTo[id]??a.parentElement.querySelector('.rescale-to').value;
      return operation(id,'rescale to '+n,'/rescaling?parallelism='+encodeURIComponent(n),'rescaling')}
    case 'vertex':openVertex[id]=openVertex[id]==a.dataset.vertex?null:a.dataset.vertex;return refresh();
    default:toggleJob(id)}});
// What is typed into a rescale box outlives the refresh that redraws it.
$('jobs').addEventListener('input',e=>{if(e.target.classList.contains('rescale-to'))rescaleTo[e.target.dataset.job]=e.target.value});
// Savepoint, stop and rescale: Flink's trigger, then its status polled until COMPLETED.
async function operation(id,what,path,kind,body){$('submit-result').textContent=what+' of '+id+'…';
  try{const r=body?await call('POST','/jobs/'+id+path,JSON.stringify(body),'application/json'):await call('PATCH','/jobs/'+id+path);
    for(;;){await new Promise(f=>setTimeout(f,500));
      const s=await get('/jobs/'+id+'/'+kind+'/'+r['request-id']);if(s.status.id!='COMPLETED')continue;
      const op=s.operation||{};
      $('submit-result').textContent=op['failure-cause']?what+' failed: '+op['failure-cause']['stack-trace']:what+' done'+(op.location?': '+op.location:'');
      return refresh()}}
  catch(err){$('submit-result').textContent=err.message}}
// The job's graph as Flink's dashboard draws it: a box per vertex, left to right by depth,
// arrows from its inputs labelled with their ship strategy; a box is coloured by how busy its
// subtasks were (blue idle to red busy, grey when back-pressured most) and shows its records
// in and out. A click on a box shows its subtasks below.
function busyColor(m){const busy=m['accumulated-busy-time'],bp=m['accumulated-backpressured-time'];
  const t=busy+bp+m['accumulated-idle-time'];if(!t)return '#e8eef5';
  if(bp/t>0.1&&bp>busy)return '#9e9e9e';
  const r=busy/t;return `hsl(${Math.round(210*(1-r))},70%,${Math.round(88-30*r)}%)`}
function graph(job){
  const W=190,H=64,GX=80,GY=24,depth={},row={},perDepth={},vs={};
  for(const v of job.vertices)vs[v.id]=v;
  for(const n of job.plan.nodes){
    depth[n.id]=Math.max(0,...(n.inputs||[]).map(i=>(depth[i.id]??-1)+1));
    row[n.id]=perDepth[depth[n.id]]=(perDepth[depth[n.id]]??-1)+1}
  const x=id=>10+depth[id]*(W+GX),y=id=>10+row[id]*(H+GY);
  const cols=Math.max(...Object.values(depth))+1,rows=Math.max(...Object.values(perDepth))+1;
  let g=`<svg class="graph" width="${cols*(W+GX)}" height="${rows*(H+GY)+10}"><defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#1f2d3d"/></marker></defs>`;
  for(const n of job.plan.nodes)for(const i of n.inputs||[]){
    const x1=x(i.id)+W,y1=y(i.id)+H/2,x2=x(n.id),y2=y(n.id)+H/2;
    g+=`<line x1="${x1}" y1="${y1}" x2="${x2-2}" y2="${y2}" stroke="#1f2d3d" marker-end="url(#arrow)"/><text class="ship" x="${(x1+x2)/2}" y="${(y1+y2)/2-6}" text-anchor="middle">${esc(i.ship_strategy)}</text>`}
  // Records into the chain's first operator and out of its last (a vertex's network
  // metrics are 0 for a whole job in one chain, as in Flink).
  const ops={};for(const o of job.operators||[])ops[o.name]=o;
  const io=v=>{const names=v.name.split(' -> '),first=ops[names[0]],last=ops[names[names.length-1]];
    return first&&last?[first.records_in,last.records_out]:[v.metrics['read-records'],v.metrics['write-records']]};
  for(const n of job.plan.nodes){const v=vs[n.id],m=v.metrics,sel=openVertex[job.jid]==n.id,[rin,rout]=io(v);
    g+=`<g class="vertex${sel?' selected':''}" data-action="vertex" data-job="${esc(job.jid)}" data-vertex="${esc(n.id)}"><title>${esc(v.name)}</title><rect x="${x(n.id)}" y="${y(n.id)}" width="${W}" height="${H}" rx="6" fill="${busyColor(m)}"/>`+
      `<text x="${x(n.id)+8}" y="${y(n.id)+17}" font-weight="bold">${esc(v.name.length>26?v.name.slice(0,25)+'…':v.name)}</text>`+
      `<text x="${x(n.id)+8}" y="${y(n.id)+35}">parallelism ${v.parallelism} · ${esc(v.status)}</text>`+
      `<text class="records" x="${x(n.id)+8}" y="${y(n.id)+53}">in ${rin} · out ${rout}</text></g>`}
  return g+'</svg>'}
function pct(x){return Math.round(100*x)+'%'}
async function subtasks(id,vid){
  const [v,bp]=await Promise.all([get('/jobs/'+id+'/vertices/'+vid),get('/jobs/'+id+'/vertices/'+vid+'/backpressure')]);
  let h=`<table class="subtasks"><caption>${esc(v.name)}: subtasks</caption><tr><th>subtask</th><th>status</th><th>TaskManager</th><th>records in</th><th>records out</th><th>bytes in</th><th>bytes out</th><th>busy</th><th>idle</th><th>back-pressured</th><th>watermark</th></tr>`;
  for(const s of v.subtasks){const b=bp.subtasks.find(x=>x.subtask==s.subtask)||{},m=s.metrics;
    h+=`<tr><td>${s.subtask}</td><td class="state-${esc(s.status)}">${esc(s.status)}</td><td>${esc(s['taskmanager-id'])} (${esc(s.endpoint)})</td><td>${m['read-records']}</td><td>${m['write-records']}</td><td>${m['read-bytes']}</td><td>${m['write-bytes']}</td><td>${b.busyRatio==null?'-':pct(b.busyRatio)}</td><td>${b.idleRatio==null?'-':pct(b.idleRatio)}</td><td>${b.ratio==null?'-':pct(b.ratio)}</td><td>${m.watermark==null?'-':esc(m.watermark)}</td></tr>`}
  return h+'</table>'}
async function detail(id){
  const [job,cps,exc]=await Promise.all([get('/jobs/'+id),get('/jobs/'+id+'/checkpoints'),get('/jobs/'+id+'/exceptions')]);
  const running=job.state=='RUNNING';
  let h=running?`<p class="ops"><button data-action="savepoint" data-job="${esc(id)}">Savepoint</button><button data-action="stop" data-job="${esc(id)}">Stop with savepoint</button>Parallelism <input class="rescale-to" type="number" min="1" style="width:4em" data-job="${esc(id)}" value="${esc(rescaleTo[id]??job.vertices[job.vertices.length-1].parallelism)}"><button data-action="rescale" data-job="${esc(id)}">Rescale</button></p>`:'';
  h+=graph(job);
  if(openVertex[id]!=null)h+=await subtasks(id,openVertex[id]);
  h+='<table class="vertices"><tr><th>vertex</th><th>parallelism</th><th>status</th><th>records received</th><th>records sent</th><th>bytes received</th><th>bytes sent</th></tr>';
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
  let t='<tr><th>id</th><th>address</th><th>data port</th><th>slots</th><th>free</th><th>last heartbeat</th><th></th></tr>';
  for(const m of (await get('/taskmanagers')).taskmanagers)t+=`<tr><td>${esc(m.id)}</td><td>${esc(m.path)}</td><td>${m.dataPort}</td><td>${m.slotsNumber}</td><td>${m.freeSlots}</td><td>${Math.max(0,Date.now()-m.timeSinceLastHeartbeat)} ms ago</td><td><button class="tmlog" data-tm="${esc(m.id)}">Log</button></td></tr>`;
  $('tms').innerHTML=t}
refresh().catch(()=>{});setInterval(()=>refresh().catch(()=>{}),2000);
</script></body></html>)html";

}  // namespace ec
