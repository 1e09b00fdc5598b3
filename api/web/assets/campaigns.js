// Campaigns: the list, the wizard (template -> audience -> schedule ->
// review -> launch) and the live progress page with the funnel.
import { Page, h, clear, add, fill, statusChip } from './page.js';
import { templateVars, varLabel, templateBody } from './inbox.js';

const FINAL = ['completed', 'cancelled', 'failed'];
const STEPS = ['stepTemplate', 'stepAudience', 'stepSchedule', 'stepReview'];
const DAYS = [1, 2, 3, 4, 5, 6, 0]; // Monday first, as Indonesian calendars

// jakartaISO turns a datetime-local value, read as Jakarta time, into an instant.
export function jakartaISO(local) { return local ? new Date(`${local}:00+07:00`).toISOString() : null; }

// render fills a template body with the mapped sources, for the preview.
function render(body, vars, prefix = 'body') {
  return body.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, n) => {
    const v = vars[`${prefix}.${n}`];
    return v ? (v.startsWith('contact.') ? `[${v}]` : v) : m;
  });
}

export class CampaignsPage extends Page {
  mount() {
    const p = location.pathname;
    if (p === '/campaigns/new') { new Wizard(this).mount(); return; }
    const m = p.match(/^\/campaigns\/(\d+)/);
    if (m) { this.progress = new Progress(this, Number(m[1])); this.progress.mount(); return; }
    this.mountList();
  }
  destroy() { super.destroy(); this.progress?.destroy(); }
  reload() { this.progress ? this.progress.load() : this.load?.(); }
  onEvent(e) { this.progress?.onEvent(e); }

  mountList() {
    const actions = this.can('campaigns:write')
      ? [h('button', { class: 'primary', id: 'campaign-new', onclick: () => this.app.navigate('/campaigns/new') }, this.t('newCampaign'))] : [];
    this.body = this.shell(this.t('campaigns'), ...actions);
    this.load = async () => {
      try {
        const out = await this.api.get('/api/v1/campaigns?limit=100');
        fill(this.body, this.table([this.t('name'), this.t('status'), this.t('startAt'), this.t('created')],
          (out.items || []).map((c) => h('tr', { class: 'clickable', dataset: { id: c.id }, onclick: (ev) => { if (!ev.target.closest('a')) this.app.navigate(`/campaigns/${c.id}`); } },
            h('td', {}, this.link(`/campaigns/${c.id}`, c.name)), h('td', {}, statusChip(this, c.status)),
            h('td', {}, c.startAt ? this.time(c.startAt) : this.t('startNow')), h('td', {}, this.time(c.createdAt)))),
          { id: 'campaign-list' }));
      } catch (e) { this.fail(e); }
    };
    this.load();
  }
}

class Wizard {
  constructor(page) {
    this.page = page;
    this.step = 0;
    this.data = { name: '', templateId: 0, variables: {}, segmentId: 0, senderIds: [], startMode: 'now', startAt: '',
      qh: { days: [1, 2, 3, 4, 5, 6], from: '08:00', to: '20:00' }, capMax: '', capDays: '' };
    this.draft = null; // the campaign created for the review
    this.templates = []; this.segments = []; this.senders = []; this.lists = [];
  }
  t(k, v) { return this.page.t(k, v); }

  async mount() {
    const p = this.page;
    this.body = p.shell(this.t('newCampaign'), h('button', { onclick: () => p.app.navigate('/campaigns') }, this.t('back')));
    this.stepsEl = h('ol', { class: 'steps', id: 'wizard-steps' });
    this.stepEl = h('div', { class: 'card wizard', id: 'wizard' });
    add(this.body, this.stepsEl, this.stepEl);
    try {
      const [tpls, segs, senders] = await Promise.all([
        p.api.get('/api/v1/templates?status=APPROVED'), p.api.get('/api/v1/segments?limit=200'), p.api.get('/api/v1/senders')]);
      this.templates = tpls.data || [];
      this.segments = segs.items || [];
      this.senders = senders.data || [];
      // Uploaded lists: the contacts of a finished import can be the audience.
      if (p.can('contacts:import')) {
        const jobs = await p.api.get('/api/v1/intake?limit=50').catch(() => ({ items: [] }));
        this.lists = (jobs.items || []).filter((j) => j.status === 'completed');
      }
    } catch (e) { p.fail(e); }
    if (this.senders.length === 1) this.data.senderIds = [this.senders[0].id];
    this.show();
  }

