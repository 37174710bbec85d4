// Alerts and audit (admin): recent alerts, and the audit log of paid provider requests with
// its totals, each with filters.
import {api} from './api.js';
import {badge, code, fill, guarded, h, ms, table, usd, when} from './ui.js';

export function render(root) {
  const kind = h('input', {type: 'text', id: 'alert-kind', placeholder: 'kind, e.g. breaker_opened'});
  const service = h('select', {id: 'audit-service'},
      ['', 'parse', 'embed'].map((s) => h('option', {value: s}, s || 'any service')));
  const status = h('select', {id: 'audit-status'},
      ['', 'ok', 'error'].map((s) => h('option', {value: s}, s || 'any status')));
  const alerts = h('div', {id: 'alerts'});
  const audit = h('div', {id: 'audit'});
  root.append(h('h1', {}, 'Alerts'),
      h('form', {class: 'toolbar', onsubmit: (e) => { e.preventDefault(); showAlerts(); }}, kind,
          h('button', {type: 'submit'}, 'Filter')), alerts,
      h('h1', {}, 'Audit log'),
      h('div', {class: 'toolbar'}, service, status), audit);
  service.addEventListener('change', () => showAudit());
  status.addEventListener('change', () => showAudit());

  const showAlerts = guarded(async () => {
    const q = new URLSearchParams({limit: '100'});
    if (kind.value.trim()) q.set('kind', kind.value.trim());
    const page = await api('GET', '/api/v1/alerts?' + q);
    fill(alerts, table([
      {label: 'At', cell: (a) => when(a.at)},
      {label: 'Kind', cell: (a) => code(a.kind)},
      {label: 'Severity', cell: (a) => badge(a.severity)},
      {label: 'Scope', cell: (a) => a.scope, wide: true},
      {label: 'Message', cell: (a) => a.message},
      {label: 'Correlation id', cell: (a) => code(a.correlation_id), wide: true},
    ], page.alerts, () => ({class: 'alert-row'}), 'No alerts.'));
  });
  const showAudit = guarded(async () => {
    const q = new URLSearchParams({limit: '100'});
    if (service.value) q.set('service', service.value);
    if (status.value) q.set('status', status.value);
    const page = await api('GET', '/api/v1/audit?' + q);
    const t = page.totals;
    fill(audit,
        h('p', {class: 'note', id: 'audit-totals'}, `${t.requests} requests · ${t.tokens} tokens · ` +
            `${t.pages} pages · ${usd(t.cost_usd)}`),
        table([
          {label: 'At', cell: (e) => when(e.at)},
          {label: 'Service', cell: (e) => `${e.service} · ${e.provider}`},
          {label: 'Operation', cell: (e) => e.operation, wide: true},
          {label: 'User', cell: (e) => e.user_id, wide: true},
          {label: 'Key', cell: (e) => code(e.key_id), wide: true},
          {label: 'Status', cell: (e) => (e.error_code ? code(e.error_code) : e.http_status)},
          {label: 'Tokens', cell: (e) => e.tokens, wide: true},
          {label: 'Cost', cell: (e) => usd(e.cost_usd)},
          {label: 'Latency', cell: (e) => ms(e.latency_ms), wide: true},
        ], page.entries, () => ({class: 'audit-row'}), 'No paid requests recorded.'));
  });
  showAlerts();
  showAudit();
}
