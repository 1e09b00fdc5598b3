// The conversation side panel: contact details, labels, snooze, transfer
// (to an agent or a team) and private notes that the customer never sees.
import { h, clear, add, fill } from './dom.js';

export class SidePanel {
  constructor(inbox) { this.inbox = inbox; this.app = inbox.app; this.el = h('aside', { class: 'side', id: 'side-panel' }); }
  t(k, v) { return this.app.t(k, v); }
  fail(e) { this.app.toast(e.field ? `${e.field}: ${e.message}` : e.message); }

  async show(conv) {
    this.conv = conv;
    const api = this.app.api;
    fill(this.el, h('p', { class: 'muted' }, this.t('loading')));
    const mine = conv.assigneeAgentId === this.app.me.agent.id;
    const [contact, notes, agents, teams, cases, convs, mates] = await Promise.all([
      conv.contactId && this.app.can('contacts:read') ? api.get(`/api/v1/contacts/${conv.contactId}`).catch(() => null) : null,
      api.get(`/api/v1/conversations/${conv.id}/notes`).catch(() => ({ items: [] })),
      this.app.can('inbox:assign') && this.app.can('agents:read') ? api.get('/api/v1/agents?limit=200').catch(() => ({ items: [] })) : { items: [] },
      this.app.can('inbox:assign') && this.app.can('teams:read') ? api.get('/api/v1/teams').catch(() => ({ items: [] })) : { items: [] },
      conv.contactId && this.app.can('cases:read') ? api.get(`/api/v1/cases?contactId=${conv.contactId}&limit=5`).catch(() => ({ items: [] })) : null,
      conv.contactId ? api.get(`/api/v1/conversations?view=all&contactId=${conv.contactId}&limit=10`).catch(() => ({ items: [] })) : null,
      mine && this.app.can('inbox:take') && !this.app.can('inbox:assign') ? api.get(`/api/v1/conversations/${conv.id}/teammates`).catch(() => ({ items: [] })) : null,
    ]);
    if (this.conv?.id !== conv.id) return;
    fill(this.el, 
      h('div', { class: 'side-head' }, h('strong', {}, this.t('details')), h('button', { class: 'link', 'aria-label': this.t('close'), onclick: () => this.inbox.toggleSide(false) }, '×')),
      this.contactBox(contact, conv),
      cases ? this.casesBox(cases.items || []) : null,
      convs ? this.conversationsBox(conv, convs.items || []) : null,
      this.app.can('inbox:send') ? this.labelsBox(conv) : null,
      this.app.can('inbox:send') ? this.snoozeBox(conv) : null,
      this.app.can('inbox:assign') ? this.transferBox(conv, agents.items || [], teams.items || []) : null,
      !this.app.can('inbox:assign') && this.app.can('inbox:take') && conv.assigneeAgentId === this.app.me.agent.id ? this.handOverBox(conv, mates?.items || []) : null,
      this.notesBox(conv, notes.items || [], agents.items || []));
  }

  section(title, ...children) { return h('section', { class: 'side-sec' }, h('h4', {}, title), ...children); }