  show() {
    fill(this.stepsEl, ...STEPS.map((k, i) => h('li', { class: i === this.step ? 'active' : i < this.step ? 'done' : '' }, `${i + 1}. ${this.t(k)}`)));
    clear(this.stepEl);
    [() => this.templateStep(), () => this.audienceStep(), () => this.scheduleStep(), () => this.reviewStep()][this.step]();
  }

  go(step) { this.step = step; this.show(); }

  nav(next, nextLabel) {
    const err = this.page.errorBox();
    return [err, h('div', { class: 'wizard-nav' },
      this.step > 0 ? h('button', { type: 'button', id: 'wizard-back', onclick: () => this.go(this.step - 1) }, this.t('back')) : h('span'),
      h('button', { type: 'button', class: 'primary', id: 'wizard-next', onclick: () => {
        const problem = next();
        if (problem) err.show({ message: problem }); else { err.show(null); }
      } }, nextLabel || this.t('next')))];
  }

  templateStep() {
    const d = this.data;
    if (!this.templates.length) { add(this.stepEl, h('p', { class: 'empty' }, this.t('noTemplates'))); return; }
    if (!d.templateId) d.templateId = this.templates[0].id;
    const vars = h('div', { class: 'vars', id: 'cw-vars' });
    const preview = h('div', { class: 'bubble tpl-live', id: 'cw-preview' });
    const select = h('select', { id: 'cw-template', onchange: () => { d.templateId = Number(select.value); d.variables = {}; paintVars(); } },
      ...this.templates.map((tp) => h('option', { value: tp.id, selected: tp.id === d.templateId }, `${tp.name} (${tp.language}, ${tp.category})`)));
    const paintVars = () => {
      const tp = this.tpl();
      clear(vars);
      for (const k of templateVars(tp)) {
        if (d.variables[k] === undefined) d.variables[k] = k === 'body.1' ? 'contact.name' : '';
        add(vars, h('label', {}, varLabel(k), h('input', { name: k, class: 'cw-var', list: 'cw-sources', value: d.variables[k],
          oninput: (ev) => { d.variables[k] = ev.target.value; preview.textContent = render(templateBody(tp), d.variables); } })));
      }
      preview.textContent = render(templateBody(tp), d.variables);
    };
    add(this.stepEl, 
      h('label', {}, this.t('template'), select),
      h('datalist', { id: 'cw-sources' }, ...['contact.name', 'contact.phone'].map((v) => h('option', { value: v }))),
      h('p', { class: 'muted' }, this.t('varHelp')), vars,
      h('div', { class: 'muted' }, this.t('preview')), preview,
      ...this.nav(() => {
        const missing = Object.entries(d.variables).filter(([, v]) => !v.trim()).map(([k]) => varLabel(k));
        if (missing.length) return this.t('fillVars', { v: missing.join(', ') });
        this.go(1);
        return '';
      }));
    paintVars();
  }

  tpl() { return this.templates.find((x) => x.id === this.data.templateId) || this.templates[0]; }
  segment() { return this.segments.find((x) => x.id === this.data.segmentId); }

