// Shared pieces of the management pages: a base class with the app's
// helpers, tables, sub-tabs, field errors from the API and Jakarta times.
import { h, clear, add, fill } from './dom.js';
import { reasonText } from './reasons.js';

export class Page {
  constructor(app, root) { this.app = app; this.root = root; this.timers = []; }
  t(k, v) { return this.app.t(k, v); }
  // reason is a status reason the server stored, in the page's language.
  reason(text) { return reasonText(this.t.bind(this), text); }
  get api() { return this.app.api; }
  can(p) { return this.app.can(p); }
  reload() { this.load?.(); }
  destroy() { this.timers.forEach(clearInterval); this.timers = []; }
  every(ms, f) { const id = setInterval(f, ms); this.timers.push(id); return id; }
  time(iso) { return iso ? this.app.i18n.dateTime(iso) : ''; }
  fail(e) { this.app.toast(e.field ? `${e.field}: ${e.message}` : e.message); }

  // turn marks a new request for a list; the returned function says whether
  // it is still the newest, so a slow older answer never overwrites a newer
  // one (filters changed quickly).
  turn(name = 'load') {
    this.turns = this.turns || {};
    const n = (this.turns[name] = (this.turns[name] || 0) + 1);
    return () => this.turns[name] === n;
  }

  // shell puts a page heading, optional actions and a body into the root.
  shell(title, ...actions) {
    const body = h('div', { class: 'page-body' });
    add(this.root, h('div', { class: 'page' },
      h('div', { class: 'page-head' }, h('h2', {}, title), h('div', { class: 'page-actions' }, ...actions)), body));
    return body;
  }

  // subnav is a row of links to the page's sub-routes.
  subnav(items) {
    return h('nav', { class: 'subnav' }, ...items.filter((i) => !i.perm || this.can(i.perm)).map((i) => h('a', {
      href: i.path, class: location.pathname === i.path ? 'active' : '', dataset: { sub: i.key },
      onclick: (ev) => { ev.preventDefault(); this.app.navigate(i.path); },
    }, this.t(i.key))));
  }

  table(headers, rows, attrs = {}) {
    // tabindex: a table wider than the screen scrolls sideways by keyboard too.
    return h('div', { class: 'table-wrap', tabindex: 0 }, h('table', { class: 'grid', ...attrs },
      h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
      h('tbody', {}, rows.length ? rows.map((r) => (r instanceof Node ? r : h('tr', {}, ...r.map((c) => h('td', {}, c))))) :
        h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, this.t('nothing'))))));
  }

  link(path, text) {
    return h('a', { href: path, onclick: (ev) => { ev.preventDefault(); this.app.navigate(path); } }, text);
  }

  // errorBox shows an API error next to a form, naming the field.
  errorBox() {
    const el = h('p', { class: 'error form-error', role: 'alert', hidden: true });
    el.show = (e) => { el.textContent = e ? (e.field ? `${e.field}: ${e.message}` : e.message) : ''; el.hidden = !e; };
    return el;
  }
}

export function chip(text, kind = '') { return h('span', { class: `chip ${kind}`.trim() }, text); }

export function statusChip(page, status) {
  return h('span', { class: `chip st-${String(status).toLowerCase()}`, dataset: { status } }, page.t(`st.${String(status).toLowerCase()}`));
}

export { h, clear, add, fill };
