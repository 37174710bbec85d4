// Jobs: upload, the live list with filters and progress, and one job's timeline (stages with
// timings and routes, fallbacks, estimated vs actual cost, events, errors) with retry.
import {api} from './api.js';
import {badge, code, fill, guarded, h, ms, nanosUsd, poll, progress, showError, sizeBars, table,
  when} from './ui.js';

const kStates = ['queued', 'working', 'retryable', 'done', 'deadletter'];
const kStatuses = ['awaiting_upload', 'uploaded', 'parse_queued', 'parse_submitted', 'parsed',
  'parse_validated', 'chunking', 'chunks_stored', 'embedding_queued', 'embedding_in_progress',
  'embeddings_stored', 'complete', 'embedding_batched'];
const kStages = ['parse', 'validate', 'chunk', 'embed', 'finalize'];
const settled = (job) => job.state === 'done' || job.state === 'deadletter';
const retryable = (job) => job.state === 'deadletter' || job.state === 'retryable';

export function render(root, jobId) {
  return jobId ? renderJob(root, jobId) : renderList(root);
}

function select(id, label, values) {
  return h('label', {}, label + ' ', h('select', {id},
      h('option', {value: ''}, 'any'), values.map((v) => h('option', {value: v}, v))));
}

function renderList(root) {
  const message = h('span', {id: 'upload-message', class: 'note'});
  const file = h('input', {type: 'file', id: 'upload-file', accept: 'application/pdf'});
  const upload = guarded(async () => {
    if (!file.files[0]) return;
    const form = new FormData();
    form.append('file', file.files[0], file.files[0].name);
    const job = await api('POST', '/api/v1/documents', form);
    message.textContent = (job.duplicate ? 'already uploaded: job ' : 'queued job ') + job.job_id;
    file.value = '';
    await refresh();
  });
  const list = h('div', {id: 'jobs-list'});
  root.append(
      h('h1', {}, 'Jobs'),
      h('div', {class: 'toolbar'}, file,
          h('button', {type: 'button', id: 'upload-button', onclick: upload}, 'Upload PDF'), message),
      h('div', {class: 'toolbar filters'}, select('filter-state', 'State', kStates),
          select('filter-status', 'Status', kStatuses)),
      list);
  for (const id of ['filter-state', 'filter-status']) {
    root.querySelector('#' + id).addEventListener('change', () => refresh().catch(showError));
  }

  async function refresh() {
    const q = new URLSearchParams({limit: '100'});
    for (const [id, key] of [['filter-state', 'state'], ['filter-status', 'status']]) {
      const v = root.querySelector('#' + id).value;
      if (v) q.set(key, v);
    }
    const [jobs, docs] = await Promise.all([api('GET', '/api/v1/jobs?' + q),
      api('GET', '/api/v1/documents?limit=500')]);
    const names = new Map(docs.documents.map((d) => [d.document_id, d.filename]));
    fill(list, table([
      {label: 'File', cell: (j) => h('a', {href: '#/jobs/' + j.job_id, class: 'job-link'},
          names.get(j.document_id) ?? j.job_id.slice(0, 8))},
      {label: 'State', cell: (j) => h('span', {dataset: {state: j.state}}, badge(j.state))},
      {label: 'Status', cell: (j) => j.status, wide: true},
      {label: 'Progress', cell: (j) => progress(j.progress.total_pct)},
      {label: 'Retries', cell: (j) => j.retry_count, wide: true},
      {label: 'Last error', cell: (j) => (j.last_error ? code(j.last_error.code) : ''), wide: true},
      {label: 'Updated', cell: (j) => when(j.updated_at), wide: true},
    ], jobs.jobs, (j) => ({dataset: {jobId: j.job_id}}), 'No jobs yet: upload a PDF.'));
    sizeBars(list);
  }
  return poll(refresh, 2000);
}

// The stages in the order they ran, each with its timing and (parse, embed) route.
function stageRows(job) {
  const names = [...new Set([...kStages, ...Object.keys(job.timings)])]
      .filter((s) => job.timings[s] || job.stage_routes[s]);
  const starts = names.map((s) => Date.parse(job.timings[s]?.started_at ?? '')).filter((t) => t);
  const ends = names.map((s) => Date.parse(job.timings[s]?.finished_at ?? '')).filter((t) => t);
  const t0 = Math.min(...starts);
  const span = Math.max(1, Math.max(...ends) - t0);
  return names.map((stage) => {
    const t = job.timings[stage] ?? {};
    const start = Date.parse(t.started_at ?? '');
    const offset = start ? Math.round((100 * (start - t0)) / span) : 0;
    const width = t.ms !== undefined ? Math.max(1, Math.round((100 * t.ms) / span)) : 0;
    return {stage, t, route: job.stage_routes[stage], offset, width};
  });
}