  contactBox(c, conv) {
    if (!c) {
      // The contact record may be outside the agent's data scope; the
      // conversation still names the customer.
      const phone = conv.contactPhone ? (conv.contactPhone.startsWith('+') ? conv.contactPhone : `+${conv.contactPhone}`) : '—';
      return this.section(this.t('contact'), h('dl', { class: 'review' }, h('dt', {}, this.t('name')), h('dd', {}, conv.contactName || '—'),
        h('dt', {}, this.t('phone')), h('dd', {}, phone)));
    }
    let attrs = c.attributes;
    if (typeof attrs === 'string') { try { attrs = JSON.parse(attrs); } catch { attrs = null; } }
    const dl = h('dl', { class: 'review' }, h('dt', {}, this.t('name')), h('dd', {}, c.name || '—'),
      h('dt', {}, this.t('phone')), h('dd', {}, c.phoneE164 || c.waId || '—'),
      ...Object.entries(attrs || {}).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]));
    return this.section(this.t('contact'), dl,
      (c.tags || []).length ? h('div', {}, ...c.tags.map((tg) => h('span', { class: 'chip' }, tg))) : null,
      c.optedOut ? h('span', { class: 'chip warn' }, this.t('optedOut')) : null);
  }

  // casesBox: the customer's cases (collections: what the chat is about).
  casesBox(cases) {
    if (!cases.length) return this.section(this.t('cases'), h('p', { class: 'muted', id: 'side-cases' }, '—'));
    const rupiah = new Intl.NumberFormat('id-ID', { style: 'currency', currency: 'IDR', maximumFractionDigits: 0 });
    return this.section(this.t('cases'), h('ul', { class: 'side-cases', id: 'side-cases' }, ...cases.map((c) => h('li', { dataset: { case: c.reference } },
      h('strong', {}, c.reference), ' ', h('span', { class: 'chip' }, this.t(`case.${c.status}`)),
      h('div', { class: 'muted' }, `${this.t('outstanding')}: ${rupiah.format(c.outstanding || c.amount || 0)}`,
        c.dueDate ? ` · ${this.t('dueDate')}: ${String(c.dueDate).slice(0, 10)}` : '', c.dpd != null ? ` · DPD ${c.dpd}` : '')))));
  }

  // conversationsBox: the customer's other conversations (other numbers,
  // earlier chats) the agent may see; a click opens one.
  conversationsBox(conv, items) {
    const others = items.filter((c) => c.id !== conv.id);
    if (!others.length) return this.section(this.t('prevConversations'), h('p', { class: 'muted', id: 'side-convs' }, this.t('noPrevConversations')));
    return this.section(this.t('prevConversations'), h('ul', { class: 'side-convs', id: 'side-convs' }, ...others.map((c) => h('li', {},
      h('button', { type: 'button', class: 'link', dataset: { conv: c.id }, onclick: () => this.inbox.open(c.id) },
        `${this.t(`filter.status.${c.status}`)} · ${this.app.i18n.time(c.lastMessageAt || c.createdAt)}`),
      h('div', { class: 'muted' }, c.lastPreview || '', c.senderNumber ? ` · ${this.t('viaShort', { n: c.senderNumber })}` : '')))));
  }

  labelsBox(conv) {
    const input = h('input', { id: 'side-labels', value: (conv.labels || []).join(', '), placeholder: 'janji-bayar, vip' });
    const save = async () => {
      const labels = input.value.split(',').map((x) => x.trim()).filter(Boolean);
      try { await this.app.api.put(`/api/v1/conversations/${conv.id}/labels`, { labels }); conv.labels = labels; this.app.toast(this.t('saved')); this.inbox.scheduleList(); } catch (e) { this.fail(e); }
    };
    return this.section(this.t('labels'), h('div', { class: 'row-inline' }, input, h('button', { id: 'side-labels-save', onclick: save }, this.t('save'))));
  }

  snoozeBox(conv) {
    const until = (kind) => {
      const now = new Date();
      if (kind === '1h') return new Date(now.getTime() + 3600e3);
      if (kind === '4h') return new Date(now.getTime() + 4 * 3600e3);
      // Tomorrow 08:00 in Jakarta (UTC+7, no daylight saving).
      const j = new Date(now.getTime() + 7 * 3600e3);
      return new Date(Date.UTC(j.getUTCFullYear(), j.getUTCMonth(), j.getUTCDate() + 1, 1, 0));
    };
    const go = async (kind) => {
      try { await this.app.api.post(`/api/v1/conversations/${conv.id}/snooze`, { until: until(kind).toISOString() }); this.app.toast(this.t('snoozed')); this.inbox.scheduleList(); } catch (e) { this.fail(e); }
    };
    return this.section(this.t('snooze'), h('div', { class: 'row-inline' },
      h('button', { id: 'side-snooze-1h', onclick: () => go('1h') }, this.t('in1h')), h('button', { id: 'side-snooze-4h', onclick: () => go('4h') }, this.t('in4h')),
      h('button', { id: 'side-snooze-tomorrow', onclick: () => go('tomorrow') }, this.t('tomorrow8'))),
    conv.snoozedUntil ? h('p', { class: 'muted' }, `${this.t('snoozedUntil')} ${this.app.i18n.dateTime(conv.snoozedUntil)}`) : null);
  }

  transferBox(conv, agents, teams) {
    const sel = h('select', { id: 'side-transfer' }, h('option', { value: '' }, this.t('transferTo')),
      ...agents.filter((a) => a.status === 'active').map((a) => h('option', { value: `a${a.id}`, selected: a.id === conv.assigneeAgentId }, `${a.name} (${this.t(a.presence)})`)),
      ...teams.map((t) => h('option', { value: `t${t.id}` }, `${this.t('teamCol')}: ${t.name}`)));
    const go = async () => {
      if (!sel.value) return;
      const body = sel.value.startsWith('a') ? { agentId: Number(sel.value.slice(1)) } : { teamId: Number(sel.value.slice(1)) };
      try { await this.app.api.post(`/api/v1/conversations/${conv.id}/assign`, body); this.app.toast(this.t('saved')); this.inbox.reload(); } catch (e) { this.fail(e); }
    };
    return this.section(this.t('transfer'), h('div', { class: 'row-inline' }, sel, h('button', { id: 'side-transfer-go', onclick: go }, this.t('transfer'))));
  }

  // handOverBox: the assignee hands its chat to a teammate or back to the
  // team queue (inbox:take).
  handOverBox(conv, mates) {
    const sel = h('select', { id: 'side-handover', 'aria-label': this.t('transferTo') }, h('option', { value: '' }, this.t('transferTo')),
      h('option', { value: 'queue' }, this.t('backToQueue')),
      ...mates.map((a) => h('option', { value: String(a.id) }, `${a.name} (${this.t(a.presence)})`)));
    const go = async () => {
      if (!sel.value) return;
      const body = sel.value === 'queue' ? { queue: true } : { agentId: Number(sel.value) };
      try { await this.app.api.post(`/api/v1/conversations/${conv.id}/transfer`, body); this.app.toast(this.t('saved')); this.inbox.reload(); } catch (e) { this.fail(e); }
    };
    return this.section(this.t('transfer'), h('div', { class: 'row-inline' }, sel, h('button', { id: 'side-handover-go', onclick: go }, this.t('transfer'))));
  }

  notesBox(conv, notes, agents) {
    const names = new Map(agents.map((a) => [a.id, a.name]));
    names.set(this.app.me.agent.id, this.app.me.agent.name);
    const list = h('ol', { class: 'notes', id: 'side-notes' }, ...notes.map((n) => h('li', { class: 'note' },
      h('div', {}, n.body), h('div', { class: 'muted' }, `${names.get(n.agentId) || `#${n.agentId}`} · ${this.app.i18n.dateTime(n.createdAt)}`))));
    const ta = h('textarea', { id: 'side-note-text', rows: 2, placeholder: this.t('notePlaceholder') });
    const add = async () => {
      const body = ta.value.trim();
      if (!body) return;
      try { await this.app.api.post(`/api/v1/conversations/${conv.id}/notes`, { body }); ta.value = ''; this.show(conv); } catch (e) { this.fail(e); }
    };
    return this.section(this.t('notes'), h('p', { class: 'muted' }, this.t('notesHelp')), list, ta,
      this.app.can('inbox:send') ? h('button', { id: 'side-note-add', onclick: add }, this.t('addNote')) : null);
  }
}
