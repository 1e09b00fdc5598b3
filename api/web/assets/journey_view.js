// The journey's page: its status and actions (launch, pause, resume,
// cancel), enrolling a segment, pasted phone numbers or contact ids, or the
// contacts of a finished import (with the counts the API answered), and the
// funnel of the current version per step, read again every few seconds
// while the page is open.
import { h, add, fill, statusChip } from './page.js';
import { stepLabel, showFieldError, clearFieldErrors } from './journey_builder.js';

// REFRESH is the funnel's period (ms) while the page is open.
export const REFRESH = 3000;
const COUNTERS = ['entered', 'sent', 'replied', 'branched', 'exited'];
const ENROLLED = ['running', 'completed', 'exited', 'cancelled'];
// APPLIES: the step kinds that move a counter (entered and exited: all).
const APPLIES = { sent: ['send_template', 'ask_promise_date'], replied: ['wait_for_reply', 'ask_promise_date'], branched: ['branch'] };

function stat(label, value, key) {
  return h('div', { class: 'stat', dataset: { k: key } }, h('strong', {}, String(value ?? 0)), h('span', {}, label));
}

export class JourneyView {
  constructor(page, id) { this.page = page; this.id = id; this.j = null; this.rows = []; this.busy = false; }
  t(k, v) { return this.page.t(k, v); }

  async mount() {
    const p = this.page;
    this.body = p.shell(this.t('journey'), h('button', { onclick: () => p.app.navigate('/journeys') }, this.t('back')));
    this.head = h('div', { class: 'card camp-head', id: 'jv-head' });
    this.enrollEl = h('div', { class: 'card', id: 'jv-enroll' });
    this.funnelEl = h('div', { class: 'card', id: 'jv-funnel-card' });
    this.err = p.errorBox();
    add(this.body, this.head, this.err, this.enrollEl, this.funnelEl);
    const launch = p.can('campaigns:launch');
    const [senders, segs, jobs] = await Promise.all([p.api.get('/api/v1/senders').catch(() => ({ data: [] })),
      launch ? p.api.get('/api/v1/segments?limit=200').catch(() => ({ items: [] })) : { items: [] },
      launch && p.can('contacts:import') ? p.api.get('/api/v1/intake?limit=100').catch(() => null) : null]);
    this.senders = senders.data || [];
    this.segments = segs.items || [];
    // The finished imports (null: the caller may not list imports).
    this.jobs = jobs && (jobs.items || []).filter((x) => x.status === 'completed');
    if (await this.load()) this.paintEnroll();
    p.every(REFRESH, () => this.load());
  }
  destroy() { this.gone = true; }

  // load reads the journey and its funnel (one at a time: a slow answer is
  // not overtaken by the next tick).
  async load() {
    if (this.busy || this.gone) return false;
    this.busy = true;
    try {
      const [j, f] = await Promise.all([this.page.api.get(`/api/v1/journeys/${this.id}`), this.page.api.get(`/api/v1/journeys/${this.id}/funnel`)]);
      if (this.gone) return false;
      const moved = this.j?.status !== j.status;
      this.j = j; this.rows = f.rows || [];
      this.paintHead();
      this.paintFunnel();
      if (moved && this.enrollEl.firstChild) this.paintEnroll();
      return true;
    } catch (e) { this.page.fail(e); return false; } finally { this.busy = false; }
  }

  async act(action, btn) {
    if (action === 'cancel' && !confirm(this.t('jr.confirmCancel'))) return;
    btn.disabled = true;
    try {
      this.j = await this.page.api.post(`/api/v1/journeys/${this.id}/${action}`);
      this.err.show(null);
      this.paintHead();
      this.paintEnroll();
    } catch (e) {
      btn.disabled = false;
      // A launch refused for a field of the builder (the number, a step's
      // template): the message, and a way to that field.
      const p = this.page;
      if (e.field && e.field !== 'status' && p.can('campaigns:write')) {
        this.err.show({ message: e.message });
        this.err.append(' ', h('button', { type: 'button', class: 'link', id: 'jv-fix', onclick: () => {
          p.app.fieldError = { journey: this.id, field: e.field, message: e.message };
          p.app.navigate(`/journeys/${this.id}/edit`);
        } }, this.t('jr.fixInBuilder')));
        return;
      }
      this.err.show(e);
    }
  }

