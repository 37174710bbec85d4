// Costs: spend per hour (last 24 h) and per day (last 30 days) as uPlot charts, in all and
// per paid service, with the budget limits as lines; spend per service (and, for admins, per
// user) today; limits with what remains; open reservations.
import {api, isAdmin} from './api.js';
import {guarded, h, nodes, table, usd, when} from './ui.js';

const kHour = 3600 * 1000;
const kDay = 24 * kHour;
const kServices = [{name: 'parse', color: '#2e8b57'}, {name: 'embed', color: '#e67e22'}];
const kLimitColors = ['#c0392b', '#7d3c98', '#d68910', '#1f618d'];

export function render(root) {
  const charts = [];
  const observer = new ResizeObserver(() => {
    for (const {plot, el} of charts) plot.setSize({width: el.clientWidth, height: 220});
  });
  root.append(h('h1', {}, 'Costs'));
  guarded(async () => {
    const now = Date.now();
    const hourStart = now - (now % kHour) - 23 * kHour;
    const dayStart = now - (now % kDay) - 29 * kDay;
    const get = (groupBy, from, service = '') => api('GET',
        `/api/v1/costs?group_by=${groupBy}&from=${from}` + (service ? `&service=${service}` : ''));
    // In all, then per paid service.
    const spend = (groupBy, from) =>
      Promise.all([get(groupBy, from), ...kServices.map((s) => get(groupBy, from, s.name))]);
    const [hourly, daily, services, users] = await Promise.all([
      spend('hour', hourStart), spend('day', dayStart), get('service', now - (now % kDay)),
      isAdmin() ? get('user', now - (now % kDay)) : null]);
    const summary = h('div', {class: 'cards'},
        card('Spent today', usd(services.total_usd)),
        card('Open reservations', `${services.open_reservations} · ${usd(services.open_reserved_usd)}`),
        ...services.limits.filter((l) => l.scope === 'total' && l.metric === 'usd')
            .map((l) => card(`Remaining (${l.window})`, usd(l.remaining))));
    const hourChart = chartBox('hourly', 'Spend per hour, last 24 hours');
    const dayChart = chartBox('daily', 'Spend per day, last 30 days');
    root.append(...nodes(summary, hourChart.box, dayChart.box,
        h('h2', {}, 'Per service, today'),
        table([{label: 'Service', cell: (r) => r.service}, {label: 'Spend', cell: (r) => usd(r.cost_usd)},
          {label: 'Calls', cell: (r) => r.calls}, {label: 'Units', cell: (r) => r.units}],
        services.rows, () => ({}), 'No paid calls today.'),
        users ? [h('h2', {}, 'Per user, today'), table([
          {label: 'User', cell: (r) => r.user}, {label: 'Spend', cell: (r) => usd(r.cost_usd)},
          {label: 'Calls', cell: (r) => r.calls}], users.rows, () => ({}), 'No paid calls today.')] : null,
        h('h2', {}, 'Budgets'),
        table([
          {label: 'Scope', cell: (l) => l.scope},
          {label: 'Window', cell: (l) => l.window},
          {label: 'Limit', cell: (l) => amount(l, l.limit)},
          {label: 'Spent', cell: (l) => amount(l, l.spent)},
          {label: 'Reserved', cell: (l) => amount(l, l.reserved), wide: true},
          {label: 'Remaining', cell: (l) => amount(l, l.remaining)},
          {label: 'Ends', cell: (l) => when(l.window_end), wide: true},
        ], services.limits, () => ({}), 'No budget limits are configured.')));
    charts.push(plot(hourChart.el, hourly, 'hour', buckets(hourStart, kHour, 24)));
    charts.push(plot(dayChart.el, daily, 'day', buckets(dayStart, kDay, 30)));
    for (const c of charts) observer.observe(c.el);
  })();
  return () => {
    observer.disconnect();
    for (const c of charts) c.plot.destroy();
  };
}

const card = (label, value) => h('div', {class: 'card'}, h('div', {class: 'note'}, label),
    h('div', {class: 'big'}, value));
const amount = (l, v) => (l.metric === 'usd' ? usd(v) : `${v} requests`);

function chartBox(name, title) {
  const el = h('div', {class: 'chart', dataset: {chart: name}});
  return {el, box: h('section', {}, h('h2', {}, title), el)};
}

// count bucket starts (epoch ms) of size step from start.
const buckets = (start, step, count) => Array.from({length: count}, (_, i) => start + i * step);

// A report's spend per bucket (0 where nothing was spent); key is its group_by.
function spentPer(report, key, starts) {
  const byStart = new Map(report.rows.map((r) => [Date.parse(r[key]), r.cost_usd]));
  return starts.map((t) => byStart.get(t) ?? 0);
}

// reports: [in all, per service of kServices...]; the limits of that window as lines.
function plot(el, [all, ...perService], key, starts) {
  const limits = all.limits.filter((l) => l.metric === 'usd' && l.window === key);
  const total = spentPer(all, key, starts);
  const data = [starts.map((t) => t / 1000), total,
    ...perService.map((r) => spentPer(r, key, starts)), ...limits.map((l) => starts.map(() => l.limit))];
  const money = (u, v) => (v === null ? '—' : usd(v));
  const opts = {
    width: Math.max(280, el.clientWidth),
    height: 220,
    scales: {x: {time: true}},
    axes: [{}, {values: (u, vals) => vals.map((v) => '$' + v), size: 70}],
    series: [{},
      {label: 'all', stroke: '#1f77b4', fill: 'rgba(31,119,180,0.15)', width: 2, value: money,
        points: {show: true, size: 6}},
      ...kServices.map((s) => ({label: s.name, stroke: s.color, width: 1.5, value: money,
        points: {show: true, size: 4}})),
      ...limits.map((l, i) => ({label: `${l.scope} limit`, stroke: kLimitColors[i % kLimitColors.length],
        dash: [6, 4], width: 1.5, points: {show: false}, value: money}))],
  };
  el.dataset.points = String(total.filter((y) => y > 0).length);
  return {el, plot: new uPlot(opts, data, el)};  // eslint-disable-line no-undef
}
