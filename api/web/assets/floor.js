// The live floor: per supervised team the customers waiting and for how
// long, the members' presence and load against capacity; a waiting
// customer is assigned from here. It loads again after events of its
// teams (message, assignment, presence; at most four times a second), so
// nothing needs a refresh, and
// the wait clocks tick in the browser between loads.
import { Page, h, fill } from './page.js';

const pad = (n) => String(n).padStart(2, '0');

export class FloorPage extends Page {
  mount() {
    this.body = this.shell(this.t('floor.title'));
    this.body.append(reportsNav(this));
    this.out = h('div', { id: 'floor', 'aria-live': 'polite' });
    this.body.append(this.out);
    this.skew = 0;
    this.policies = new Map();
    this.load();
    this.every(1000, () => this.tick());
  }

  async load() {
    const latest = this.turn();
    try {
      const [f, p] = await Promise.all([this.api.get('/api/v1/reports/floor'), this.api.get('/api/v1/sla-policies')]);
      if (!latest()) return;
      this.skew = Date.now() - Date.parse(f.now); // the server's clock, for the wait clocks
      this.policies = new Map(p.items.map((x) => [x.teamId, x]));
      this.show(f);
    } catch (e) { this.fail(e); }
  }

  onEvent(e) {
    if (!['message.created', 'conversation.updated', 'agent.presence', 'sla.alert'].includes(e.type)) return;
    // At most four loads a second however busy the teams are: the
    // first event schedules it, the ones until then ride along (a busy
    // floor would otherwise reload on every message).
    if (this.soon) return;
    this.soon = setTimeout(() => { this.soon = null; this.load(); }, 250);
  }

  destroy() { clearTimeout(this.soon); super.destroy(); }

  // wait is how long since iso, by the server's clock: m:ss, or h j m.
  wait(iso) { return this.dur((Date.now() - this.skew - Date.parse(iso)) / 1000); }

  dur(secs) {
    const s = Math.max(0, Math.floor(secs));
    const hrs = Math.floor(s / 3600);
    return hrs ? `${hrs}j ${pad(Math.floor((s % 3600) / 60))}m` : `${Math.floor(s / 60)}:${pad(s % 60)}`;
  }

  tick() {
    for (const el of this.root.querySelectorAll('[data-since]')) el.textContent = this.wait(el.dataset.since);
    for (const el of this.root.querySelectorAll('[data-due]')) this.slaClock(el);
  }

  // slaClock shows the time left to the SLA target, or how long ago it
  // passed; near and breach colour it (the server records the alerts, the
  // clock only counts).
  slaClock(el) {
    const now = Date.now() - this.skew;
    const due = Date.parse(el.dataset.due);
    const state = now >= due || el.dataset.breached ? 'breach' : now >= Date.parse(el.dataset.near) ? 'near' : 'ok';
    el.className = `sla ${state}`;
    el.dataset.state = state;
    el.textContent = state === 'breach'
      ? this.t('floor.slaOver', { t: this.wait(el.dataset.due) })
      : this.t('floor.slaLeft', { t: this.dur((due - now) / 1000) });
    return el;
  }

  // slaForm edits the team's targets (minutes; 0 = none).
  // The form survives the floor's live re-renders (a customer writing
  // while a supervisor types would otherwise throw her input away): the
  // same element is reused until the team's policy changes.
  slaForm(t) {
    const p = this.policies.get(t.id);
    const key = JSON.stringify(p || null);
    this.slaForms ||= new Map();
    const kept = this.slaForms.get(t.id);
    if (kept && kept.key === key) return kept.el;
    const el = this.buildSLAForm(t, p);
    this.slaForms.set(t.id, { key, el });
    return el;
  }

  buildSLAForm(t, p) {
    const mins = (s) => (s ? String(Math.round((s / 60) * 100) / 100) : '');
    const first = h('input', { type: 'number', min: '0', step: 'any', name: 'first', value: mins(p?.firstResponseSecs), 'aria-label': this.t('floor.slaFirst') });
    const next = h('input', { type: 'number', min: '0', step: 'any', name: 'next', value: mins(p?.nextResponseSecs), 'aria-label': this.t('floor.slaNext') });
    const hours = h('input', { type: 'checkbox', name: 'hours', checked: p ? p.businessHours : true });
    const agentZone = h('input', { type: 'checkbox', name: 'agentZone', checked: !!p?.agentZone });
    const save = async (ev) => {
      ev.preventDefault();
      const secs = (el) => Math.round(Number(el.value || 0) * 60);
      // A PUT replaces the policy: what this form does not show (zone, work
      // days and hours, near-breach share) is sent back as it was.
      const kept = p ? { zone: p.zone, workDays: p.workDays, dayStart: p.dayStart, dayEnd: p.dayEnd, nearBreachPct: p.nearBreachPct } : {};
      try {
        await this.api.put(`/api/v1/teams/${t.id}/sla`, { ...kept, firstResponseSecs: secs(first), nextResponseSecs: secs(next),
          businessHours: hours.checked, agentZone: agentZone.checked });
        this.app.toast(this.t('floor.slaSaved', { team: t.name }));
        this.load();
      } catch (e) { this.fail(e); }
    };
    const summary = p ? this.t('floor.slaSummary', { first: mins(p.firstResponseSecs) || '–', next: mins(p.nextResponseSecs) || '–',
      hours: this.t(p.businessHours ? (p.agentZone ? 'floor.slaBusinessAgent' : 'floor.slaBusiness') : 'floor.slaClock') }) : this.t('floor.slaNone');
    return h('details', { class: 'floor-sla' },
      h('summary', {}, summary),
      h('form', { class: 'row-inline', onsubmit: save },
        h('label', {}, this.t('floor.slaFirst'), first), h('label', {}, this.t('floor.slaNext'), next),
        h('label', {}, hours, this.t('floor.slaBusiness')),
        h('label', {}, agentZone, this.t('floor.slaAgentZone')),
        h('button', { type: 'submit', class: 'primary' }, this.t('save'))));
  }