  audienceStep() {
    const d = this.data;
    if (!d.segmentId && !d.intakeJobId && this.segments.length) d.segmentId = this.segments[0].id;
    const desc = h('p', { class: 'muted', id: 'cw-segment-desc' });
    const count = h('p', { id: 'cw-segment-count' });
    // describe names the filter and counts the segment's contacts (up to
    // 1,000 here; the review step gives the exact size and exclusions).
    const describe = async () => {
      const id = d.segmentId;
      desc.textContent = segmentText(this.page, this.segment());
      count.textContent = '';
      if (!id) return;
      try {
        const out = await this.page.api.get(`/api/v1/segments/${id}/contacts?limit=1000`);
        if (d.segmentId === id) count.textContent = this.t('segmentCount', { n: out.next ? '1.000+' : out.items.length });
      } catch (e) { this.page.fail(e); }
    };
    const select = h('select', { id: 'cw-segment', onchange: () => { d.segmentId = Number(select.value); describe(); } },
      this.lists.length ? h('option', { value: 0, selected: !d.segmentId }, this.t('noSegment')) : null,
      ...this.segments.map((s) => h('option', { value: s.id, selected: s.id === d.segmentId }, s.name)));
    const list = this.lists.length ? h('label', {}, this.t('uploadedList'), h('select', { id: 'cw-list', onchange: (ev) => { d.intakeJobId = Number(ev.target.value); } },
      h('option', { value: 0 }, this.t('none')),
      ...this.lists.map((j) => h('option', { value: j.id, selected: j.id === d.intakeJobId },
        `#${j.id} ${j.fileName || j.source} · ${j.totalRows} ${this.t('rows').toLowerCase()} · ${this.page.time(j.createdAt)}`)))) : null;
    const skip = h('label', { class: 'inline' }, h('input', { type: 'checkbox', id: 'cw-skip-assigned', checked: !!d.skipAssigned,
      onchange: (ev) => { d.skipAssigned = ev.target.checked; } }), this.t('skipAssigned'));
    add(this.stepEl,
      this.segments.length ? h('label', {}, this.t('segment'), select) : h('p', { class: 'empty' }, this.t('noSegments')),
      desc, count, list, skip,
      this.page.can('campaigns:write') ? h('p', {}, this.page.link('/contacts/segments', this.t('manageSegments'))) : null,
      ...this.nav(() => { if (!d.segmentId && !d.intakeJobId) return this.t('pickSegment'); this.go(2); return ''; }));
    describe();
  }

