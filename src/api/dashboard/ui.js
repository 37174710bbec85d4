// DOM helpers (elements are built, never parsed from strings, so API text cannot inject
// markup), formatting, the error banner and polling.

// h('a', {href: '#/x', class: 'c', onclick: f, dataset: {id: 1}}, 'text', child, [more])
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...nodes(children));
  return el;
}

// Children as h() takes them (nested arrays; null, undefined and false left out) as nodes.
export const nodes = (...children) => children.flat(Infinity)
    .filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));

// Replaces el's children with children, as h() takes them.
export const fill = (el, ...children) => el.replaceChildren(...nodes(children));

// A table in a horizontally scrolling wrapper. columns: [{label, cell(row) → node|text,
// wide?}] (wide columns are hidden on phone-width screens); rowAttrs(row) → attributes.
export function table(columns, rows, rowAttrs = () => ({}), empty = 'Nothing yet.') {
  if (rows.length === 0) return h('p', {class: 'empty'}, empty);
  const cls = (c) => (c.wide ? 'wide' : null);
  return h('div', {class: 'scroll'}, h('table', {},
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', {class: cls(c)}, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', rowAttrs(r),
          columns.map((c) => h('td', {class: cls(c)}, c.cell(r))))))));
}

export const badge = (text, kind = text) => h('span', {class: 'badge', dataset: {kind}}, text);
export const code = (text) => h('code', {}, text ?? '');

export function usd(v) {
  if (v === null || v === undefined) return '—';
  return '$' + Number(v).toFixed(Math.abs(v) > 0 && Math.abs(v) < 0.01 ? 6 : 2);
}
export const nanosUsd = (n) => (n === null || n === undefined ? '—' : usd(n / 1e9));
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
export const ms = (v) => (v === null || v === undefined ? '—'
  : v >= 1000 ? (v / 1000).toFixed(1) + ' s' : Math.round(v) + ' ms');
export const pct = (v) => (v === null || v === undefined ? '—' : (100 * v).toFixed(1) + ' %');

export function progress(value) {
  return h('div', {class: 'progress', title: value + ' %'},
      h('div', {class: 'bar', dataset: {pct: value}}), h('span', {}, value + ' %'));
}

// Sizes .progress bars from their data-pct (the page has no inline styles: see the CSP).
export function sizeBars(root) {
  for (const bar of root.querySelectorAll('.bar[data-pct]')) bar.style.width = bar.dataset.pct + '%';
}

const banner = () => document.getElementById('error');

// An API error as the banner shows it: code, message and the correlation id to grep for.
// Anything else is a bug of the page: it also goes to the console.
export function showError(err) {
  if (err.code === undefined) console.error(err);
  const el = banner();
  fill(el, h('strong', {class: 'error-code'}, err.code ?? 'ERROR'), ' ',
      h('span', {class: 'error-message'}, err.message), ' ',
      err.correlationId ? h('span', {class: 'error-cid'}, 'correlation id ', code(err.correlationId)) : null,
      h('button', {type: 'button', class: 'dismiss', onclick: clearError}, 'Dismiss'));
  el.hidden = false;
}

export function clearError() {
  banner().hidden = true;
  banner().replaceChildren();
}

// Runs step now and then every periodMs after each run finishes, until the returned stop()
// is called. Errors go to the banner; polling goes on.
export function poll(step, periodMs) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    try {
      await step();
    } catch (e) {
      showError(e);
    }
    if (!stopped) timer = setTimeout(run, periodMs);
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// Wraps an event handler: its ApiError goes to the banner.
export const guarded = (fn) => async (...args) => {
  try {
    await fn(...args);
  } catch (e) {
    showError(e);
  }
};