  show(f) {
    if (!f.teams.length) { fill(this.out, h('p', { class: 'empty' }, this.t('floor.noTeams'))); return; }
    const teams = new Map(f.teams.map((t) => [t.id, t]));
    const kpi = (k, v, attrs = {}) => h('div', { class: 'stat', dataset: { k } }, h('strong', attrs, v), h('span', {}, this.t(`floor.${k}`)));
    const team = (t) => h('section', { class: 'card floor-team', dataset: { team: t.id } },
      h('h3', {}, t.name),
      h('div', { class: 'stats floor-kpis' },
        kpi('waiting', String(t.waiting)), kpi('unassigned', String(t.unassigned)),
        kpi('longest', t.longestSince ? this.wait(t.longestSince) : '–', t.longestSince ? { dataset: { since: t.longestSince } } : {}),
        kpi('slaBreached', String(t.slaBreached), t.slaBreached ? { class: 'bad' } : {}), kpi('slaNear', String(t.slaNear))),
      this.slaForm(t),
      h('ul', { class: 'floor-agents' }, ...t.agents.map((a) => h('li', { dataset: { agent: a.id, presence: a.presence } },
        h('span', { class: `dot ${a.presence}`, 'aria-hidden': 'true' }),
        h('span', { class: 'name' }, a.name),
        h('span', { class: 'muted' }, this.t(a.presence)),
        h('span', { class: `load${a.load >= a.capacity ? ' full' : ''}`, title: this.t('floor.load') },
          `${a.load}/${a.capacity}${a.load >= a.capacity ? ` · ${this.t('floor.full')}` : ''}`)))));
    const assign = (w) => {
      const mates = teams.get(w.teamId)?.agents || [];
      const sel = h('select', { 'aria-label': this.t('floor.assignTo') },
        ...mates.map((a) => h('option', { value: String(a.id), selected: a.id === w.assigneeAgentId, disabled: a.load >= a.capacity && a.id !== w.assigneeAgentId },
          `${a.name} (${a.load}/${a.capacity})`)));
      const btn = h('button', { type: 'button', class: 'primary', onclick: async () => {
        btn.disabled = true;
        try {
          await this.api.post(`/api/v1/conversations/${w.conversationId}/assign`, { agentId: Number(sel.value) });
          this.app.toast(this.t('floor.assigned', { name: sel.selectedOptions[0]?.textContent.replace(/ \(.*$/, '') || '' }));
          this.load();
        } catch (e) { this.fail(e); btn.disabled = false; }
      } }, this.t('floor.assign'));
      return h('span', { class: 'row-inline' }, sel, btn, move(w));
    };
    // move hands the customer to another team's queue (its routing and SLA
    // apply from then on).
    const move = (w) => {
      const others = f.teams.filter((t) => t.id !== w.teamId);
      if (!others.length) return null;
      const sel = h('select', { 'aria-label': this.t('floor.moveTo'), class: 'move-team' }, ...others.map((t) => h('option', { value: String(t.id) }, t.name)));
      const btn = h('button', { type: 'button', class: 'move', onclick: async () => {
        btn.disabled = true;
        try {
          await this.api.post(`/api/v1/conversations/${w.conversationId}/assign`, { teamId: Number(sel.value) });
          this.app.toast(this.t('floor.moved', { team: sel.selectedOptions[0]?.textContent || '' }));
          this.load();
        } catch (e) { this.fail(e); btn.disabled = false; }
      } }, this.t('floor.move'));
      return h('span', { class: 'row-inline' }, sel, btn);
    };
    const rows = f.waiting.map((w) => h('tr', { dataset: { conv: w.conversationId } },
      h('td', {}, this.link(`/inbox/${w.conversationId}`, w.customer), h('div', { class: 'muted' }, w.preview)),
      h('td', {}, teams.get(w.teamId)?.name || ''),
      h('td', {}, w.assigneeName || this.t('unassigned')),
      h('td', {}, h('span', { class: 'wait', dataset: { since: w.since } }, this.wait(w.since))),
      h('td', {}, w.slaDueAt ? this.slaClock(h('span', { dataset: { due: w.slaDueAt, near: w.slaNearAt, breached: w.slaBreachedAt || '' } })) : '–'),
      h('td', {}, assign(w))));
    fill(this.out,
      h('div', { class: 'floor-teams' }, ...f.teams.map(team)),
      h('h3', {}, this.t('floor.waitingList')),
      f.more ? h('p', { class: 'muted' }, this.t('floor.more', { n: f.waiting.length })) : null,
      this.table([this.t('floor.customer'), this.t('teams'), this.t('floor.assignee'), this.t('floor.for'), this.t('floor.sla'), this.t('floor.assignTo')], rows, { id: 'floor-waiting' }));
  }
}

// reportsNav links the reports and the floor (both under Laporan).
export function reportsNav(page) {
  return page.subnav([
    { path: '/reports', key: 'reports' },
    { path: '/reports/floor', key: 'floor', perm: 'inbox:assign' },
  ]);
}