  scheduleStep() {
    const d = this.data;
    const inp = (id, attrs, get, set) => h('input', { id, ...attrs, value: get(), oninput: (ev) => set(ev.target.value) });
    const startAt = inp('cw-start-at', { type: 'datetime-local', disabled: d.startMode === 'now' }, () => d.startAt, (v) => { d.startAt = v; });
    const mode = (v) => h('label', { class: 'inline' }, h('input', { type: 'radio', name: 'cw-start', value: v, checked: d.startMode === v,
      onchange: () => { d.startMode = v; startAt.disabled = v === 'now'; } }), this.t(v === 'now' ? 'startNow' : 'startLater'));
    const dayBoxes = DAYS.map((n) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', class: 'cw-day', value: n, checked: d.qh.days.includes(n),
      onchange: (ev) => { d.qh.days = ev.target.checked ? [...d.qh.days, n] : d.qh.days.filter((x) => x !== n); } }), this.t(`day${n}`)));
    const from = inp('cw-qh-from', { type: 'time' }, () => d.qh.from, (v) => { d.qh.from = v; });
    const to = inp('cw-qh-to', { type: 'time' }, () => d.qh.to, (v) => { d.qh.to = v; });
    const always = h('button', { type: 'button', id: 'cw-qh-always', onclick: () => {
      d.qh = { days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '23:59' };
      for (const b of this.stepEl.querySelectorAll('.cw-day')) b.checked = true;
      from.value = '00:00'; to.value = '23:59';
    } }, this.t('anyTime'));
    const senders = this.senders.map((s) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'cw-sender', value: s.id,
      checked: d.senderIds.includes(s.id), disabled: s.status !== 'active',
      onchange: (ev) => { d.senderIds = ev.target.checked ? [...d.senderIds, s.id] : d.senderIds.filter((x) => x !== s.id); } }),
    `${s.displayNumber || s.phoneNumberId} `, h('span', { class: `chip q-${(s.quality || '').toLowerCase()}` }, s.quality || '?')));
    add(this.stepEl, 
      h('label', {}, this.t('campaignName'), inp('cw-name', { required: true, maxlength: 200 }, () => d.name, (v) => { d.name = v; })),
      h('fieldset', {}, h('legend', {}, this.t('senders')), ...senders),
      h('fieldset', {}, h('legend', {}, this.t('start')), mode('now'), mode('later'), startAt, h('span', { class: 'muted' }, this.t('jakartaTime'))),
      h('fieldset', {}, h('legend', {}, this.t('quietHours')), h('p', { class: 'muted' }, this.t('quietHelp')),
        h('div', { class: 'days' }, ...dayBoxes), h('div', { class: 'row-inline' }, h('label', {}, this.t('from'), from), h('label', {}, this.t('to'), to), always)),
      h('fieldset', {}, h('legend', {}, this.t('frequencyCap')), h('p', { class: 'muted' }, this.t('capHelp')),
        h('div', { class: 'row-inline' },
          h('label', {}, this.t('capMax'), inp('cw-cap-max', { type: 'number', min: 0 }, () => d.capMax, (v) => { d.capMax = v; })),
          h('label', {}, this.t('capDays'), inp('cw-cap-days', { type: 'number', min: 0 }, () => d.capDays, (v) => { d.capDays = v; })))),
      ...this.nav(() => {
        if (!d.name.trim()) return this.t('nameRequired');
        if (!d.senderIds.length) return this.t('pickSender');
        if (d.startMode === 'later' && !d.startAt) return this.t('pickStart');
        if (!d.qh.days.length) return this.t('pickDays');
        this.go(3);
        return '';
      }, this.t('review')));
  }

  input() {
    const d = this.data;
    const cap = Number(d.capMax) > 0 ? { max: Number(d.capMax), days: Number(d.capDays) || 0 } : null;
    const body = { name: d.name.trim(), templateId: d.templateId, variables: d.variables, segmentId: d.segmentId, senderIds: d.senderIds,
      startAt: d.startMode === 'later' ? jakartaISO(d.startAt) : null,
      quietHours: { days: d.qh.days.slice().sort(), from: d.qh.from, to: d.qh.to }, frequencyCap: cap };
    // Sent only when used: an API without them refuses unknown fields.
    if (d.intakeJobId) body.intakeJobId = d.intakeJobId;
    if (d.skipAssigned) body.skipAssigned = true;
    return body;
  }

  // reviewStep stores the campaign as a draft: the API checks it and
  // answers with the audience preview. A changed wizard replaces the draft.
  async reviewStep() {
    const p = this.page;
    const box = h('div', { id: 'cw-review' }, h('p', { class: 'muted' }, this.t('loading')));
    const err = p.errorBox();
    const launch = h('button', { class: 'primary', id: 'cw-launch', disabled: true, onclick: () => this.launch(launch, err) }, this.t('launch'));
    add(this.stepEl, box, err, h('div', { class: 'wizard-nav' },
      h('button', { type: 'button', id: 'wizard-back', onclick: () => this.go(2) }, this.t('back')), p.can('campaigns:launch') ? launch : h('span')));
    const body = this.input();
    const key = JSON.stringify(body);
    try {
      if (!this.draft || this.draft.key !== key) {
        if (this.draft) p.api.post(`/api/v1/campaigns/${this.draft.campaign.id}/cancel`).catch(() => {});
        const out = await p.api.post('/api/v1/campaigns', body);
        this.draft = { key, ...out };
      }
    } catch (e) {
      clear(box);
      err.show(e);
      const back = { templateId: 0, variables: 0, segmentId: 1, intakeJobId: 1, senderIds: 2, name: 2, startAt: 2, endAt: 2, frequencyCap: 2 }[String(e.field || '').split('.')[0]];
      if (back !== undefined) add(box, h('button', { type: 'button', id: 'cw-fix', onclick: () => this.go(back) }, this.t('fix')));
      return;
    }
    const { campaign: c, audience: a } = this.draft;
    const reachable = Math.max(0, a.size - a.optedOut - a.invalidNumber);
    const dl = (k, v, id) => [h('dt', {}, this.t(k)), h('dd', id ? { id } : {}, v)];
    fill(box, 
      h('dl', { class: 'review' },
        ...dl('campaignName', c.name), ...dl('template', this.tpl()?.name || c.templateId), ...dl('segment', this.segment()?.name || (c.segmentId ? `#${c.segmentId}` : this.t('none'))),
        ...(body.intakeJobId ? dl('uploadedList', `#${body.intakeJobId}`) : []),
        ...(body.skipAssigned ? dl('skipAssigned', '✓') : []),
        ...dl('start', c.startAt ? p.time(c.startAt) : this.t('startNow')),
        ...dl('quietHours', `${body.quietHours.days.map((n) => this.t(`day${n}`)).join(', ')} ${body.quietHours.from}–${body.quietHours.to}`),
        ...dl('frequencyCap', body.frequencyCap ? this.t('capText', { n: body.frequencyCap.max, d: body.frequencyCap.days }) : this.t('none'))),
      h('div', { class: 'stats', id: 'cw-audience' },
        stat(this.t('audienceSize'), a.size, 'size'), stat(this.t('optedOut'), a.optedOut, 'opted-out'),
        stat(this.t('invalidNumber'), a.invalidNumber, 'invalid'), stat(this.t('willSend'), reachable, 'reachable')),
      h('div', { class: 'muted' }, this.t('samplePreview')),
      h('div', { class: 'bubble tpl-live', id: 'cw-sample' }, a.samplePreview || render(templateBody(this.tpl() || {}), a.sample || {})));
    launch.disabled = reachable === 0;
    this.checkTemplate(box, c);
  }

  // checkTemplate asks the API to render the template for the campaign's
  // first contact and lists what WhatsApp would refuse (lengths, gaps).
  async checkTemplate(box, c) {
    try {
      // A real contact fills contact.* variables: the segment's first one.
      if (!c.segmentId) return;
      const first = await this.page.api.get(`/api/v1/segments/${c.segmentId}/contacts?limit=1`);
      if (!first.items?.length) return;
      const pv = await this.page.api.post(`/api/v1/templates/${c.templateId}/preview`, { campaignId: c.id, contactId: first.items[0].id });
      const problems = [...(pv.problems || []), ...(pv.missing || []).map((k) => this.t('missingValue', { k: varLabel(k) }))];
      add(box, h('div', { id: 'cw-check', class: problems.length ? 'notice warn-box' : 'muted' },
        problems.length ? [h('strong', {}, this.t('templateProblems')), h('ul', {}, ...problems.map((x) => h('li', {}, x)))]
          : this.t('templateOk', { n: (pv.components || []).map((x) => `${x.type} ${x.chars}${x.limit ? `/${x.limit}` : ''}`).join(', ') })));
    } catch { /* an API without previews: the sample above is enough */ }
  }

  async launch(btn, err) {
    btn.disabled = true;
    try {
      await this.page.api.post(`/api/v1/campaigns/${this.draft.campaign.id}/launch`);
      this.page.app.navigate(`/campaigns/${this.draft.campaign.id}`);
    } catch (e) { err.show(e); btn.disabled = false; }
  }
}

