// The API reference page: renders /api/v1/openapi.json grouped by tag
// (method, path, what it does, the permission it needs).
import { h, clear } from './dom.js';

const root = document.getElementById('api-reference');
fetch('/api/v1/openapi.json').then((r) => r.json()).then((spec) => {
  clear(root);
  root.append(h('h1', {}, spec.info.title), h('p', { class: 'muted' }, spec.info.description),
    h('p', {}, h('a', { href: '/api/v1/openapi.json' }, 'openapi.json'), ` · OpenAPI ${spec.openapi}`));
  const groups = new Map();
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags || ['api'])[0];
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push({ path, method: method.toUpperCase(), op });
    }
  }
  for (const tag of [...groups.keys()].sort()) {
    const rows = groups.get(tag).sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
    root.append(h('h2', { id: `tag-${tag}` }, tag), h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Method'), h('th', {}, 'Path'), h('th', {}, 'Summary'), h('th', {}, 'Permission'))),
      h('tbody', {}, ...rows.map(({ path, method, op }) => h('tr', { dataset: { op: op.operationId } },
        h('td', {}, h('code', {}, method)), h('td', {}, h('code', {}, path)), h('td', {}, op.summary),
        h('td', {}, op['x-permission'] || (op.security && op.security.length === 0 ? 'public' : '')))))));
  }
}).catch((e) => { root.append(h('p', { class: 'form-error' }, String(e))); });