function gantt(row) {
  const bar = h('div', {class: 'gantt-bar'});
  bar.style.marginLeft = row.offset + '%';
  bar.style.width = row.width + '%';
  return h('div', {class: 'gantt'}, bar);
}

function renderJob(root, jobId) {
  const body = h('div', {id: 'job-detail'});
  root.append(h('p', {}, h('a', {href: '#/jobs'}, '← all jobs')), body);
  let last = null;
  const retry = guarded(async () => {
    await api('POST', `/api/v1/jobs/${encodeURIComponent(jobId)}/retry`);
    last = null;
    await refresh();
  });

  async function refresh() {
    if (last && settled(last)) return;
    const base = '/api/v1/jobs/' + encodeURIComponent(jobId);
    const [job, events] = await Promise.all([api('GET', base), api('GET', base + '/events')]);
    last = job;
    const estimate = job.cost_estimate ?? {};
    const actual = job.actual_cost ?? {};
    fill(body,
        h('h1', {}, 'Job ', code(job.job_id)),
        h('div', {class: 'toolbar'}, h('span', {dataset: {state: job.state}, id: 'job-state'},
            badge(job.state)), ' ', job.status, ' ', progress(job.progress.total_pct),
        retryable(job) ? h('button', {type: 'button', id: 'retry', onclick: retry}, 'Retry') : null),
        h('dl', {class: 'facts'},
            fact('Correlation id', code(job.correlation_id)), fact('Mode', job.service_mode),
            fact('Priority', job.processing_priority), fact('Retries', job.retry_count),
            fact('Created', when(job.created_at)), fact('Updated', when(job.updated_at)),
            job.retry_at ? fact('Retry at', when(job.retry_at)) : null,
            fact('Fallback', job.fallback_triggered ? badge('fallback used', 'warn') : 'no')),
        job.last_error ? h('p', {class: 'job-error'}, badge('error', 'deadletter'), ' ',
            code(job.last_error.code), ' ', job.last_error.message, ` (stage ${job.last_error.stage},
            ${when(job.last_error.at)})`) : null,
        h('h2', {}, 'Timeline'),
        h('div', {id: 'timeline'}, table([
          {label: 'Stage', cell: (r) => r.stage},
          {label: 'Duration', cell: (r) => ms(r.t.ms)},
          {label: '', cell: gantt, wide: true},
          {label: 'Route', cell: (r) => (r.route ? `${r.route.mode} · ${r.route.implementation}` : '')},
          {label: 'Reason', cell: (r) => r.route?.reason ?? '', wide: true},
          {label: 'Fallbacks', cell: (r) => (r.route ? `${r.route.fallback_calls ?? 0} of ${r.route.calls ?? 0}` +
              (r.route.fallback_reason ? ' · ' + r.route.fallback_reason : '') : '')},
        ], stageRows(job), () => ({class: 'stage'}), 'No stage has started yet.')),
        h('h2', {}, 'Cost'),
        table([
          {label: '', cell: (r) => r.label},
          {label: 'Estimated', cell: (r) => nanosUsd(estimate[r.key])},
          {label: 'Actual', cell: (r) => nanosUsd(actual[r.key])},
        ], [{label: 'parse', key: 'parse_nanos'}, {label: 'embed', key: 'embed_nanos'},
          {label: 'total', key: 'total_nanos'}], () => ({class: 'cost-row'})),
        h('h2', {}, 'Events'),
        table([
          {label: 'At', cell: (e) => when(e.at)},
          {label: 'Code', cell: (e) => h('span', {class: e.type === 'error' ? 'bad' : ''}, e.code)},
          {label: 'Stage', cell: (e) => e.stage ?? '', wide: true},
          {label: 'Details', cell: (e) => (Object.keys(e.payload ?? {}).length
            ? code(JSON.stringify(e.payload)) : ''), wide: true},
        ], events.events, () => ({class: 'event'})));
    sizeBars(body);
  }
  return poll(refresh, 2000);
}

const fact = (label, value) => [h('dt', {}, label), h('dd', {}, value)];