function stat(label, value, key) {
  return h('div', { class: 'stat', dataset: { k: key } }, h('strong', {}, String(value ?? 0)), h('span', {}, label));
}

export function segmentText(page, s) {
  if (!s) return '';
  const f = s.filter || {};
  const parts = [];
  if (f.tags?.length) parts.push(`${page.t('tagsAll')}: ${f.tags.join(', ')}`);
  if (f.anyTags?.length) parts.push(`${page.t('tagsAny')}: ${f.anyTags.join(', ')}`);
  for (const [k, v] of Object.entries(f.attributes || {})) parts.push(`${k} = ${v}`);
  if (f.optedOut !== undefined && f.optedOut !== null) parts.push(f.optedOut ? page.t('optedOut') : page.t('notOptedOut'));
  if (f.neverContacted) parts.push(page.t('neverContacted'));
  return parts.length ? parts.join(' · ') : page.t('allContacts');
}

// The funnel poll's bounds (Progress.poll) and the statuses after which it
// may stop.
const POLL_MIN = 2000, POLL_MAX = 30000;
const FINISHED = ['completed', 'cancelled', 'failed'];

const FUNNEL = ['recipients', 'queued', 'sent', 'delivered', 'read', 'replied', 'failed', 'skipped'];

class Progress {
  constructor(page, id) { this.page = page; this.id = id; this.timer = null; this.c = null; }
  t(k, v) { return this.page.t(k, v); }

