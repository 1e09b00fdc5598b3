// The inbox: conversation list (views, unread badges, window countdown),
// thread with delivery statuses, composer with canned responses, and the
// template picker once the 24h window is closed.
import { h, clear, countdown } from './dom.js';
import { SidePanel } from './inbox_side.js';
import { messageBody, Attachment, fileOf, paperclip } from './inbox_media.js';
import { InboxKeys } from './inbox_keys.js';
import { interactivePanel } from './inbox_interactive.js';

const HOUR = 3600 * 1000;
const statusIcon = { queued: '🕓', sending: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

function messageOf(data) { return data?.message ? { ...data.message, conversationId: data.conversationId ?? data.message.conversationId } : data; }

// templateVars lists a template's placeholders as "body.1", "header.1", ...
export function templateVars(tpl) {
  const out = [];
  let comps = tpl.components;
  if (typeof comps === 'string') { try { comps = JSON.parse(comps); } catch { comps = []; } }
  for (const c of comps || []) {
    const text = c.text || '';
    for (const m of text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
      const key = `${String(c.type || 'body').toLowerCase()}.${m[1]}`;
      if (!out.includes(key)) out.push(key);
    }
  }
  return out;
}

// varLabel shows "body.1" as {{1}} and other parts as "header {{1}}".
export function varLabel(k) {
  const [part, n] = k.split('.');
  return part === 'body' ? `{{${n}}}` : `${part} {{${n}}}`;
}

// failureText is the human reason of a failed send (WhatsApp's code when known).
export function failureText(m, t) {
  const known = t(`err.${m.errorCode}`);
  const human = known !== `err.${m.errorCode}` ? known : (m.errorReason || t('failed'));
  return m.errorCode ? `${human} (${m.errorCode})` : human;
}

// retryBody rebuilds what was asked for a failed text or media message.
export function retryBody(m) {
  let p = m.payload;
  if (typeof p === 'string') { try { p = JSON.parse(p); } catch { p = null; } }
  if (!p) return null;
  if (m.type === 'text' && p.text?.body) return { type: 'text', text: p.text.body };
  const md = p[m.type];
  if (['image', 'document', 'audio', 'video', 'sticker'].includes(m.type) && md?.id) {
    return { type: m.type, mediaId: md.id, caption: md.caption || undefined, filename: md.filename || undefined };
  }
  return null;
}

export function templateBody(tpl) {
  let comps = tpl.components;
  if (typeof comps === 'string') { try { comps = JSON.parse(comps); } catch { comps = []; } }
  return (comps || []).find((c) => String(c.type).toUpperCase() === 'BODY')?.text || '';
}

// behind says whether status b is older news than a: WhatsApp's webhooks
// may arrive out of order (read before delivered), and a send's answer
// (queued) may come after its first statuses. A failure, or a retry's
// queued after one, is never behind.
const progress = { queued: 0, sent: 1, delivered: 2, read: 3 };
const behind = (b, a) => a in progress && b in progress && progress[b] < progress[a];
// notBehind is next (a message updated by the send's answer or the thread
// read again) with seen's status when next's is older news: live events may
// have moved the message on meanwhile, and it never goes back. seen may hold
// only a status (one that came before its message).
const notBehind = (next, seen) => (seen && behind(next.status, seen.status)
  ? { ...next, status: seen.status, errorCode: seen.errorCode, errorReason: seen.errorReason } : next);

export class Inbox {
  constructor(app, root) {
    this.app = app;
    this.root = root;
    this.view = sessionStorage.getItem('scrm.view') || 'mine';
    this.q = '';
    this.items = [];
    this.nextCursor = '';
    this.selected = null; // conversation
    this.messages = []; // oldest first
    this.mediaViews = {}; // message id -> its file (signed links)
    this.attachment = null; // the file waiting in the composer
    this.nextBefore = null;
    this.closedTemplates = null; // from a 409 window_closed
    this.listTimer = null;
    this.tick = null;
  }

  t(k, v) { return this.app.t(k, v); }

  mount() {
    this.listEl = h('ul', { class: 'conv-list', id: 'conv-list' });
    const views = this.app.can('inbox:take') ? ['mine', 'queue', 'unassigned', 'team', 'all'] : ['mine', 'unassigned', 'team', 'all'];
    const tabs = h('div', { class: 'tabs', role: 'tablist' }, ...views.map((v) =>
      h('button', { role: 'tab', class: v === this.view ? 'tab active' : 'tab', dataset: { view: v },
        'aria-selected': String(v === this.view), onclick: () => this.setView(v) }, this.t(v))));
    this.tabs = tabs;
    // Search: names and numbers (the list), or the text of messages (hits
    // that open the conversation at that message).
    this.searchText = sessionStorage.getItem('scrm.searchText') === '1';
    const search = h('input', { type: 'search', class: 'search', id: 'inbox-search', placeholder: this.t(this.searchText ? 'searchText' : 'search'), 'aria-label': this.t('search'),
      oninput: (ev) => { this.q = ev.target.value.trim(); clearTimeout(this.searchTimer); this.searchTimer = setTimeout(() => this.runSearch(), 250); } });
    const textToggle = h('button', { type: 'button', class: 'search-mode', id: 'search-text', 'aria-pressed': String(this.searchText), title: this.t('searchTextHelp'),
      onclick: () => {
        this.searchText = !this.searchText;
        if (this.searchText) sessionStorage.setItem('scrm.searchText', '1'); else sessionStorage.removeItem('scrm.searchText');
        textToggle.setAttribute('aria-pressed', String(this.searchText));
        search.placeholder = this.t(this.searchText ? 'searchText' : 'search');
        this.runSearch();
      } }, this.t('inMessages'));
    this.hitsEl = h('ul', { class: 'conv-list hits', id: 'search-hits', hidden: true, 'aria-label': this.t('inMessages') });
    // Filters: status, window, label and order, kept for the tab.
    this.filters = JSON.parse(sessionStorage.getItem('scrm.filters') || '{}');
    const setF = (k, v) => { if (v) this.filters[k] = v; else delete this.filters[k]; sessionStorage.setItem('scrm.filters', JSON.stringify(this.filters)); this.loadList(); };
    const sel = (k, opts) => h('select', { class: 'filter', dataset: { filter: k }, 'aria-label': this.t(`filter.${k}`), onchange: (ev) => setF(k, ev.target.value) },
      ...opts.map((o) => h('option', { value: o, selected: (this.filters[k] || '') === o }, this.t(`filter.${k}.${o || 'any'}`))));
    const filters = h('div', { class: 'filters', id: 'inbox-filters' },
      sel('status', ['', 'open', 'pending', 'snoozed', 'resolved']), sel('window', ['', 'open', 'closed']), sel('sort', ['', 'waiting']),
      this.senderFilter(setF),
      h('input', { class: 'filter', type: 'search', dataset: { filter: 'label' }, placeholder: this.t('filter.label'), 'aria-label': this.t('filter.label'), value: this.filters.label || '',
        onchange: (ev) => setF('label', ev.target.value.trim()) }),
      h('button', { type: 'button', class: 'keys-open', id: 'keys-open', title: `${this.t('keys.title')} (?)`, 'aria-label': this.t('keys.title'), onclick: () => this.keys.openHelp() }, '?'),
      this.app.can('inbox:send') ? h('button', { type: 'button', class: 'link', id: 'canned-manage', onclick: () => this.app.navigate('/canned') }, this.t('cannedTitle')) : null);
    this.threadEl = h('section', { class: 'thread', id: 'thread' }, h('p', { class: 'empty' }, this.t('pickConversation')));
    // A file dropped anywhere on the open thread becomes the attachment.
    this.threadEl.addEventListener('dragover', (ev) => {
      if (this.composerMode !== 'text' || ![...(ev.dataTransfer?.types || [])].includes('Files')) return;
      ev.preventDefault();
      this.threadEl.classList.add('drop-target');
    });
    this.threadEl.addEventListener('dragleave', (ev) => { if (ev.target === this.threadEl || !this.threadEl.contains(ev.relatedTarget)) this.threadEl.classList.remove('drop-target'); });
    this.threadEl.addEventListener('drop', (ev) => {
      this.threadEl.classList.remove('drop-target');
      const f = fileOf(ev);
      if (!f || this.composerMode !== 'text') return;
      ev.preventDefault();
      this.attach(f);
    });
    this.side = new SidePanel(this);
    this.sideOpen = sessionStorage.getItem('scrm.side') === '1';
    this.inboxEl = h('div', { class: 'inbox' }, h('aside', { class: 'sidebar' }, tabs, h('div', { class: 'search-row' }, search, textToggle), filters, this.hitsEl, this.listEl), this.threadEl, this.side.el);
    this.root.append(this.inboxEl);
    const m = location.pathname.match(/^\/inbox\/(\d+)/);
    this.loadList().then(() => { if (m) this.open(Number(m[1])); });
    this.tick = setInterval(() => this.updateClocks(), 1000);
    this.keys = new InboxKeys(this);
    this.keys.attach();
  }

  mountTabs(tabs) {
    for (const b of tabs.children) {
      b.className = b.dataset.view === this.view ? 'tab active' : 'tab';
      b.setAttribute('aria-selected', String(b.dataset.view === this.view));
    }
  }

  setView(v) {
    this.view = v;
    sessionStorage.setItem('scrm.view', v);
    this.mountTabs(this.tabs);
    return this.loadList();
  }

  destroy() { clearInterval(this.tick); clearTimeout(this.listTimer); clearTimeout(this.countsTimer); this.keys?.detach(); this.moreObserver?.disconnect(); }

  // step opens the next (1) or previous (-1) conversation of the list.
  async step(dir) {
    if (!this.items.length) return;
    const i = this.selected ? this.items.findIndex((c) => c.id === this.selected.id) : -1;
    let j = i < 0 ? (dir > 0 ? 0 : this.items.length - 1) : i + dir;
    if (j < 0 || j >= this.items.length) {
      if (dir > 0 && this.nextCursor) { await this.loadList(true); j = Math.min(j, this.items.length - 1); } else return;
    }
    await this.open(this.items[j].id);
    this.focusSelectedRow();
  }

  focusSelectedRow() {
    const row = this.selected && this.listEl.querySelector(`.conv-item[data-id="${this.selected.id}"]`);
    if (row) { row.focus({ preventScroll: true }); row.scrollIntoView({ block: 'nearest' }); }
  }

  // focusComposer puts the cursor in the reply box (with "/" it opens the
  // canned responses).
  focusComposer(prefix) {
    const ta = this.composerEl?.querySelector('#composer-text');
    if (!ta) return;
    ta.focus();
    if (prefix && !ta.value) { ta.value = prefix; ta.dispatchEvent(new Event('input')); }
  }

  // resolveAndNext resolves the open conversation and opens the next one
  // still waiting (below it in the list, then from the top).
  async resolveAndNext() {
    const c = this.selected;
    if (!c || !this.app.can('inbox:send') || c.status === 'resolved') return;
    const before = this.items.map((x) => x.id);
    try { await this.app.api.post(`/api/v1/conversations/${c.id}/resolve`); } catch (e) { this.app.toast(e.message); return; }
    await this.refreshRows([c.id]).catch(() => this.loadList());
    const waiting = (x) => x.id !== c.id && x.status !== 'resolved';
    const at = before.indexOf(c.id); // -1 when it left the view (taken from the queue): from the top
    const below = before.slice(at + 1).map((id) => this.items.find((x) => x.id === id)).find((x) => x && waiting(x));
    const next = below || this.items.find(waiting);
    if (next) { await this.open(next.id); this.focusSelectedRow(); } else { this.close(); this.app.toast(this.t('keys.allDone')); }
  }

  // snoozeMenu opens the details panel at its snooze choices.
  async snoozeMenu() {
    if (!this.selected || !this.app.can('inbox:send')) return;
    await this.toggleSide(true);
    this.side.el.querySelector('#side-snooze-1h')?.focus();
  }

  reload() { this.loadList(); if (this.selected) this.open(this.selected.id); }

  // runSearch applies the search box: the list by name or number, or the
  // message hits (in messages mode, from two characters on).
  runSearch() {
    const text = this.searchText && this.q.length >= 2;
    this.hitsEl.hidden = !text;
    this.listEl.hidden = text;
    if (!text) { if (this.listedQ !== (this.searchText ? '' : this.q)) this.loadList(); return; }
    this.searchMessages();
  }

  async searchMessages(more = false) {
    const q = this.q;
    const p = new URLSearchParams({ q });
    if (more && this.hitsBefore) p.set('before', this.hitsBefore);
    try {
      const page = await this.app.api.get(`/api/v1/messages/search?${p}`);
      if (q !== this.q || !this.searchText) return;
      if (!more) clear(this.hitsEl);
      this.hitsEl.querySelector('.more')?.remove();
      if (!more && !page.items.length) this.hitsEl.append(h('li', { class: 'empty' }, this.t('noHits')));
      for (const m of page.items) {
        this.hitsEl.append(h('li', { class: 'conv-item hit', tabindex: 0, dataset: { conv: m.conversationId, msg: m.messageId },
          onclick: () => this.openAt(m.conversationId, m.messageId), onkeydown: (ev) => { if (ev.key === 'Enter') this.openAt(m.conversationId, m.messageId); } },
        h('div', { class: 'row' }, h('strong', { class: 'name' }, m.contactName || m.contactPhone || ''), h('span', { class: 'time' }, this.app.i18n.time(m.createdAt))),
        h('div', { class: 'snippet' }, ...this.highlight(m.snippet, q)),
        m.senderNumber ? h('div', { class: 'row who' }, h('span', { class: 'muted' }, m.direction === 'in' ? this.t('fromCustomer') : this.t('fromUs')), h('span', { class: 'sender-number muted' }, m.senderNumber)) : null));
      }
      this.hitsBefore = page.nextBefore || 0;
      if (this.hitsBefore) this.hitsEl.append(h('li', { class: 'more' }, h('button', { type: 'button', class: 'link', onclick: () => this.searchMessages(true) }, this.t('moreHits'))));
    } catch (e) { this.app.toast(e.message); }
  }

  // highlight marks the searched words (prefixes) in a snippet.
  highlight(text, q) {
    const words = q.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
    if (!words.length) return [text];
    const re = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'giu');
    return text.split(re).map((part, i) => (i % 2 ? h('mark', {}, part) : part));
  }

  // openAt opens a conversation at one message: older pages are loaded
  // until it is there, then it is scrolled to and marked.
  async openAt(convId, msgId) {
    await this.open(convId);
    for (let i = 0; i < 40 && this.selected?.id === convId && !this.messages.some((m) => m.id === msgId) && this.nextBefore; i++) await this.loadOlder();
    const el = this.msgsEl?.querySelector(`.msg[data-id="${msgId}"]`);
    if (!el) return;
    el.classList.add('hit');
    el.scrollIntoView({ block: 'center' });
  }

  listParams() {
    const p = new URLSearchParams({ view: this.view, ...this.filters });
    if (this.q && !this.searchText) p.set('q', this.q);
    return p;
  }

  // senderFilter narrows the list to one business number (filled once the
  // numbers are read; hidden when there is only one).
  senderFilter(setF) {
    const el = h('select', { class: 'filter', dataset: { filter: 'senderId' }, 'aria-label': this.t('filter.senderId'), hidden: true,
      onchange: (ev) => setF('senderId', ev.target.value) }, h('option', { value: '' }, this.t('filter.senderId.any')));
    if (this.app.can('senders:read')) {
      this.app.api.get('/api/v1/senders').then((out) => {
        const list = out.data || [];
        for (const x of list) el.append(h('option', { value: String(x.id), selected: String(this.filters.senderId || '') === String(x.id) }, x.displayNumber || x.phoneNumberId));
        el.hidden = list.length < 2;
      }).catch(() => {});
    }
    return el;
  }

  // refreshCounts puts the open and pending conversations of each view on
  // its tab (one request, refreshed with the list).
  async refreshCounts() {
    try {
      // The tabs count what their lists show: the same number, label and
      // window filters.
      const p = new URLSearchParams();
      for (const k of ['senderId', 'label', 'window']) if (this.filters[k]) p.set(k, this.filters[k]);
      const n = await this.app.api.get(`/api/v1/conversations/counts${p.size ? `?${p}` : ''}`);
      for (const tab of this.tabs?.querySelectorAll('[data-view]') || []) {
        const v = tab.dataset.view;
        let badge = tab.querySelector('.tab-count');
        if (!badge) { badge = h('span', { class: 'tab-count' }); tab.append(' ', badge); }
        badge.textContent = String(n[v] ?? 0);
      }
    } catch { /* counts are a convenience: the list itself reports errors */ }
  }

  // loadList loads the first page (more: the next page, appended).
  async loadList(more = false) {
    if (!more) this.refreshCounts();
    const p = this.listParams();
    if (more) {
      if (!this.nextCursor || this.loadingMore) return;
      p.set('cursor', this.nextCursor);
      this.loadingMore = true;
    }
    const n = more ? this.listSeq : (this.listSeq = (this.listSeq || 0) + 1);
    try {
      const page = await this.app.api.get(`/api/v1/conversations?${p}`);
      if (n !== this.listSeq) return; // a newer list request answers
      if (!more) this.listedQ = p.get('q') || '';
      if (more) {
        const have = new Set(this.items.map((c) => c.id));
        this.items = [...this.items, ...page.items.filter((c) => !have.has(c.id))];
      } else {
        this.items = page.items;
      }
      this.nextCursor = page.nextCursor || '';
      this.renderList();
    } catch (e) { this.app.toast(e.message); } finally { if (more) this.loadingMore = false; }
  }

  // scheduleList refreshes the rows of one conversation (the open one by
  // default) in place; without any, the whole first page.
  scheduleList(id = this.selected?.id) { this.touch(id); }

  // touch refreshes the rows that live events or actions named: each is
  // read again through the current view and filters (?ids=, one request
  // for a burst), then inserted, moved, updated or removed in place; the
  // other rows, the pages loaded by scrolling and the scroll position stay.
  touch(id) {
    clearTimeout(this.countsTimer); // a burst of events counts once
    this.countsTimer = setTimeout(() => this.refreshCounts(), 500);
    if (!id) { this.loadList(); return; }
    (this.dirty ||= new Set()).add(id);
    if (this.touching) return;
    this.touching = true;
    (async () => {
      try {
        while (this.dirty.size) {
          const ids = [...this.dirty].slice(0, 100);
          ids.forEach((x) => this.dirty.delete(x));
          await this.refreshRows(ids).catch((e) => this.app.toast(e.message));
        }
      } finally { this.touching = false; }
    })();
  }

  async refreshRows(ids) {
    const p = this.listParams();
    p.set('ids', ids.join(','));
    p.set('limit', '100');
    const seq = this.listSeq;
    const page = await this.app.api.get(`/api/v1/conversations?${p}`);
    if (seq !== this.listSeq) return; // the view changed meanwhile
    const got = new Map(page.items.map((c) => [c.id, c]));
    const drop = new Set(ids);
    this.items = this.items.filter((c) => !drop.has(c.id));
    const cmp = this.order();
    const last = this.items[this.items.length - 1];
    for (const id of ids) {
      const c = got.get(id);
      // Past the loaded pages it comes with a later page.
      if (c && !(this.nextCursor && last && cmp(c, last) > 0)) this.items.push(c);
    }
    this.items.sort(cmp);
    this.renderList();
  }

  // order is the list's sort as the server applies it (keyset on key, id).
  order() {
    if (this.filters.sort === 'waiting') {
      const k = (c) => Date.parse(c.lastInboundAt || c.createdAt);
      return (a, b) => (k(a) - k(b)) || (a.id - b.id);
    }
    const k = (c) => Date.parse(c.lastMessageAt || c.createdAt);
    return (a, b) => (k(b) - k(a)) || (b.id - a.id);
  }

  rowEl(c) {
    return h('li', {
      class: `conv-item${this.selected?.id === c.id ? ' selected' : ''}`, dataset: { id: c.id }, tabindex: 0,
      'aria-current': this.selected?.id === c.id ? 'true' : null,
      onclick: () => this.open(c.id), onkeydown: (ev) => { if (ev.key === 'Enter') this.open(c.id); },
    },
      h('div', { class: 'row' },
        h('strong', { class: 'name' }, c.contactName || c.contactPhone),
        h('span', { class: 'time' }, this.app.i18n.time(c.lastMessageAt))),
      h('div', { class: 'row' },
        h('span', { class: 'preview' }, c.lastPreview || ''),
        c.unreadCount > 0 ? h('span', { class: 'badge unread', 'aria-label': this.t('unreadBadge') }, c.unreadCount) : null),
      h('div', { class: 'row who' }, h('span', { class: 'assignee muted', dataset: { assignee: c.assigneeAgentId || '' } }, c.assigneeName || this.t('unassigned')),
        c.senderNumber ? h('span', { class: 'sender-number muted' }, c.senderNumber) : null),
      h('div', { class: 'row' }, this.windowChip(c), h('span', { class: 'labels' },
        c.status === 'snoozed' ? h('span', { class: 'chip warn' }, this.t('filter.status.snoozed')) : null,
        ...(c.labels || []).map((l) => h('span', { class: 'chip' }, l)))),
    );
  }

  // rowKey is what a row shows: a row whose key is unchanged is left alone.
  rowKey(c) {
    return JSON.stringify([c.contactName, c.contactPhone, c.lastMessageAt, c.lastPreview, c.unreadCount, c.assigneeAgentId, c.assigneeName,
      c.senderNumber, c.windowOpen, c.windowClosesAt, c.status, c.labels, this.selected?.id === c.id, this.app.i18n.lang]);
  }

  // renderList reconciles the rows with this.items by id: new rows are
  // inserted, changed ones updated in place, moved ones moved, gone ones
  // removed; the row at the top of the viewport stays where it was.
  renderList() {
    const list = this.listEl;
    const rows = new Map([...list.querySelectorAll(':scope > .conv-item')].map((li) => [Number(li.dataset.id), li]));
    // The anchor: the first row visible at the top of the list.
    let anchor = null;
    let offset = 0;
    if (list.scrollTop > 0) {
      for (const li of rows.values()) {
        if (li.offsetTop + li.offsetHeight > list.scrollTop) { anchor = li; offset = li.offsetTop - list.scrollTop; break; }
      }
    }
    list.querySelector(':scope > .empty')?.remove();
    const want = new Set(this.items.map((c) => c.id));
    for (const [id, li] of rows) if (!want.has(id)) { li.remove(); rows.delete(id); if (anchor === li) anchor = null; }
    let prev = null;
    for (const c of this.items) {
      const key = this.rowKey(c);
      let li = rows.get(c.id);
      if (!li) {
        li = this.rowEl(c);
        li.dataset.key = key;
      } else if (li.dataset.key !== key) {
        const fresh = this.rowEl(c);
        li.className = fresh.className;
        if (fresh.getAttribute('aria-current')) li.setAttribute('aria-current', 'true'); else li.removeAttribute('aria-current');
        li.replaceChildren(...fresh.childNodes);
        li.dataset.key = key;
      }
      const at = prev ? prev.nextSibling : list.firstChild;
      if (at !== li) list.insertBefore(li, at);
      prev = li;
    }
    if (!this.items.length) list.append(h('li', { class: 'empty' }, this.t('noConversations')));
    // Infinite scroll: the sentinel after the last row loads the next page.
    if (!this.more) {
      this.more = h('li', { class: 'list-more', 'aria-hidden': 'true' });
      this.moreObserver = new IntersectionObserver((es) => { if (es.some((e) => e.isIntersecting)) this.loadList(true); }, { root: list, rootMargin: '200px' });
      this.moreObserver.observe(this.more);
    }
    this.more.hidden = !this.nextCursor;
    list.append(this.more);
    if (anchor) list.scrollTop = anchor.offsetTop - offset;
    else if (!this.items.length) list.scrollTop = 0;
  }

  windowChip(c) {
    const el = h('span', { class: 'window', dataset: { closes: c.windowClosesAt || '', open: c.windowOpen ? '1' : '' } });
    this.paintWindow(el);
    return el;
  }

  // paintWindow shows the remaining window: amber in the last hour, grey when closed.
  paintWindow(el) {
    const closes = el.dataset.closes ? Date.parse(el.dataset.closes) : 0;
    const left = closes - Date.now();
    if (!el.dataset.open || !closes || left <= 0) {
      el.className = 'window closed';
      el.textContent = this.t('windowClosed');
      return false;
    }
    el.className = left <= HOUR ? 'window amber' : 'window open';
    el.textContent = this.t('windowLeft', { t: countdown(left) });
    return true;
  }

  updateClocks() {
    for (const el of this.root.querySelectorAll('.window')) this.paintWindow(el);
    if (this.selected && this.composerMode === 'text' && !this.windowOpenNow()) this.renderComposer();
  }

  windowOpenNow() {
    const c = this.selected;
    return !!(c && c.windowOpen && c.windowClosesAt && Date.parse(c.windowClosesAt) > Date.now());
  }

  async open(id) {
    const switching = this.selected?.id !== id;
    try {
      const conv = await this.app.api.get(`/api/v1/conversations/${id}`);
      const page = await this.app.api.get(`/api/v1/conversations/${id}/messages`);
      if (switching) this.dropAttachment();
      this.selected = conv;
      this.messages = page.items.slice().reverse();
      this.mediaViews = { ...(switching ? {} : this.mediaViews), ...(page.media || {}) };
      this.nextBefore = page.nextBefore || null;
      if (switching) this.closedTemplates = null;
      if (location.pathname !== `/inbox/${id}`) history.replaceState(null, '', `/inbox/${id}`);
      this.renderThread();
      this.renderList();
      if (conv.unreadCount > 0) this.markRead(id);
    } catch (e) { this.app.toast(e.message); }
  }

  async markRead(id) {
    try {
      await this.app.api.post(`/api/v1/conversations/${id}/read`);
      const it = this.items.find((c) => c.id === id);
      if (it) { it.unreadCount = 0; this.renderList(); }
    } catch (e) { this.app.toast(e.message); }
  }

  renderThread() {
    const c = this.selected;
    clear(this.threadEl);
    const actions = h('div', { class: 'actions' });
    if (this.app.can('inbox:send')) {
      actions.append(c.status === 'resolved'
        ? h('button', { onclick: () => this.act('reopen') }, this.t('reopen'))
        : h('button', { id: 'thread-resolve', title: `${this.t('resolve')} (e)`, onclick: () => this.resolveAndNext() }, this.t('resolve')));
    }
    if (c.assigneeAgentId !== this.app.me.agent.id && (this.app.can('inbox:assign') || (!c.assigneeAgentId && this.app.can('inbox:take')))) {
      actions.append(h('button', { id: 'thread-take', onclick: () => this.assignMe() }, this.t('assignMe')));
    }
    actions.append(h('button', { id: 'thread-details', title: this.t('details'), 'aria-pressed': String(this.sideOpen), onclick: () => this.toggleSide(!this.sideOpen) }, this.t('details')));
    this.msgsEl = h('ol', { class: 'messages', id: 'messages' });
    this.composerEl = h('div', { class: 'composer', id: 'composer' });
    this.threadEl.append(
      h('header', { class: 'thread-head' },
        h('button', { class: 'link back', 'aria-label': this.t('back'), onclick: () => this.close() }, '←'),
        h('div', {}, h('strong', {}, c.contactName || c.contactPhone), h('div', { class: 'muted' }, c.contactPhone ? (c.contactPhone.startsWith('+') ? c.contactPhone : `+${c.contactPhone}`) : ''),
          h('div', { class: 'muted thread-who' }, `${c.assigneeName || this.t('unassigned')}${c.senderNumber ? ` · ${this.t('viaNumber', { n: c.senderNumber })}` : ''}`),
          this.referralLine(c)),
        this.windowChip(c), actions),
      this.msgsEl, this.composerEl);
    this.threadEl.classList.add('open');
    this.toggleSide(this.sideOpen);
    this.renderMessages(true);
    this.renderComposer();
  }

  // toggleSide shows or hides the details panel (remembered for the tab).
  toggleSide(open) {
    this.sideOpen = open && !!this.selected;
    if (open) sessionStorage.setItem('scrm.side', '1'); else sessionStorage.removeItem('scrm.side');
    this.inboxEl.classList.toggle('with-side', this.sideOpen);
    this.threadEl.querySelector('#thread-details')?.setAttribute('aria-pressed', String(this.sideOpen));
    if (this.sideOpen) return this.side.show(this.selected).catch((e) => this.app.toast(e.message));
    return Promise.resolve();
  }

  // close returns to the list (the phone layout shows one pane at a time).
  close() {
    this.inboxEl.classList.remove('with-side');
    this.selected = null;
    this.composerEl = null;
    history.replaceState(null, '', '/inbox');
    this.threadEl.classList.remove('open');
    clear(this.threadEl).append(h('p', { class: 'empty' }, this.t('pickConversation')));
    this.renderList();
  }

  // referralLine names the click-to-WhatsApp ad the customer came from and,
  // while it lasts, the free entry point (messages, templates too, cost
  // nothing until then; free-form replies still need the 24 h window).
  referralLine(c) {
    if (!c.referral) return null;
    const ad = c.referral.headline || c.referral.source_id || '';
    const free = c.entryPointOpen && c.entryPointUntil ? ` · ${this.t('freeUntil', { t: this.app.i18n.time(c.entryPointUntil) })}` : '';
    return h('div', { class: 'muted referral', id: 'thread-referral', title: c.referral.source_url || '' }, `${this.t('fromAd', { ad })}${free}`);
  }

  renderMessages(scroll) {
    clear(this.msgsEl);
    if (this.nextBefore) this.msgsEl.append(h('li', { class: 'older' }, h('button', { class: 'link', onclick: () => this.loadOlder() }, this.t('loadOlder'))));
    for (const m of this.messages) this.msgsEl.append(this.messageEl(m));
    if (scroll) this.msgsEl.scrollTop = this.msgsEl.scrollHeight;
  }

  messageEl(m) {
    if (m.direction === 'note') return h('li', { class: 'msg note', dataset: { id: m.id, type: m.type } }, h('span', {}, this.lineText(m)), ' ', h('span', { class: 'muted' }, this.app.i18n.time(m.createdAt)));
    const body = m.body || (m.type === 'template' ? `[${this.t('template')}]` : `[${m.type}]`);
    const st = m.status || 'queued';
    const reason = st === 'failed' ? failureText(m, (k, v) => this.t(k, v)) : this.t(st);
    const rich = messageBody(m, this.mediaViews[m.id], (k, v) => this.t(k, v));
    return h('li', { class: `msg ${m.direction === 'in' ? 'in' : 'out'}`, dataset: { id: m.id, type: m.type } },
      h('div', { class: rich ? 'bubble rich' : 'bubble' }, rich || body),
      h('div', { class: 'meta' }, this.app.i18n.time(m.createdAt),
        m.origin === 'business_app' ? h('span', { class: 'msg-origin', title: this.t('fromBusinessAppHint') }, this.t('fromBusinessApp')) : null,
        m.origin === 'auto' ? h('span', { class: 'msg-origin msg-auto', title: this.t('automatedHint') }, this.t('automated')) : null,
        m.heldAt && st === 'sent' ? h('span', { class: 'msg-origin msg-held', title: this.t('heldHint') }, this.t('held')) : null,
        m.direction === 'in' ? null : h('span', { class: `msg-status ${st}`, dataset: { status: st }, title: reason || st }, statusIcon[st] || st)),
      st === 'failed' && m.direction !== 'in' ? h('div', { class: 'msg-error', role: 'status' }, h('span', {}, reason),
        retryBody(m) ? h('button', { type: 'button', class: 'link retry', onclick: () => this.retry(m) }, this.t('retry')) : null) : null);
  }

  // retry sends a failed message again through the same idempotent path;
  // the key is the failed row's, so a double click sends once.
  async retry(m) {
    const body = retryBody(m);
    if (!body || !this.selected) return;
    try { await this.sendWith(() => this.app.api.post(`/api/v1/conversations/${this.selected.id}/messages`, body, { 'Idempotency-Key': `retry-${m.id}` })); } catch { /* shown */ }
  }

  async loadOlder() {
    try {
      const page = await this.app.api.get(`/api/v1/conversations/${this.selected.id}/messages?before=${this.nextBefore}`);
      this.messages = [...page.items.slice().reverse(), ...this.messages];
      Object.assign(this.mediaViews, page.media || {});
      this.nextBefore = page.nextBefore || null;
      this.renderMessages(false);
    } catch (e) { this.app.toast(e.message); }
  }

  renderComposer() {
    const el = this.composerEl;
    if (!el) return;
    clear(el);
    if (!this.app.can('inbox:send')) { this.composerMode = 'none'; return; }
    if (!this.windowOpenNow() || this.closedTemplates) { this.composerMode = 'template'; this.renderTemplatePicker(); return; }
    this.composerMode = 'text';
    const canned = h('ul', { class: 'canned', id: 'canned', hidden: true });
    const ta = h('textarea', { id: 'composer-text', rows: 2, placeholder: this.t('typeMessage'), 'aria-label': this.t('typeMessage') });
    const send = h('button', { id: 'composer-send', class: 'primary', type: 'submit' }, this.t('send'));
    const tray = h('div', { class: 'attachment-tray', id: 'attachment-tray' });
    const fileInput = h('input', { type: 'file', id: 'composer-file', hidden: true, 'aria-hidden': 'true', tabindex: -1,
      onchange: () => { if (fileInput.files[0]) this.attach(fileInput.files[0]); fileInput.value = ''; } });
    const attachBtn = h('button', { type: 'button', id: 'composer-attach', class: 'attach', title: this.t('media.attach'), 'aria-label': this.t('media.attach'),
      onclick: () => fileInput.click() }, paperclip());
    this.trayEl = tray;
    // The draft of each conversation survives switching and a reload.
    const draftKey = `scrm.draft.${this.selected.id}`;
    ta.value = sessionStorage.getItem(draftKey) || '';
    const convId = this.selected.id;
    ta.addEventListener('input', () => {
      if (ta.value) sessionStorage.setItem(draftKey, ta.value); else sessionStorage.removeItem(draftKey);
      this.cannedLookup(ta, canned);
      // "typing..." for the customer: at most one call per 20 s (the
      // server keeps the same limit; Meta shows it for 25 s).
      const now = Date.now();
      if (ta.value && !ta.value.startsWith('/') && now - (this.typingAt?.[convId] || 0) > 20000) {
        this.typingAt = { ...(this.typingAt || {}), [convId]: now };
        this.app.api.post(`/api/v1/conversations/${convId}/typing`).catch(() => {});
      }
    });
    ta.addEventListener('keydown', async (ev) => {
      const items = canned.hidden ? [] : [...canned.querySelectorAll('.canned-item')];
      if (items.length && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
        ev.preventDefault();
        const i = items.findIndex((b) => b.classList.contains('active'));
        this.cannedActive(ta, items, ev.key === 'ArrowDown' ? (i + 1) % items.length : (i - 1 + items.length) % items.length);
        return;
      }
      if (ev.key === 'Escape') { if (!canned.hidden) { canned.hidden = true; ev.preventDefault(); } return; }
      if ((ev.key === 'Enter' && !ev.shiftKey) || (ev.key === 'Tab' && items.length)) {
        // With the canned list open (or a "/shortcut" typed), Enter and Tab
        // insert the response; they never send it.
        if (items.length) { ev.preventDefault(); (items.find((b) => b.classList.contains('active')) || items[0]).click(); return; }
        if (ev.key === 'Tab') return;
        ev.preventDefault();
        if (/^\/\S+$/.test(ta.value)) {
          const found = await this.cannedLookup(ta, canned);
          if (found?.length) { canned.querySelector('.canned-item').click(); return; }
        }
        form.requestSubmit();
      }
    });
    // A pasted screenshot or file becomes the attachment.
    ta.addEventListener('paste', (ev) => { const f = fileOf(ev); if (f) { ev.preventDefault(); this.attach(f); } });
    // Reply buttons or a list under the typed text (inbox_interactive.js).
    // The panel exists only while open: closed, the composer holds one
    // text field, the message's.
    let ixPanel = null;
    const ixBtn = h('button', { type: 'button', id: 'composer-interactive', class: 'attach', title: this.t('ix.open'), 'aria-label': this.t('ix.open'),
      'aria-expanded': 'false', onclick: () => {
        if (ixPanel) { ixPanel.remove(); ixPanel = null; } else {
          ixPanel = interactivePanel((k, v) => this.t(k, v), ta, (body) => this.send(body), () => { ixPanel?.remove(); ixPanel = null; ixBtn.setAttribute('aria-expanded', 'false'); });
          el.insertBefore(ixPanel, form);
          ixPanel.querySelector('#ix-choices').focus();
        }
        ixBtn.setAttribute('aria-expanded', String(!!ixPanel));
      } }, '☰');
    const form = h('form', { class: 'composer-form', onsubmit: async (ev) => {
      ev.preventDefault();
      const text = ta.value.trim();
      const att = this.attachment;
      if (!text && !att) return;
      if (att?.error) { this.app.toast(att.error); return; }
      send.disabled = true;
      try {
        if (att) {
          const m = await this.sendWith(() => att.send(text));
          if (m) { this.dropAttachment(); ta.value = ''; }
        } else {
          await this.send({ type: 'text', text });
          ta.value = '';
        }
        sessionStorage.removeItem(draftKey);
      } catch { /* shown by send */ } finally { send.disabled = false; ta.focus(); }
    } }, attachBtn, ixBtn, fileInput, ta, send);
    el.append(canned, tray, form);
    this.renderTray();
  }

  // attach puts a file in the composer (button, drop or paste) with its
  // preview; a file WhatsApp would refuse is shown with the reason and not sent.
  attach(file) {
    if (!this.selected || this.composerMode !== 'text') return;
    this.dropAttachment();
    this.attachment = new Attachment(this, file);
    this.renderTray();
    this.composerEl?.querySelector('#composer-text')?.focus();
  }

  dropAttachment() {
    this.attachment?.release();
    this.attachment = null;
    this.renderTray();
  }

  renderTray() {
    if (!this.trayEl) return;
    clear(this.trayEl);
    if (this.attachment) this.trayEl.append(this.attachment.preview(() => this.dropAttachment()));
    const ta = this.composerEl?.querySelector('#composer-text');
    if (ta) ta.placeholder = this.attachment ? this.t('media.caption') : this.t('typeMessage');
  }

  async cannedLookup(ta, list) {
    const v = ta.value;
    if (!v.startsWith('/') || v.includes(' ')) { list.hidden = true; ta.removeAttribute('aria-activedescendant'); return null; }
    try {
      const out = await this.app.api.get(`/api/v1/canned-responses?prefix=${encodeURIComponent(v.slice(1))}`);
      if (ta.value !== v) return null; // typing went on; a newer lookup answers
      clear(list);
      const items = out.items || [];
      list.setAttribute('role', 'listbox');
      items.forEach((r, i) => {
        list.append(h('li', { role: 'option', id: `canned-${i}` }, h('button', { type: 'button', class: 'canned-item', tabindex: -1,
          onclick: () => { const text = this.fillCanned(r.body); ta.value = text; sessionStorage.setItem(`scrm.draft.${this.selected?.id}`, text); list.hidden = true; ta.removeAttribute('aria-activedescendant'); ta.focus(); } },
        h('strong', {}, `/${r.shortcut}`), ' ', r.title || r.body)));
      });
      list.hidden = items.length === 0;
      if (items.length) this.cannedActive(ta, [...list.querySelectorAll('.canned-item')], 0);
      return items;
    } catch (e) { this.app.toast(e.message); return null; }
  }

  // fillCanned fills a canned response's variables from the open
  // conversation's contact and the agent: {{contact.name}},
  // {{contact.first_name}}, {{contact.phone}}, {{agent.name}},
  // {{agent.first_name}}; an unknown one is left for the agent to see.
  fillCanned(body) {
    const c = this.selected || {};
    const agent = this.app.me?.agent?.name || '';
    const phone = c.contactPhone ? (c.contactPhone.startsWith('+') ? c.contactPhone : `+${c.contactPhone}`) : '';
    const vars = { 'contact.name': c.contactName || '', 'contact.first_name': (c.contactName || '').split(/\s+/)[0], 'contact.phone': phone,
      'agent.name': agent, 'agent.first_name': agent.split(/\s+/)[0] };
    return body.replace(/\{\{\s*([a-z_.]+)\s*\}\}/g, (m, k) => (vars[k] ? vars[k] : m));
  }

  // cannedActive marks the canned response Enter or Tab would insert.
  cannedActive(ta, items, i) {
    items.forEach((b, j) => { b.classList.toggle('active', j === i); b.parentElement.setAttribute('aria-selected', String(j === i)); });
    ta.setAttribute('aria-activedescendant', items[i].parentElement.id);
    items[i].scrollIntoView({ block: 'nearest' });
  }

  async templates() {
    if (this.closedTemplates) return this.closedTemplates;
    const out = await this.app.api.get('/api/v1/templates?status=APPROVED');
    return out.data || out.items || [];
  }

  async renderTemplatePicker() {
    const el = this.composerEl;
    const forId = this.selected.id;
    let list = [];
    try { list = await this.templates(); } catch (e) { this.app.toast(e.message); }
    if (this.selected?.id !== forId || this.composerEl !== el) return;
    clear(el);
    const box = h('form', { class: 'template-picker', id: 'template-picker' }, h('p', { class: 'notice' }, this.t('windowClosedHelp')));
    el.append(box);
    if (!list.length) { box.append(h('p', { class: 'muted' }, this.t('noTemplates'))); return; }
    // Full templates carry components; those from a 409 only name them.
    let full = list;
    if (!list[0].components) {
      try {
        const all = (await this.app.api.get('/api/v1/templates?status=APPROVED')).data || [];
        full = list.map((x) => all.find((a) => a.id === x.id) || x);
      } catch { /* fall back to names only */ }
    }
    const vars = h('div', { class: 'vars' });
    const preview = h('p', { class: 'tpl-preview muted' });
    const select = h('select', { id: 'template-select', 'aria-label': this.t('template'), onchange: () => fill() },
      ...full.map((tp, i) => h('option', { value: i }, `${tp.name} (${tp.language})`)));
    const fill = () => {
      const tp = full[Number(select.value)];
      clear(vars);
      for (const k of templateVars(tp)) vars.append(h('label', {}, varLabel(k), h('input', { name: k, class: 'tpl-var', required: true, value: k === 'body.1' ? (this.selected.contactName || '') : '' })));
      preview.textContent = templateBody(tp);
    };
    const send = h('button', { class: 'primary', id: 'template-send', type: 'submit' }, this.t('sendTemplate'));
    box.onsubmit = async (ev) => {
      ev.preventDefault();
      const tp = full[Number(select.value)];
      const variables = {};
      for (const i of vars.querySelectorAll('input')) variables[i.name] = i.value;
      send.disabled = true;
      try { await this.send({ type: 'template', template: tp.name, language: tp.language, variables }); } finally { send.disabled = false; }
    };
    box.append(h('label', {}, this.t('template'), select), preview, vars, send);
    fill();
  }

  async send(body) {
    const c = this.selected;
    const key = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    return this.sendWith(() => this.app.api.post(`/api/v1/conversations/${c.id}/messages`, body, { 'Idempotency-Key': key }));
  }

  // sendWith runs one send and shows its message (or what went wrong).
  async sendWith(post) {
    try {
      const m = await post();
      this.upsertMessage(m);
      this.scheduleList(); // preview and order
      if (this.attachment || (m && ['image', 'document', 'audio', 'video', 'sticker'].includes(m.type))) this.refreshMedia();
      return m;
    } catch (e) {
      if (e.code === 'window_closed') {
        this.selected.windowOpen = false;
        this.closedTemplates = e.details?.templates || [];
        this.renderComposer();
        return;
      }
      this.app.toast(e.message);
      throw e;
    }
  }

  // A status can arrive before its message does (the send's answer or its
  // message.created event comes later on a loaded server): it is kept in
  // early and applied when the message shows; a message never goes back to
  // an earlier status than one already seen.
  upsertMessage(m) {
    const i = this.messages.findIndex((x) => x.id === m.id);
    const base = i >= 0 ? this.messages[i] : null;
    const next = notBehind({ ...base, ...m }, this.earlyStatus?.get(m.id) || base);
    this.earlyStatus?.delete(m.id);
    if (i >= 0) this.messages[i] = next;
    else this.messages.push(next);
    this.messages.sort((a, b) => a.id - b.id);
    this.renderMessages(true);
  }

  async act(action) {
    try { await this.app.api.post(`/api/v1/conversations/${this.selected.id}/${action}`); await this.open(this.selected.id); this.scheduleList(); } catch (e) { this.app.toast(e.message); }
  }

  // lineText words an assignment line of the thread in the agent's language.
  lineText(m) {
    let p = m.payload;
    if (typeof p === 'string') { try { p = JSON.parse(p); } catch { p = null; } }
    if (!p || !p.kind) return m.body;
    const to = p.toAgentId ? p.toName : (p.teamName ? this.t('line.queueOf', { t: p.teamName }) : this.t('line.queue'));
    return this.t(`line.${p.kind}`, { by: p.byName || this.t('system'), to, strategy: p.strategy ? this.t(p.strategy) : '' });
  }

  // assignMe takes the conversation: from the team queue (inbox:take) or,
  // for supervisors, by assigning it (inbox:assign).
  async assignMe() {
    if (!this.selected) return;
    const c = this.selected;
    const take = !c.assigneeAgentId && this.app.can('inbox:take');
    if (!take && !this.app.can('inbox:assign')) return;
    try {
      if (take) await this.app.api.post(`/api/v1/conversations/${c.id}/take`);
      else await this.app.api.post(`/api/v1/conversations/${c.id}/assign`, { agentId: this.app.me.agent.id });
      await this.open(this.selected.id);
      this.scheduleList();
    } catch (e) { this.app.toast(e.message); }
  }

  onEvent(e) {
    const d = e.data || {};
    switch (e.type) {
      case 'message.created': {
        const m = messageOf(d);
        const convId = m.conversationId;
        if (this.selected?.id === convId) {
          this.upsertMessage(m);
          if (m.type !== 'text' && m.direction !== 'note') this.refreshMedia(); // its file, location or cards
          // An app reply may have opened an ad's free entry point (header).
          if (d.entryPointUntil) this.refreshSelected();
          if (m.direction === 'in') {
            // A customer message reopens the window (refresh it and the
            // composer, keeping any draft) and is read by whoever looks at it.
            this.refreshSelected();
            this.markRead(convId);
          }
        }
        this.touch(convId);
        break;
      }
      case 'message.media':
        if (this.selected?.id === d.conversationId) this.refreshMedia();
        break;
      case 'message.status': {
        const m = this.messages.find((x) => x.id === d.id);
        if (m && this.selected?.id === d.conversationId) {
          if (!behind(d.status, m.status)) { m.status = d.status; m.errorCode = d.errorCode; m.errorReason = d.errorReason; }
          m.heldAt = d.held ? (m.heldAt || new Date().toISOString()) : null;
          this.renderMessages(false);
        } else if (!m && this.selected?.id === d.conversationId) {
          this.earlyStatus ||= new Map();
          const had = this.earlyStatus.get(d.id);
          if (!had || !behind(d.status, had.status)) this.earlyStatus.set(d.id, { status: d.status, errorCode: d.errorCode, errorReason: d.errorReason });
          if (this.earlyStatus.size > 200) this.earlyStatus.delete(this.earlyStatus.keys().next().value);
        }
        // The reply opened an ad's free entry point: the header says until when.
        if (d.entryPointUntil && this.selected?.id === d.conversationId) this.refreshSelected();
        break;
      }
      case 'conversation.updated':
        if (this.selected?.id === d.id) {
          if (d.change === 'window' && d.window === 'closed') this.selected.windowOpen = false;
          this.refreshSelected();
        }
        this.touch(d.id);
        break;
      default:
    }
  }

  // refreshMedia reloads the files of the latest messages (a customer's
  // file was stored, or an agent's upload was tied to its message).
  async refreshMedia() {
    const id = this.selected?.id;
    if (!id) return;
    try {
      const page = await this.app.api.get(`/api/v1/conversations/${id}/messages`);
      if (this.selected?.id !== id) return;
      Object.assign(this.mediaViews, page.media || {});
      // Live events carry no payload: the page's rows (with it) replace them,
      // but never with an older status than the events brought meanwhile
      // (the page was read before the read receipt landed: TestWebUIMedia
      // saw "sent" on the page with "read" in the database, 2 of 4 runs).
      for (const it of page.items) {
        const i = this.messages.findIndex((x) => x.id === it.id);
        if (i < 0) continue;
        this.messages[i] = notBehind({ ...this.messages[i], ...it }, this.messages[i]);
      }
      const stick = this.msgsEl && this.msgsEl.scrollHeight - this.msgsEl.scrollTop - this.msgsEl.clientHeight < 40;
      this.renderMessages(stick);
    } catch (e) { this.app.toast(e.message); }
  }

  async refreshSelected() {
    if (!this.selected) return;
    try {
      const conv = await this.app.api.get(`/api/v1/conversations/${this.selected.id}`);
      if (this.selected?.id !== conv.id) return;
      const wasOpen = this.windowOpenNow();
      this.selected = conv;
      if (conv.windowOpen) this.closedTemplates = null;
      if (wasOpen !== this.windowOpenNow() || this.composerMode === 'template' && conv.windowOpen) this.renderComposer();
      const chip = this.threadEl.querySelector('.thread-head .window');
      if (chip) { chip.dataset.open = conv.windowOpen ? '1' : ''; chip.dataset.closes = conv.windowClosesAt || ''; this.paintWindow(chip); }
      const ref = this.threadEl.querySelector('#thread-referral');
      const fresh = this.referralLine(conv);
      if (ref && fresh) ref.replaceWith(fresh);
      else if (!ref && fresh) this.threadEl.querySelector('.thread-who')?.after(fresh);
    } catch (e) { this.app.toast(e.message); }
  }
}
