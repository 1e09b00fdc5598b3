// Reports: a date range (Jakarta days) with team, agent, number and label
// filters; KPIs, charts drawn as plain SVG, breakdown tables, and CSV/XLSX
// export of the same filter. Numbers come from /api/v1/reports (rollups).
import { Page, h, fill } from './page.js';
import { reportsNav } from './floor.js';

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// dayISO is a Jakarta calendar day as YYYY-MM-DD.
function dayISO(d) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

function addDays(iso, n) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export class ReportsPage extends Page {
  mount() {
    const today = dayISO(new Date());
    const q = new URLSearchParams(location.search);
    this.f = { from: q.get('from') || addDays(today, -6), to: q.get('to') || today, teamId: q.get('teamId') || '', agentId: q.get('agentId') || '', senderId: q.get('senderId') || '', label: q.get('label') || '' };
    this.err = this.errorBox();
    const dl = (fmt) => h('button', { type: 'button', id: `rep-export-${fmt}`, onclick: () => this.export(fmt) }, this.t(`rep.export.${fmt}`));
    this.body = this.shell(this.t('reports'), dl('csv'), dl('xlsx'));
    this.out = h('div', { class: 'rep-out', id: 'rep-out' });
    this.body.append(reportsNav(this), this.filters(), this.err, this.out);
    this.loadOptions();
    this.load();
  }

  query() {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(this.f)) if (v) p.set(k, v);
    return p.toString();
  }

  filters() {
    const date = (k) => h('input', { type: 'date', id: `rep-${k}`, value: this.f[k], onchange: (e) => { this.f[k] = e.target.value; } });
    const quick = (n) => h('button', { type: 'button', class: 'chip-btn', dataset: { days: n }, onclick: () => {
      this.f.to = dayISO(new Date()); this.f.from = addDays(this.f.to, -(n - 1));
      this.root.querySelector('#rep-from').value = this.f.from; this.root.querySelector('#rep-to').value = this.f.to;
      this.load();
    } }, this.t('rep.lastDays', { n }));
    this.selTeam = h('select', { id: 'rep-team', onchange: (e) => { this.f.teamId = e.target.value; this.load(); } }, h('option', { value: '' }, this.t('rep.allTeams')));
    this.selAgent = h('select', { id: 'rep-agent', onchange: (e) => { this.f.agentId = e.target.value; this.load(); } }, h('option', { value: '' }, this.t('rep.allAgents')));
    this.selNumber = h('select', { id: 'rep-number', onchange: (e) => { this.f.senderId = e.target.value; this.load(); } }, h('option', { value: '' }, this.t('rep.allNumbers')));
    const label = h('input', { id: 'rep-label', value: this.f.label, placeholder: this.t('rep.labelAny'), onchange: (e) => { this.f.label = e.target.value.trim(); } });
    return h('form', { class: 'rep-filters card', id: 'rep-filters', onsubmit: (e) => { e.preventDefault(); this.load(); } },
      h('label', {}, this.t('rep.from'), date('from')),
      h('label', {}, this.t('rep.to'), date('to')),
      h('label', {}, this.t('teams'), this.selTeam),
      h('label', {}, this.t('agents'), this.selAgent),
      h('label', {}, this.t('rep.number'), this.selNumber),
      h('label', {}, this.t('rep.label'), label),
      h('div', { class: 'rep-quick' }, quick(7), quick(30), quick(90),
        h('button', { type: 'submit', class: 'primary', id: 'rep-apply' }, this.t('rep.apply'))));
  }

  async loadOptions() {
    const opt = (sel, items, name, cur) => {
      for (const it of items) sel.append(h('option', { value: String(it.id), selected: String(it.id) === cur }, name(it)));
    };
    const get = async (perm, path) => (this.can(perm) ? ((r) => r.items || r.data || [])(await this.api.get(path).catch(() => ({}))) : []);
    const [teams, agents, numbers] = await Promise.all([get('teams:read', '/api/v1/teams'), get('agents:read', '/api/v1/agents?limit=200'), get('senders:read', '/api/v1/senders')]);
    opt(this.selTeam, teams, (t) => t.name, this.f.teamId);
    opt(this.selAgent, agents, (a) => a.name, this.f.agentId);
    opt(this.selNumber, numbers, (n) => n.displayNumber || n.phoneNumberId || `#${n.id}`, this.f.senderId);
  }

  async load() {
    const fresh = this.turn();
    this.err.show(null);
    this.root.querySelector('#rep-out')?.setAttribute('aria-busy', 'true');
    history.replaceState(null, '', `/reports?${this.query()}`);
    try {
      const r = await this.api.get(`/api/v1/reports?${this.query()}`);
      if (!fresh()) return;
      this.r = r;
      this.render(r);
    } catch (e) {
      if (fresh()) { this.err.show(e); fill(this.out); }
    }
  }

  async export(fmt) {
    try {
      await this.api.download(`/api/v1/reports/export?format=${fmt}&${this.query()}`, `laporan-${this.f.from}-${this.f.to}.${fmt}`);
    } catch (e) { this.err.show(e); }
  }

  num(v) { return new Intl.NumberFormat(this.app.i18n.locale()).format(v || 0); }
  idr(v) { return new Intl.NumberFormat(this.app.i18n.locale(), { style: 'currency', currency: 'IDR', maximumFractionDigits: 2 }).format(v || 0); }
  dur(sec) {
    if (sec === null || sec === undefined) return '–';
    const m = Math.round(sec / 60);
    if (sec < 60) return `${Math.round(sec)} ${this.t('rep.sec')}`;
    if (m < 60) return `${m} ${this.t('rep.min')}`;
    const hh = Math.floor(m / 60), mm = m % 60;
    return mm ? `${hh} ${this.t('rep.hour')} ${mm} ${this.t('rep.min')}` : `${hh} ${this.t('rep.hour')}`;
  }
  day(iso) { return new Intl.DateTimeFormat(this.app.i18n.locale(), { day: '2-digit', month: 'short', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`)); }

  render(r) {
    const t = r.Totals || r.totals || {};
    const stat = (k, v, sub, kind = '') => h('div', { class: `stat ${kind}`.trim(), dataset: { k } }, h('strong', {}, v), h('span', {}, this.t(`rep.k.${k}`)), sub ? h('small', { class: 'muted' }, sub) : null);
    const fr = t.firstResponse || {}, rs = t.resolution || {};
    const kpis = h('div', { class: 'stats rep-kpis', id: 'rep-kpis' },
      stat('conversationsNew', this.num(t.conversationsNew)),
      stat('conversationsResolved', this.num(t.conversationsResolved)),
      stat('conversationsReopened', this.num(t.conversationsReopened)),
      stat('frtP50', this.dur(fr.p50Seconds), `p90 ${this.dur(fr.p90Seconds)}`),
      stat('resP50', this.dur(rs.p50Seconds), `p90 ${this.dur(rs.p90Seconds)}`),
      stat('messages', `${this.num(t.messagesIn)} / ${this.num(t.messagesOut)}`, this.t('rep.templatesSent', { n: this.num(t.templatesSent) })),
      stat('delivery', `${this.num(t.delivered)} / ${this.num(t.read)}`, t.optedOut ? this.t('rep.optedOutN', { n: this.num(t.optedOut) }) : null),
      stat('failed', this.num(t.failed), null, t.failed ? 'bad' : ''),
      stat('cost', this.idr(t.costIdr), this.t('rep.billableFree', { b: this.num(t.billable), f: this.num(t.free) })),
      this.csatStat(stat, (r.csat || {}).totals || {}));
    const note = r.labelNote ? h('p', { class: 'muted' }, this.t('rep.labelNote')) : null;
    const daily = r.daily || [];
    const charts = h('div', { class: 'rep-charts' },
      this.chart('rep-chart-daily', this.t('rep.chart.daily'), daily.map((d) => this.day(d.day)), [
        { key: 'new', label: this.t('rep.k.conversationsNew'), values: daily.map((d) => d.conversationsNew) },
        { key: 'resolved', label: this.t('rep.k.conversationsResolved'), values: daily.map((d) => d.conversationsResolved) }]),
      this.chart('rep-chart-hod', this.t('rep.chart.hod'), (r.hourOfDay || []).map((x) => String(x.hour).padStart(2, '0')), [
        { key: 'new', label: this.t('rep.k.conversationsNew'), values: (r.hourOfDay || []).map((x) => x.conversationsNew) },
        { key: 'frt', label: this.t('rep.frtMinutes'), values: (r.hourOfDay || []).map((x) => Math.round((x.firstResponse?.p50Seconds || 0) / 60)) }]),
      this.chart('rep-chart-cost', this.t('rep.chart.cost'), daily.map((d) => this.day(d.day)), [
        { key: 'cost', label: this.t('rep.k.cost'), values: daily.map((d) => d.costIdr), fmt: (v) => this.idr(v) }]),
      this.labelChart(daily, r.labels || [], r.labelTrend || []),
      this.chart('rep-chart-csat', this.t('rep.chart.csat'), ['1', '2', '3', '4', '5'], [
        { key: 'csat', label: this.t('rep.responses'), values: ((r.csat || {}).totals || {}).distribution || [0, 0, 0, 0, 0] }]));
    const timing = (m) => [this.dur(m.firstResponse?.p50Seconds), this.dur(m.firstResponse?.p90Seconds), this.dur(m.resolution?.p50Seconds)];
    const agents = this.section('rep-agents', this.t('rep.agents'), this.table(
      [this.t('name'), this.t('rep.handled'), this.t('rep.msgOut'), this.t('rep.frtP50'), this.t('rep.frtP90'), this.t('rep.resP50'), this.t('rep.online')],
      (r.agents || []).map((a) => [a.name, this.num(a.conversationsResolved), this.num(a.messagesOut), ...timing(a), a.onlineSeconds ? this.dur(a.onlineSeconds) : '–'])));
    const group = (id, title, rows) => this.section(id, title, this.table(
      [this.t('name'), this.t('rep.k.conversationsNew'), this.t('rep.k.conversationsResolved'), this.t('rep.frtP50'), this.t('rep.frtP90'), this.t('rep.resP50'), this.t('rep.msgInOut'), this.t('rep.k.cost')],
      rows.map((g) => [g.name, this.num(g.conversationsNew), this.num(g.conversationsResolved), ...timing(g), `${this.num(g.messagesIn)} / ${this.num(g.messagesOut)}`, this.idr(g.costIdr)])));
    const labels = this.section('rep-labels', this.t('rep.labels'), this.table(
      [this.t('rep.label'), this.t('rep.k.conversationsNew'), this.t('rep.k.conversationsResolved'), this.t('rep.frtP50')],
      (r.labels || []).map((l) => [l.label, this.num(l.conversationsNew), this.num(l.conversationsResolved), this.dur(l.firstResponse?.p50Seconds)])));
    const c = r.cases || {};
    const caseRow = (b) => [b.bucket || this.t('all'), this.num(b.assigned), this.num(b.contacted), this.num(b.promiseMade), this.num(b.promiseKept), this.num(b.promiseBroken),
      `${Math.round((b.keptRate || 0) * 100)}%`, this.num(b.paid), this.idr(b.recoveredIdr)];
    const cases = this.section('rep-cases', this.t('rep.cases'), this.table(
      [this.t('rep.bucket'), this.t('rep.assigned'), this.t('rep.contacted'), this.t('rep.ptpMade'), this.t('rep.ptpKept'), this.t('rep.ptpBroken'), this.t('rep.keptRate'), this.t('rep.paid'), this.t('rep.recovered')],
      [caseRow(c), ...(r.caseBuckets || []).map(caseRow)]));
    const camps = this.section('rep-campaigns', this.t('campaigns'), this.table(
      [this.t('campaign'), this.t('sent'), this.t('delivered'), this.t('read'), this.t('rep.replied'), this.t('failed'), this.t('rep.optedOut'), this.t('rep.k.cost')],
      (r.campaigns || []).map((x) => [x.name, this.num(x.sent), this.num(x.delivered), this.num(x.read), this.num(x.replied), this.num(x.failed), this.num(x.optedOut),
        x.billable ? this.idr(x.costIdr) : this.t('rep.free')])));
    const fails = this.section('rep-failures', this.t('rep.failures'), this.table(
      [this.t('rep.code'), this.t('rep.reason'), this.t('rep.count')],
      (r.failures || []).map((x) => [String(x.code), this.t(`err.${x.code}`) === `err.${x.code}` ? x.reason : this.t(`err.${x.code}`), this.num(x.count)])));
    const cost = this.section('rep-cost', this.t('rep.costTitle'), this.table(
      [this.t('rep.category'), this.t('rep.type'), this.t('rep.count'), this.t('rep.billable'), this.t('rep.k.cost')],
      (r.cost || []).map((x) => [x.category, x.free ? h('span', { class: 'chip st-free' }, this.t('rep.free')) : x.type, this.num(x.messages), this.num(x.billable), x.free ? this.t('rep.free') : this.idr(x.costIdr)])));
    fill(this.out, kpis, note, charts,
      h('div', { class: 'rep-grid' }, agents, group('rep-teams', this.t('teams'), r.teams || []), group('rep-numbers', this.t('rep.numbers'), r.numbers || []),
        this.csatSection(r.csat || {}), this.slaSection(r.sla || {}), labels, cases, camps, this.journeySection(r.journeys || []), fails, cost));
    this.out.removeAttribute('aria-busy');
  }

  pct(v) { return v === null || v === undefined ? '–' : new Intl.NumberFormat(this.app.i18n.locale(), { style: 'percent', maximumFractionDigits: 1 }).format(v / 100); }
  avg(v) { return v === null || v === undefined ? '–' : new Intl.NumberFormat(this.app.i18n.locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v); }

  // csatStat: the average rating out of 5, with the responses and the
  // share of 4-5 under it.
  csatStat(stat, c) {
    return stat('csat', c.responses ? `${this.avg(c.average)} / 5` : '–', this.t('rep.csatSub', { n: this.num(c.responses), p: this.pct(c.satisfiedPct) }));
  }

  // csatSection: the total, every agent and every team (the agent and team
  // that served the conversation when it was resolved).
  csatSection(c) {
    const row = (kind, name, x) => [kind, name, this.num(x.responses), this.avg(x.average), ...(x.distribution || [0, 0, 0, 0, 0]).map((n) => this.num(n)), this.pct(x.satisfiedPct)];
    return this.section('rep-csat', this.t('rep.csat'), this.table(
      [this.t('rep.kind'), this.t('name'), this.t('rep.responses'), this.t('rep.average'), ...[1, 2, 3, 4, 5].map((n) => this.t('rep.ratingN', { n })), this.t('rep.satisfied')],
      [row('', this.t('rep.total'), c.totals || {}),
        ...(c.agents || []).map((a) => row(this.t('rep.csatKind.agent'), a.name, a)),
        ...(c.teams || []).map((g) => row(this.t('rep.csatKind.team'), g.name, g))]));
  }

  // slaSection: the SLA alerts recorded in the range, in total and per
  // agent and team serving the wait.
  slaSection(c) {
    const row = (kind, name, x) => [kind, name, this.num(x.near || 0), this.num(x.breached || 0), this.num(x.breachedFirst || 0), this.num(x.breachedNext || 0)];
    return this.section('rep-sla', this.t('rep.sla'), this.table(
      [this.t('rep.kind'), this.t('name'), this.t('rep.slaNear'), this.t('rep.slaBreached'), this.t('rep.slaFirst'), this.t('rep.slaNext')],
      [row('', this.t('rep.total'), c.totals || {}),
        ...(c.agents || []).map((a) => row(this.t('rep.csatKind.agent'), a.name, a)),
        ...(c.teams || []).map((g) => row(this.t('rep.csatKind.team'), g.name, g))]));
  }

  // journeySection: each journey's step funnel in the range, one row per
  // version and step (branched and exited summed over their targets and
  // reasons; the journey's page splits them).
  journeySection(rows) {
    const by = new Map();
    for (const x of rows) {
      const k = `${x.journeyId}|${x.version}|${x.stepId}`;
      if (!by.has(k)) by.set(k, { name: x.name, version: x.version, step: x.stepId, entered: 0, sent: 0, replied: 0, branched: 0, exited: 0 });
      by.get(k)[x.counter] = (by.get(k)[x.counter] || 0) + x.n;
    }
    return this.section('rep-journeys', this.t('rep.journeys'), this.table(
      [this.t('rep.journey'), this.t('rep.step'), this.t('rep.entered'), this.t('sent'), this.t('rep.replied'), this.t('rep.branched'), this.t('rep.exited')],
      [...by.values()].map((x) => [`${x.name} (v${x.version})`, x.step, this.num(x.entered), this.num(x.sent), this.num(x.replied), this.num(x.branched), this.num(x.exited)])));
  }

  // labelChart: conversations per day of the three biggest labels.
  labelChart(daily, labels, trend) {
    const top = labels.slice(0, 3).map((l) => l.label);
    if (!top.length) return null;
    const at = new Map(trend.map((x) => [`${x.day}|${x.label}`, x.conversationsNew]));
    return this.chart('rep-chart-labels', this.t('rep.chart.labels'), daily.map((d) => this.day(d.day)),
      top.map((l) => ({ key: l, label: l, values: daily.map((d) => at.get(`${d.day}|${l}`) || 0) })));
  }

  section(id, title, body) { return h('section', { class: 'card rep-sec', id }, h('h3', {}, title), body); }

  // chart draws grouped bars (one colour per series) with a y axis of
  // three ticks; every bar has a <title> with its value for hover.
  chart(id, title, xs, series) {
    const W = 640, H = 220, L = 48, B = 28, T = 10;
    const max = niceMax(Math.max(0, ...series.flatMap((x) => x.values)));
    const n = Math.max(1, xs.length), gw = (W - L - 8) / n, bw = Math.max(1, (gw * 0.8) / series.length);
    const y = (v) => T + (H - T - B) * (1 - v / max);
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
    for (const f of [0, 0.5, 1]) {
      const v = max * f;
      svg.append(s('line', { x1: L, x2: W - 4, y1: y(v), y2: y(v), class: 'grid-line' }),
        s('text', { x: L - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, compact(v)));
    }
    const every = Math.ceil(n / 12);
    xs.forEach((x, i) => {
      series.forEach((se, j) => {
        const v = se.values[i] || 0;
        svg.append(s('rect', { x: L + i * gw + gw * 0.1 + j * bw, y: y(v), width: bw, height: Math.max(0, H - B - y(v)), class: `bar s${j}` },
          s('title', {}, `${x} · ${se.label}: ${se.fmt ? se.fmt(v) : v}`)));
      });
      if (i % every === 0) svg.append(s('text', { x: L + i * gw + gw / 2, y: H - 8, class: 'axis', 'text-anchor': 'middle' }, x));
    });
    const legend = h('div', { class: 'legend' }, ...series.map((se, j) => h('span', { class: `key s${j}` }, se.label)));
    return h('figure', { class: 'card rep-chart', id }, h('figcaption', {}, title), svg, legend);
  }
}

// niceMax rounds an axis maximum up to 2, 5 or 10 x 10^k (at least 2, so
// the middle tick is a whole number).
function niceMax(v) {
  if (v <= 2) return 2;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function compact(v) {
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)}M`.replace('.0', '');
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}jt`.replace('.0', '');
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}rb`.replace('.0', '');
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