  mount() {
    const p = this.page;
    this.body = p.shell(this.t('campaign'), h('button', { onclick: () => p.app.navigate('/campaigns') }, this.t('back')));
    this.head = h('div', { class: 'camp-head card', id: 'camp-head' });
    this.chart = h('div', { class: 'card funnel', id: 'camp-funnel' });
    this.tools = h('div', { class: 'card camp-tools', id: 'camp-tools' });
    this.recipientsEl = h('div', { class: 'card', id: 'camp-recipients' });
    add(this.body, this.head, this.chart, this.tools, this.recipientsEl);
    this.paintRecipientsButton();
    this.poll(POLL_MIN);
  }
  destroy() { this.gone = true; clearTimeout(this.timer); clearTimeout(this.rt); }

  // poll: the funnel follows webhooks, not only the send loop, so it is
  // read again after each answer (never while one is outstanding): 2 s
  // while it moves, doubling up to 30 s while it does not. A finished
  // campaign is polled no more once its funnel has not moved for the longest
  // interval (late delivered/read statuses still arrive after the last
  // send). A campaign.progress event, an action or a retry starts it again
  // at 2 s. The chart's data-next-poll says what was chosen (tests read it).
  async poll(delay) {
    clearTimeout(this.timer);
    if (this.gone) return;
    // A newer poll (an event while this one waited) owns the timer.
    const gen = (this.gen = (this.gen || 0) + 1);
    const before = JSON.stringify(this.c?.funnel ?? null);
    if (!(await this.load()) || gen !== this.gen) return;
    const moved = JSON.stringify(this.c.funnel ?? null) !== before;
    if (!moved && delay >= POLL_MAX && FINISHED.includes(this.c.status)) { this.chart.dataset.nextPoll = 'stopped'; return; }
    const next = moved ? POLL_MIN : Math.min(delay * 2, POLL_MAX);
    this.chart.dataset.nextPoll = String(next);
    this.timer = setTimeout(() => this.poll(next), next);
  }

  // A campaign.progress event (the send loop's look at the queue) refreshes
  // at once and resets the backoff.
  onEvent(e) {
    if (e.type === 'campaign.progress' && e.data?.campaignId === this.id) { clearTimeout(this.rt); this.rt = setTimeout(() => this.poll(POLL_MIN), 150); }
  }

  // paintTools: test send, duplicate, retry failed, export.
  paintTools() {
    const p = this.page;
    const err = p.errorBox();
    const phone = h('input', { id: 'camp-test-phone', type: 'tel', placeholder: '0812…', 'aria-label': this.t('testPhone') });
    const testBtn = h('button', { id: 'camp-test-send', type: 'button', onclick: async () => {
      if (!phone.value.trim()) return;
      testBtn.disabled = true;
      try {
        const key = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
        const vals = {};
        for (const i of values.querySelectorAll('input')) if (i.value.trim()) vals[i.name] = i.value.trim();
        const out = await p.api.post(`/api/v1/campaigns/${this.id}/test-send`, { phone: phone.value.trim(), values: vals }, { 'Idempotency-Key': key });
        err.show(null);
        p.app.toast(this.t('testSent', { to: phone.value.trim() }));
        fill(testOut, h('div', { class: 'bubble tpl-live', id: 'camp-test-preview' }, out.preview || ''));
      } catch (e) { err.show(e); } finally { testBtn.disabled = false; }
    } }, this.t('testSend'));
    const testOut = h('div');
    // A test number is usually not a contact: variables taken from contact
    // fields need a value typed here.
    const values = h('div', { class: 'vars', id: 'camp-test-values' }, ...Object.entries(this.c.variables || {})
      .filter(([, src]) => src.startsWith('contact.')).sort(([a], [b]) => a.localeCompare(b))
      .map(([k, src]) => h('label', {}, `${varLabel(k)} (${src})`, h('input', { name: k, class: 'camp-test-value' }))));
    const dl = (fmt) => h('button', { type: 'button', id: `camp-export-${fmt}`, onclick: () => p.api.download(`/api/v1/campaigns/${this.id}/export?format=${fmt}`, `campaign-${this.id}-recipients.${fmt}`).catch((e) => err.show(e)) },
      this.t('exportAs', { f: fmt.toUpperCase() }));
    const dup = h('button', { type: 'button', id: 'camp-duplicate', onclick: async () => {
      try { const out = await p.api.post(`/api/v1/campaigns/${this.id}/duplicate`); p.app.navigate(`/campaigns/${out.campaign.id}`); } catch (e) { err.show(e); }
    } }, this.t('duplicate'));
    this.retryBtn = h('button', { type: 'button', id: 'camp-retry', hidden: true, onclick: async () => {
      try { const out = await p.api.post(`/api/v1/campaigns/${this.id}/retry-failed`); p.app.toast(this.t('requeued', { n: out.requeued })); this.poll(POLL_MIN); } catch (e) { err.show(e); }
    } }, this.t('retryFailed'));
    fill(this.tools, h('h3', {}, this.t('tools')),
      p.can('campaigns:launch') ? h('div', { class: 'row-inline' }, h('label', {}, this.t('testPhone'), phone), testBtn) : null,
      p.can('campaigns:launch') ? values : null, testOut,
      h('div', { class: 'row-inline' }, p.can('campaigns:write') ? dup : null, p.can('campaigns:launch') ? this.retryBtn : null, dl('csv'), dl('xlsx')), err);
  }

