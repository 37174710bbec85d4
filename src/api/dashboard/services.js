// Services: per service its mode and implementation, breaker, error rate, calls, the last
// probe; for admins the mode switch, the switch history and the provider keys.
import {api, isAdmin} from './api.js';
import {badge, code, fill, guarded, h, ms, pct, table, when} from './ui.js';

const kModes = ['mock', 'local', 'real', 'hybrid'];

export function render(root) {
  const body = h('div', {id: 'services'});
  root.append(h('h1', {}, 'Services'), h('div', {class: 'toolbar'},
      h('button', {type: 'button', onclick: guarded(refresh)}, 'Refresh')), body);

  async function refresh() {
    const [health, history] = await Promise.all([api('GET', '/api/v1/services/health'),
      isAdmin() ? api('GET', '/api/v1/services/modes/history?limit=20') : null]);
    fill(body,
        h('p', {class: 'note'}, health.budgets_enforced ? 'Budgets are enforced by the cost ledger.'
          : 'No cost ledger in this process.'),
        h('div', {class: 'cards'}, health.services.map(serviceCard)),
        history ? [h('h2', {}, 'Mode switches'), table([
          {label: 'At', cell: (c) => when(c.at)},
          {label: 'Service', cell: (c) => c.service},
          {label: 'From → to', cell: (c) => `${c.from} → ${c.to}`},
          {label: 'Actor', cell: (c) => c.actor},
          {label: 'Correlation id', cell: (c) => code(c.correlation_id), wide: true},
        ], history.changes, () => ({class: 'mode-change'}), 'No switches yet.')] : null,
        health.keys ? [h('h2', {}, 'Provider keys'), keysTable(health.keys)] : null);
  }

  function serviceCard(s) {
    const probe = s.last_probe;
    const choose = h('select', {class: 'mode-select'},
        kModes.map((m) => h('option', {value: m, selected: m === s.mode}, m)));
    const apply = guarded(async () => {
      await api('PUT', `/api/v1/services/${encodeURIComponent(s.service)}/mode`, {mode: choose.value});
      await refresh();
    });
    return h('div', {class: 'card service', dataset: {service: s.service}},
        h('h2', {}, s.service, ' ', h('span', {class: 'mode'}, badge(s.mode, 'mode'))),
        h('dl', {class: 'facts'},
            fact('Implementation', code(s.implementation)),
            fact('Breaker', badge(s.breaker.state), s.breaker.consecutive_failures
              ? ` ${s.breaker.consecutive_failures} failures` : '',
            s.breaker.retry_at ? ` · retry ${when(s.breaker.retry_at)}` : ''),
            fact('Error rate', `${pct(s.recent_error_rate)} of ${s.recent_calls} recent calls`),
            fact('Calls', `${s.primary_calls} primary · ${s.fallback_calls} fallback`),
            fact('Last call', `${ms(s.last_latency_ms)}${s.last_error_code ? ' · ' + s.last_error_code : ''}`),
            fact('Last probe', probe ? [badge(probe.ok ? 'ok' : 'failed'), ` ${ms(probe.latency_ms)} · `,
              when(probe.at), probe.error_code ? [' · ', code(probe.error_code)] : null] : 'none yet')),
        isAdmin() ? h('div', {class: 'toolbar'}, choose,
            h('button', {type: 'button', class: 'mode-apply', onclick: apply}, 'Switch mode')) : null);
  }
  guarded(refresh)();
}

function keysTable(keys) {
  const rows = Object.entries(keys).flatMap(([provider, list]) => list.map((k) => ({provider, ...k})));
  return table([
    {label: 'Provider', cell: (k) => k.provider},
    {label: 'Key id', cell: (k) => code(k.id)},
    {label: 'State', cell: (k) => badge(k.state)},
    {label: 'Uses', cell: (k) => k.uses},
    {label: 'Revoked', cell: (k) => (k.revoked_at ? `${when(k.revoked_at)} · ${k.revoked_reason}` : ''),
      wide: true},
  ], rows, () => ({}), 'No provider keys are configured.');
}

const fact = (label, ...value) => [h('dt', {}, label), h('dd', {}, value)];
