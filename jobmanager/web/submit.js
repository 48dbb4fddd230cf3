// "Submit New Job" as Flink's: the chosen job file is read here first and its parameters shown
// with their defaults; a changed one becomes a `--name value` program argument, before those typed
// into the free box (the later --key wins, as in `ecctl submit`, so the box wins). A file that is
// not a JSON object is refused here, before any upload. The upload is deleted once run: the page
// does not offer it again.
'use strict';
let jobFile = null;  // {file, spec} of the chosen file once it parsed
const paramDefaults = new Map();  // parameter name → its default, as the file gives it

const isSecret = name => /password|secret|token/i.test(name);

function fileProblem(text) {
  $('jobfile-info').className = 'error';
  $('jobfile-info').textContent = text;
}

function showParams(params) {
  paramDefaults.clear();
  const rows = Object.entries(params).map(([name, value], i) => {
    const def = value == null ? '' :
                typeof value === 'object' ? JSON.stringify(value) : String(value);
    paramDefaults.set(name, def);
    const shown = isSecret(name) && def ? '******' : def;
    return `<tr><th><label for="param-${i}">${esc(name)}</label></th><td><input id="param-${i}" ` +
      `class="param" type="${isSecret(name) ? 'password' : 'text'}" autocomplete="off" ` +
      `data-name="${esc(name)}" value="${esc(def)}"></td>` +
      `<td class="default">${esc(shown)}</td></tr>`;
  });
  $('params').tBodies[0].innerHTML = rows.join('');
  $('params').hidden = rows.length === 0;
}

$('jobfile').addEventListener('change', async () => {
  jobFile = null;
  showParams({});
  $('jobfile-info').className = 'hint';
  $('jobfile-info').textContent = '';
  $('submit-result').textContent = '';
  const file = $('jobfile').files[0];
  if (!file) return;
  let spec;
  try {
    spec = JSON.parse(await file.text());
  } catch (err) {
    return fileProblem(`${file.name} is not valid JSON: ${err.message}`.replace(/\s+/g, ' '));
  }
  if ($('jobfile').files[0] !== file) return;  // another file was chosen meanwhile
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    return fileProblem(`${file.name}: expected a JSON object (a job file)`);
  }
  const params = spec.parameters ?? {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    return fileProblem(`${file.name}: parameters: expected an object of names and defaults`);
  }
  jobFile = {file, spec};
  $('jobfile-info').textContent = (typeof spec.name === 'string' ? spec.name : file.name) +
    (typeof spec.description === 'string' ? ': ' + spec.description : '');
  $('parallelism').placeholder = spec.parallelism ?? '';
  showParams(params);
});

$('params').addEventListener('input', e => {
  const input = e.target.closest('input.param');
  if (input) {
    input.closest('tr').classList.toggle('changed',
                                         input.value !== paramDefaults.get(input.dataset.name));
  }
});

// The changed parameters as --name value, then the free box's arguments (which win).
function programArgs() {
  const args = [];
  for (const input of $('params').querySelectorAll('input.param')) {
    if (input.value !== paramDefaults.get(input.dataset.name)) {
      args.push('--' + input.dataset.name, input.value);
    }
  }
  return args.concat($('args').value.split(/\s+/).filter(a => a));
}

$('submit').addEventListener('submit', async e => {
  e.preventDefault();
  const out = $('submit-result');
  out.className = '';
  out.textContent = '';
  let upload = null;
  try {
    if (!jobFile) {
      throw new Error($('jobfile').files[0] ? 'the chosen file is not a job file (see above)'
                                            : 'choose a job file');
    }
    const form = new FormData();
    form.append('jarfile', jobFile.file, jobFile.file.name);
    upload = (await call('POST', '/jars/upload', form)).filename;
    const run = {programArgsList: programArgs(),
                 allowNonRestoredState: $('allow-non-restored').checked};
    if ($('parallelism').value) run.parallelism = Number($('parallelism').value);
    if ($('savepoint').value.trim()) run.savepointPath = $('savepoint').value.trim();
    const job = await call('POST', `/jars/${encodeURIComponent(upload)}/run`, JSON.stringify(run),
                           'application/json');
    out.textContent = 'submitted job ' + job.jobid;
    refresh();
  } catch (err) {
    out.className = 'error';
    out.textContent = err.message;
  } finally {
    if (upload) call('DELETE', '/jars/' + encodeURIComponent(upload)).catch(() => {});
  }
});