  paintRecipientsButton() {
    fill(this.recipientsEl, h('button', { type: 'button', id: 'camp-show-recipients', onclick: () => this.recipients('', '') }, this.t('showRecipients')));
  }

  // recipients pages the campaign's recipients, filtered by state.
  async recipients(status, cursor) {
    const p = this.page;
    try {
      const q = new URLSearchParams({ limit: '50' });
      if (status) q.set('status', status);
      if (cursor) q.set('cursor', cursor);
      const newest = p.turn('recipients');
      const out = await p.api.get(`/api/v1/campaigns/${this.id}/recipients?${q}`);
      if (!newest()) return;
      const rows = (out.items || []).map((r) => h('tr', { dataset: { status: r.status } },
        ...[r.contactName || '—', r.phone, r.senderNumber || '', h('span', { class: `chip st-${r.status}` }, this.t(`f.${r.status}`)),
          [r.errorCode, r.reason].filter(Boolean).join(' '), p.time(r.sentAt) || ''].map((x) => h('td', {}, x))));
      if (cursor && this.recBody) { add(this.recBody, ...rows); } else {
        const filter = h('select', { id: 'camp-recipient-status', onchange: () => this.recipients(filter.value, '') },
          ...['', 'queued', 'sent', 'delivered', 'read', 'replied', 'failed', 'skipped'].map((v) => h('option', { value: v, selected: v === status }, v ? this.t(`f.${v}`) : this.t('filter.status.any'))));
        const table = p.table([this.t('name'), this.t('phone'), this.t('number'), this.t('status'), this.t('reason'), this.t('f.sent')], rows, { id: 'camp-recipient-list' });
        this.recBody = table.querySelector('tbody');
        fill(this.recipientsEl, h('h3', {}, this.t('recipients')), h('div', { class: 'toolbar' }, filter), table, this.more = h('div'));
      }
      fill(this.more, out.nextCursor ? h('button', { type: 'button', onclick: () => this.recipients(status, out.nextCursor) }, this.t('more')) : null);
    } catch (e) { p.fail(e); }
  }

  // load reads the campaign and its funnel; false when it failed (a 404
  // ends the poll, another error retries at the longest interval).
  async load() {
    try {
      this.c = await this.page.api.get(`/api/v1/campaigns/${this.id}`);
      if (this.gone) return false;
      if (!this.names) { await this.loadNames(); this.paintTools(); }
      this.paint();
      return true;
    } catch (e) {
      this.page.fail(e);
      if (e.status !== 404 && !this.gone) this.timer = setTimeout(() => this.poll(POLL_MAX), POLL_MAX);
      return false;
    }
  }

  // loadNames finds the template's and segment's names once (best effort).
  async loadNames() {
    const p = this.page, c = this.c;
    const [t, sg] = await Promise.all([
      p.can('templates:read') ? p.api.get(`/api/v1/templates/${c.templateId}`).catch(() => null) : null,
      c.segmentId && p.can('contacts:read') ? p.api.get(`/api/v1/segments/${c.segmentId}`).catch(() => null) : null]);
    const list = c.intakeJobId ? ` + ${this.t('uploadedList')} #${c.intakeJobId}` : '';
    this.names = { template: t ? `${t.name} (${t.language})` : `#${c.templateId}`, segment: (sg ? sg.name : c.segmentId ? `#${c.segmentId}` : '—') + list };
  }