  paintHead() {
    const p = this.page, j = this.j;
    const btn = (action, label) => h('button', { type: 'button', id: `jv-${action}`, class: action === 'launch' ? 'primary' : action === 'cancel' ? 'danger' : '',
      onclick: (ev) => this.act(action, ev.target) }, this.t(label));
    const actions = h('div', { class: 'page-actions' });
    if (p.can('campaigns:write') && j.status !== 'archived') add(actions, h('button', { type: 'button', id: 'jv-edit', onclick: () => p.app.navigate(`/journeys/${this.id}/edit`) }, this.t('jr.edit')));
    if (p.can('campaigns:launch')) {
      if (j.status === 'draft') add(actions, btn('launch', 'launch'));
      if (j.status === 'live') add(actions, btn('pause', 'pause'));
      if (j.status === 'paused') add(actions, btn('resume', 'resume'));
      if (j.status !== 'archived') add(actions, btn('cancel', 'cancel'));
    }
    const sender = this.senders.find((s) => s.id === j.senderId);
    const q = j.quietHours || {};
    const days = (q.days?.length ? q.days : [1, 2, 3, 4, 5, 6]).slice().sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7)).map((n) => this.t(`day${n}`)).join(', ');
    fill(this.head,
      h('div', { class: 'row' }, h('h3', { id: 'jv-name' }, j.name), h('span', { id: 'jv-status' }, statusChip(p, j.status)), actions),
      h('dl', { class: 'review' },
        h('dt', {}, this.t('jr.version')), h('dd', { id: 'jv-version' }, `v${j.currentVersion}`),
        h('dt', {}, this.t('jr.sender')), h('dd', { id: 'jv-sender' }, sender ? (sender.displayNumber || sender.phoneNumberId) : j.senderId ? `#${j.senderId}` : '—'),
        h('dt', {}, this.t('quietHours')), h('dd', {}, `${days} ${q.from || '08:00'}–${q.to || '20:00'}`),
        h('dt', {}, this.t('jr.steps')), h('dd', { id: 'jv-steps' }, (j.definition?.steps || []).map((s) => stepLabel(this.t.bind(this), j.definition.steps, s.id)).join(' → '))),
      h('div', { class: 'muted' }, this.t('jr.enrollments')),
      h('div', { class: 'stats', id: 'jv-enrollments' }, ...ENROLLED.map((k) => stat(this.t(`jr.${k}`), j.enrollments?.[k], k))));
  }

  // paintEnroll: who to enrol (a segment, a pasted list of phone numbers
  // or contact ids, a finished import), the counts the API answered, and
  // its error beside the field it names.
  paintEnroll() {
    const p = this.page, j = this.j, t = this.t.bind(this);
    if (!p.can('campaigns:launch')) { fill(this.enrollEl); this.enrollEl.hidden = true; return; }
    const form = h('div', { id: 'jv-enroll-form' });
    const result = h('div', { id: 'jv-enroll-result' });
    const err = p.errorBox();
    const modes = [['segment', 'jr.bySegment'], ['list', 'jr.byList'], ...(this.jobs ? [['intake', 'jr.byIntake']] : [])];
    const mode = h('select', { id: 'jv-enroll-mode', onchange: () => paintMode() }, ...modes.map(([v, k]) => h('option', { value: v, selected: v === this.mode }, t(k))));
    let read = null; // the request body of the mode, or throws a field error
    const go = h('button', { type: 'button', class: 'primary', id: 'jv-enroll-btn', onclick: () => this.enroll(go, form, err, result, read) }, t('jr.enrollBtn'));
    const paintMode = () => {
      this.mode = mode.value;
      clearFieldErrors(form); err.show(null);
      read = null;
      if (mode.value === 'segment') {
        const select = h('select', { id: 'jv-segment', dataset: { field: 'segmentId' } }, ...this.segments.map((x) => h('option', { value: x.id }, x.name)));
        if (this.segments.length) read = () => ({ segmentId: Number(select.value) });
        fill(form, this.segments.length ? h('label', {}, t('jr.enrollSegment'), select) : h('p', { class: 'empty' }, t('noSegments')));
      } else if (mode.value === 'list') {
        const kind = h('select', { id: 'jv-list-kind', onchange: () => { area.dataset.field = kind.value; count(); } },
          h('option', { value: 'phones' }, t('jr.phones')), h('option', { value: 'contactIds' }, t('jr.contactIds')));
        const area = h('textarea', { id: 'jv-contacts', rows: 5, dataset: { field: 'phones' }, placeholder: t('jr.listHelp'), oninput: () => count() });
        const counter = h('span', { class: 'muted', id: 'jv-list-count' });
        // Phone numbers may hold spaces ("+62 812-..."): one a line, tab
        // or comma (a column pasted from a sheet); ids by spaces too.
        const entries = () => area.value.split(kind.value === 'phones' ? /[\n\t,;]+/ : /[\s,;]+/).map((x) => x.trim()).filter(Boolean);
        const count = () => { counter.textContent = t('jr.listCount', { n: entries().length }); };
        read = () => {
          const list = entries();
          if (!list.length) throw { field: kind.value, message: t('jr.listEmpty') };
          if (kind.value === 'phones') return { phones: list };
          const bad = list.findIndex((x) => !/^[1-9]\d{0,17}$/.test(x));
          if (bad >= 0) throw { field: `contactIds[${bad}]`, message: t('jr.notAnId', { v: list[bad] }) };
          return { contactIds: list.map(Number) };
        };
        fill(form, h('div', { class: 'row-inline' }, h('label', {}, t('jr.listKind'), kind), counter), h('label', {}, t('jr.list'), area));
        count();
      } else {
        const select = h('select', { id: 'jv-intake', dataset: { field: 'intakeJobId' } }, ...this.jobs.map((x) => h('option', { value: x.id },
          `#${x.id} · ${x.fileName || t('jr.apiBatch')} · ${t('jr.rowsN', { n: x.totalRows })} · ${p.time(x.finishedAt || x.updatedAt)}`)));
        if (this.jobs.length) read = () => ({ intakeJobId: Number(select.value) });
        fill(form, this.jobs.length ? h('label', {}, t('jr.intakeJob'), select) : h('p', { class: 'empty' }, t('jr.noIntake')));
      }
      go.disabled = j.status !== 'live' || !read;
    };
    fill(this.enrollEl, h('h3', {}, t('jr.enroll')),
      h('div', { class: 'row-inline' }, h('label', {}, t('jr.enrollBy'), mode)), form, h('div', { class: 'row-inline' }, go),
      j.status !== 'live' ? h('p', { class: 'muted' }, t('jr.enrollLive')) : null, err, result);
    paintMode();
  }

  // enroll posts the mode's audience; the API's error shows beside the
  // field it names (phones[3]: the pasted list), else below the form.
  async enroll(go, form, err, result, read) {
    const p = this.page;
    clearFieldErrors(form); err.show(null);
    let body;
    try { body = read(); } catch (e) { if (!showFieldError(form, e)) err.show(e); return; }
    go.disabled = true;
    try {
      const out = await p.api.post(`/api/v1/journeys/${this.id}/enroll`, body);
      fill(result, h('p', {}, this.t('jr.enrollDone', { n: out.enrolled })), h('div', { class: 'stats' },
        ...['matched', 'enrolled', 'alreadyRunning', 'optedOut', 'notFound'].map((k) => stat(this.t(`jr.${k}`), out[k], k))));
      this.load();
    } catch (e) {
      fill(result);
      if (!showFieldError(form, e)) err.show(e);
    } finally { go.disabled = this.j.status !== 'live'; }
  }

  // paintFunnel: per step of the current version, entered / sent /
  // replied / branched (by target) / exited (by reason).
  paintFunnel() {
    const j = this.j, steps = j.definition?.steps || [];
    const t = this.t.bind(this);
    const cur = this.rows.filter((r) => r.version === j.currentVersion);
    const sum = (id, c) => cur.filter((r) => r.stepId === id && r.counter === c).reduce((a, r) => a + r.n, 0);
    const parts = (id, c, name) => cur.filter((r) => r.stepId === id && r.counter === c && r.n)
      .map((r) => h('span', { class: 'chip jv-part', dataset: { detail: r.detail || '', n: r.n } }, `${name(r.detail)}: ${r.n}`));
    const max = Math.max(1, ...steps.map((s) => sum(s.id, 'entered')));
    const rows = steps.map((s) => {
      const n = Object.fromEntries(COUNTERS.map((c) => [c, sum(s.id, c)]));
      // A counter the step's kind never moves shows a dash, not a zero.
      const cell = (c, extra) => h('td', { class: 'num', dataset: { k: c, n: n[c] } },
        APPLIES[c] && !APPLIES[c].includes(s.kind) && !n[c] ? h('span', { class: 'muted' }, '–') : h('strong', {}, String(n[c])),
        extra?.length ? h('div', { class: 'jv-parts' }, ...extra) : null);
      return h('tr', { dataset: { step: s.id } },
        h('td', {}, stepLabel(t, steps, s.id), h('span', { class: 'funnel-track' }, h('span', { class: 'funnel-bar', style: { width: `${Math.round((100 * n.entered) / max)}%` } }))),
        cell('entered'), cell('sent'), cell('replied'),
        cell('branched', parts(s.id, 'branched', (d) => `→ ${d === 'end' || !d ? t('jr.end') : stepLabel(t, steps, d)}`)),
        cell('exited', parts(s.id, 'exited', (d) => (t(`x.${d}`) === `x.${d}` ? d : t(`x.${d}`)))));
    });
    const others = [...new Set(this.rows.filter((r) => r.version !== j.currentVersion).map((r) => `v${r.version}`))];
    fill(this.funnelEl, h('h3', {}, this.t('jr.funnel', { v: j.currentVersion })),
      h('p', { class: 'muted' }, this.t('jr.refreshing', { s: REFRESH / 1000 })),
      this.page.table([this.t('jr.steps'), ...COUNTERS.map((c) => this.t(`c.${c}`))], rows, { id: 'jv-funnel' }),
      others.length ? h('p', { class: 'muted' }, this.t('jr.otherVersions', { v: others.join(', ') })) : null);
  }
}
