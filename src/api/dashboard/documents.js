// Documents: search (POST /api/v1/search), the list with delete, and one document's chunks
// with their page spans and heading paths.
import {api} from './api.js';
import {badge, code, fill, guarded, h, table, when} from './ui.js';

const kChunkPage = 20;

export function render(root, documentId) {
  return documentId ? renderChunks(root, documentId) : renderList(root);
}

const pages = (x) => (x.page_start ? (x.page_end && x.page_end !== x.page_start
  ? `pp. ${x.page_start}–${x.page_end}` : `p. ${x.page_start}`) : '');
const headings = (path) => h('span', {class: 'heading-path'}, path);  // "Intro > Setup"

function renderList(root) {
  const query = h('input', {type: 'search', id: 'search-query', placeholder: 'Search your chunks'});
  const mode = h('select', {id: 'search-mode'},
      ['hybrid', 'vector', 'keyword'].map((m) => h('option', {value: m}, m)));
  const results = h('div', {id: 'search-results'});
  const list = h('div', {id: 'documents-list'});
  const search = guarded(async (e) => {
    e.preventDefault();
    fill(results);
    const answer = await api('POST', '/api/v1/search',
        {query: query.value, top_k: 10, mode: mode.value});
    fill(results,
        h('p', {class: 'note'}, `${answer.results.length} results · ${answer.mode} · ` +
            `${answer.model ?? 'keyword'} · ${answer.took_ms} ms`),
        answer.results.map((r) => h('article', {class: 'hit'},
            h('div', {class: 'hit-head'}, h('a', {href: '#/documents/' + r.document_id}, r.filename),
                ' ', pages(r), ' ', headings(r.heading_path), ' ',
                h('span', {class: 'note'}, 'score ' + r.score.toFixed(4))),
            h('p', {class: 'hit-text'}, r.text.slice(0, 400)))));
  });
  const remove = (doc) => guarded(async () => {
    if (!confirm(`Delete ${doc.filename}, its chunks, vectors and job?`)) return;
    await api('DELETE', '/api/v1/documents/' + encodeURIComponent(doc.document_id));
    await refresh();
  });
  async function refresh() {
    const docs = await api('GET', '/api/v1/documents?limit=500');
    fill(list, table([
      {label: 'File', cell: (d) => h('a', {href: '#/documents/' + d.document_id, class: 'doc-link'},
          d.filename)},
      {label: 'Pages', cell: (d) => d.page_count ?? '—'},
      {label: 'Chunks', cell: (d) => d.chunk_count},
      {label: 'Vectors', cell: (d) => d.vector_count, wide: true},
      {label: 'Models', cell: (d) => d.vector_models.join(', '), wide: true},
      {label: 'State', cell: (d) => (d.state ? badge(d.state) : '—')},
      {label: 'Uploaded', cell: (d) => when(d.created_at), wide: true},
      {label: '', cell: (d) => h('button', {type: 'button', class: 'delete', onclick: remove(d)},
          'Delete')},
    ], docs.documents, (d) => ({dataset: {documentId: d.document_id}}), 'No documents yet.'));
  }
  root.append(h('h1', {}, 'Documents'),
      h('form', {class: 'toolbar', id: 'search-form', onsubmit: search}, query, mode,
          h('button', {type: 'submit'}, 'Search')),
      results, h('h2', {}, 'All documents'), list);
  guarded(refresh)();
}

function renderChunks(root, documentId) {
  const base = '/api/v1/documents/' + encodeURIComponent(documentId);
  const head = h('div', {});
  const chunks = h('div', {id: 'chunks'});
  const pager = h('div', {class: 'toolbar'});
  root.append(h('p', {}, h('a', {href: '#/documents'}, '← all documents')), head, chunks, pager);
  const show = guarded(async (offset) => {
    const [doc, page] = await Promise.all([api('GET', base),
      api('GET', `${base}/chunks?limit=${kChunkPage}&offset=${offset}`)]);
    fill(head, h('h1', {}, doc.filename),
        h('p', {class: 'note'}, `${doc.page_count ?? '?'} pages · ${doc.chunk_count} chunks · ` +
            `${doc.vector_count} vectors · `, code(doc.document_id)));
    fill(chunks, ...page.chunks.map((c) => h('article', {class: 'chunk'},
        h('div', {class: 'chunk-head'}, h('strong', {}, '#' + c.ord), ' ',
            h('span', {class: 'pages'}, pages(c)), ' ', headings(c.heading_path), ' ',
            h('span', {class: 'note'}, `${c.token_count} tokens · chars ${c.char_start}–${c.char_end}`)),
        h('pre', {}, c.text))));
    fill(pager,
        h('button', {type: 'button', disabled: offset === 0, onclick: () => show(offset - kChunkPage)},
            'Previous'),
        h('span', {class: 'note'}, `chunks ${offset + 1}–${offset + page.chunks.length} of ${doc.chunk_count}`),
        h('button', {type: 'button', disabled: offset + kChunkPage >= doc.chunk_count,
          onclick: () => show(offset + kChunkPage)}, 'Next'));
  });
  show(0);
}