  async act(action, btn) {
    if (action === 'cancel' && !confirm(this.t('confirmCancel'))) return;
    btn.disabled = true;
    try { this.c = await this.page.api.post(`/api/v1/campaigns/${this.id}/${action}`); this.paint(); this.poll(POLL_MIN); } catch (e) { this.page.fail(e); btn.disabled = false; }
  }

  paint() {
    const p = this.page, c = this.c, f = c.funnel || {};
    const btn = (action, label) => h('button', { id: `camp-${action}`, class: action === 'launch' ? 'primary' : action === 'cancel' ? 'danger' : '',
      onclick: (ev) => this.act(action, ev.target) }, this.t(label));
    const actions = h('div', { class: 'page-actions' });
    if (p.can('campaigns:launch')) {
      if (c.status === 'draft') add(actions, btn('launch', 'launch'));
      // A scheduled campaign is only cancelled: its workflow applies a
      // pause at the first send, so the status would not show it now.
      if (c.status === 'running') add(actions, btn('pause', 'pause'));
      if (c.status === 'paused') add(actions, btn('resume', 'resume'));
      if (!FINAL.includes(c.status)) add(actions, btn('cancel', 'cancel'));
    }
    if (this.retryBtn) this.retryBtn.hidden = !(f.failed > 0 && FINAL.includes(c.status));
    const done = (f.sent || 0) + (f.failed || 0) + (f.skipped || 0);
    const pct = f.recipients ? Math.round((100 * done) / f.recipients) : 0;
    fill(this.head, 
      h('div', { class: 'row' }, h('h3', { id: 'camp-name' }, c.name), h('span', { id: 'camp-status' }, statusChip(p, c.status)), actions),
      c.statusReason ? h('p', { class: 'muted', id: 'camp-reason' }, p.reason(c.statusReason)) : null,
      h('div', { class: 'progress', title: `${pct}%` }, h('div', { class: 'progress-fill', style: { width: `${pct}%` } })),
      h('p', { class: 'muted', id: 'camp-done' }, this.t('processed', { n: done, total: f.recipients || 0, pct })),
      h('dl', { class: 'review' },
        h('dt', {}, this.t('template')), h('dd', { id: 'camp-template' }, this.names.template),
        h('dt', {}, this.t('segment')), h('dd', { id: 'camp-segment' }, this.names.segment),
        h('dt', {}, this.t('start')), h('dd', {}, c.startAt ? p.time(c.startAt) : this.t('startNow')),
        h('dt', {}, this.t('launchedAt')), h('dd', {}, p.time(c.launchedAt) || '—'),
        h('dt', {}, this.t('finishedAt')), h('dd', {}, p.time(c.finishedAt) || '—'),
        h('dt', {}, this.t('quietHours')), h('dd', {}, quietText(p, c.quietHours))));
    const max = Math.max(1, f.recipients || 0);
    fill(this.chart, h('h3', {}, this.t('funnel')),
      ...FUNNEL.map((k) => h('div', { class: `funnel-row k-${k}`, dataset: { k, n: f[k] || 0 } },
        h('span', { class: 'funnel-label' }, this.t(`f.${k}`)),
        h('span', { class: 'funnel-track' }, h('span', { class: 'funnel-bar', style: { width: `${Math.round((100 * (f[k] || 0)) / max)}%` } })),
        h('strong', { class: 'funnel-n' }, String(f[k] || 0)))),
      Object.keys(f.skipReasons || {}).length
        ? h('p', { class: 'muted', id: 'camp-skips' }, `${this.t('skipReasons')}: ${Object.entries(f.skipReasons).map(([k, n]) => `${this.t(`skip.${k}`)} ${n}`).join(', ')}`)
        : null);
  }
}

function quietText(p, q) {
  if (!q) return '';
  const days = (q.days?.length ? q.days : [1, 2, 3, 4, 5, 6]).map((n) => p.t(`day${n}`)).join(', ');
  return `${days} ${q.from || '08:00'}–${q.to || '20:00'} WIB`;
}
