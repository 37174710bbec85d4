#include "api/dashboard.h"

namespace ingestd::api {

// Kept self-contained (no external scripts or fonts): the service must work offline.
const std::string_view kDashboardHtml = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ingestd</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;margin-top:1rem}
td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;font-size:13px}
th{background:#f4f4f4}code{font-size:12px}.deadletter{color:#b00}.done{color:#070}
input[type=text]{width:32rem}#msg{margin:.5rem 0;color:#555}
</style></head><body>
<h1>ingestd</h1>
<p>Paste a token (<code>ingestd token --user dev</code>) to see your jobs.</p>
<p><input type="text" id="token" placeholder="Bearer token"> <button id="save">Use token</button></p>
<p><input type="file" id="file" accept="application/pdf"> <button id="upload">Upload PDF</button></p>
<div id="msg"></div>
<table><thead><tr><th>job</th><th>status</th><th>state</th><th>progress</th><th>retries</th>
<th>last error</th><th>correlation id</th><th>updated</th></tr></thead><tbody id="jobs"></tbody></table>
<script>
const $ = id => document.getElementById(id);
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
$('token').value = localStorage.getItem('ingestd_token') || '';
$('save').onclick = () => { localStorage.setItem('ingestd_token', $('token').value.trim()); load(); };
const auth = () => ({'Authorization': 'Bearer ' + $('token').value.trim()});
async function load() {
  if (!$('token').value.trim()) return;
  const r = await fetch('/api/v1/jobs?limit=100', {headers: auth()});
  const body = await r.json();
  if (!r.ok) { $('msg').textContent = body.error.code + ': ' + body.error.message; return; }
  $('msg').textContent = body.jobs.length + ' jobs';
  $('jobs').innerHTML = body.jobs.map(j => `<tr><td><code>${esc(j.job_id)}</code></td>
    <td>${esc(j.status)}</td><td class="${esc(j.state)}">${esc(j.state)}</td>
    <td>${j.progress.total_pct}%</td><td>${j.retry_count}</td>
    <td>${j.last_error ? esc(j.last_error.code + ': ' + j.last_error.message) : ''}</td>
    <td><code>${esc(j.correlation_id)}</code></td><td>${esc(j.updated_at)}</td></tr>`).join('');
}
$('upload').onclick = async () => {
  const f = $('file').files[0]; if (!f) return;
  const form = new FormData(); form.append('file', f, f.name);
  const r = await fetch('/api/v1/documents', {method: 'POST', headers: auth(), body: form});
  const body = await r.json();
  $('msg').textContent = r.ok ? 'queued job ' + body.job_id : body.error.code + ': ' + body.error.message;
  load();
};
load(); setInterval(load, 2000);
</script></body></html>
)HTML";

}  // namespace ingestd::api
