// The journey builder: name, sending number, sending hours and the steps
// (added, removed and reordered; each kind with its own fields), no code.
// The API checks the definition and names a bad field
// ("steps[2].templateId"): the message shows beside that field, which
// carries the same name in its data-field.
import { h, clear, add, fill } from './page.js';
import { templateVars, varLabel } from './inbox.js';

export const KINDS = ['send_template', 'wait', 'wait_for_reply', 'ask_promise_date', 'branch', 'assign', 'update_case', 'set_attribute', 'tag', 'stop'];
const RULES = ['button', 'reply', 'no_reply', 'keyword', 'attribute'];
const UNITS = { s: 1, m: 60, h: 3600, d: 86400 };
const DAYS = [1, 2, 3, 4, 5, 6, 0]; // Monday first
const LIVE = ['live', 'paused'];

// splitSeconds shows a duration in its largest whole unit.
function splitSeconds(sec) {
  for (const u of ['d', 'h', 'm']) if (sec && sec % UNITS[u] === 0) return [sec / UNITS[u], u];
  return [sec || 0, 's'];
}

// stepLabel names a step by its place and kind ("3. Percabangan").
export function stepLabel(t, steps, id) {
  const i = steps.findIndex((s) => s.id === id);
  return i < 0 ? (id || t('jr.end')) : `${i + 1}. ${t(`k.${steps[i].kind}`)}`;
}

// clean keeps the fields of a step's kind (the definition the API stores).
export function clean(s) {
  const out = { id: s.id, kind: s.kind };
  const put = (k) => { if (s[k] !== undefined && s[k] !== '' && s[k] !== 0 && s[k] !== null) out[k] = s[k]; };
  if (s.kind !== 'stop') put('next'); // a branch's next (set through the API) is kept as it was
  switch (s.kind) {
    case 'send_template': put('templateId'); if (s.variables && Object.keys(s.variables).length) out.variables = { ...s.variables }; break;
    case 'wait': {
      const w = s.wait || {};
      out.wait = {};
      for (const k of ['seconds', 'atTime', 'field', 'offsetDays']) if (w[k] !== undefined && w[k] !== '' && w[k] !== 0) out.wait[k] = w[k];
      break;
    }
    case 'wait_for_reply': put('timeoutSeconds'); put('else'); break;
    case 'ask_promise_date': put('body'); put('dates'); put('button'); put('timeoutSeconds'); put('else'); break;
    case 'branch': put('else'); out.rules = (s.rules || []).map((r) => {
      const o = { on: r.on, goto: r.goto || '' };
      if (['button', 'keyword', 'attribute'].includes(r.on)) o.value = r.value || '';
      if (r.on === 'attribute') o.attribute = r.attribute || '';
      return o;
    }); break;
    case 'assign': put('agentId'); put('teamId'); break;
    case 'update_case': out.action = s.action || 'promise_to_pay'; put('promiseDays'); break;
    case 'set_attribute': put('attribute'); put('value'); break;
    case 'tag': put('tag'); break;
  }
  return out;
}

// clearFieldErrors removes the messages showFieldError put in root.
export function clearFieldErrors(root) {
  for (const e of root?.querySelectorAll('.field-error') || []) e.remove();
  for (const e of root?.querySelectorAll('.invalid') || []) { e.classList.remove('invalid'); e.removeAttribute('aria-invalid'); }
}

// showFieldError puts the API's message beside the field it names in root
// (or the nearest enclosing one: "steps[2].wait.seconds", "steps[2].wait",
// ...); false when root has none of them.
export function showFieldError(root, e) {
  clearFieldErrors(root);
  let field = e.field || '', el = null;
  while (field) {
    el = root.querySelector(`[data-field="${CSS.escape(field)}"]`);
    if (el) break;
    const up = field.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
    if (up === field) break;
    field = up;
  }
  if (!el) return false;
  el.classList.add('invalid');
  el.setAttribute('aria-invalid', 'true');
  const msg = h('p', { class: 'error field-error', role: 'alert', dataset: { for: e.field } }, e.message);
  (el.closest('label') || el).after(msg);
  el.scrollIntoView({ block: 'center' });
  if (el.focus) el.focus({ preventScroll: true });
  return true;
}

function fresh(kind, id) {
  const s = { id, kind };
  if (kind === 'wait') s.wait = { seconds: 3600 };
  if (kind === 'wait_for_reply') s.timeoutSeconds = 86400;
  if (kind === 'ask_promise_date') Object.assign(s, { body: '', dates: 5, button: 'Pilih tanggal', timeoutSeconds: 86400 });
  if (kind === 'branch') s.rules = [{ on: 'button', value: '', goto: '' }];
  if (kind === 'update_case') s.action = 'promise_to_pay';
  return s;
}

export class Builder {
  constructor(page, id) { this.page = page; this.id = id; this.j = null; this.steps = []; this.lists = { templates: [], senders: [], agents: null, teams: null }; }
  t(k, v) { return this.page.t(k, v); }

  async mount() {
    const p = this.page;
    this.body = p.shell(this.t(this.id ? 'editJourney' : 'newJourney'),
      h('button', { onclick: () => p.app.navigate(this.id ? `/journeys/${this.id}` : '/journeys') }, this.t('back')));
    const opt = (cond, path) => (cond ? p.api.get(path).catch(() => null) : null);
    try {
      const [tpls, senders, j, agents, teams] = await Promise.all([p.api.get('/api/v1/templates?status=APPROVED'), p.api.get('/api/v1/senders'),
        this.id ? p.api.get(`/api/v1/journeys/${this.id}`) : null, opt(p.can('agents:read'), '/api/v1/agents?limit=200'), opt(p.can('teams:read'), '/api/v1/teams')]);
      this.lists = { templates: tpls.data || [], senders: senders.data || [], agents: agents && (agents.items || agents.data), teams: teams && (teams.items || teams.data) };
      this.j = j;
    } catch (e) { p.fail(e); return; }
    const j = this.j;
    const q = j?.quietHours || {};
    this.data = { name: j?.name || '', senderId: j?.senderId || (this.lists.senders.length === 1 ? this.lists.senders[0].id : 0),
      qh: { days: q.days?.length ? [...q.days] : [1, 2, 3, 4, 5, 6], from: q.from || '08:00', to: q.to || '20:00' } };
    this.steps = j ? structuredClone(j.definition.steps || []) : [];
    this.start = j?.definition.start || ''; // a first step other than the list's first, set through the API
    this.original = j ? JSON.stringify(this.definition()) : null;
    this.paint();
    // The field a launch was refused for (journey_view.js): shown beside it.
    const fe = p.app.fieldError;
    if (fe && fe.journey === this.id) {
      p.app.fieldError = null;
      if (this.showField(fe)) this.err.show({ message: `${this.t('jr.fixField')} ${fe.message}` });
    }
  }

  paint() {
    const p = this.page, d = this.data, j = this.j;
    const inp = (id, field, attrs, get, set) => h('input', { id, ...attrs, dataset: { field }, value: get(), oninput: (ev) => set(ev.target.value) });
    const sender = h('select', { id: 'jb-sender', dataset: { field: 'senderId' }, onchange: (ev) => { d.senderId = Number(ev.target.value); } },
      h('option', { value: 0 }, this.t('jr.pickSender')),
      ...this.lists.senders.map((s) => h('option', { value: s.id, selected: s.id === d.senderId, disabled: s.status !== 'active' }, s.displayNumber || s.phoneNumberId)));
    const dayBoxes = DAYS.map((n) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', class: 'jb-day', value: n, checked: d.qh.days.includes(n),
      onchange: (ev) => { d.qh.days = ev.target.checked ? [...d.qh.days, n] : d.qh.days.filter((x) => x !== n); } }), this.t(`day${n}`)));
    const from = inp('jb-qh-from', 'quietHours.from', { type: 'time' }, () => d.qh.from, (v) => { d.qh.from = v; });
    const to = inp('jb-qh-to', 'quietHours.to', { type: 'time' }, () => d.qh.to, (v) => { d.qh.to = v; });
    const always = h('button', { type: 'button', id: 'jb-qh-always', onclick: () => {
      d.qh = { days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '23:59' };
      for (const b of this.body.querySelectorAll('.jb-day')) b.checked = true;
      from.value = '00:00'; to.value = '23:59';
    } }, this.t('anyTime'));
    const note = j && LIVE.includes(j.status)
      ? h('p', { class: 'warn-box', id: 'jb-version-note' }, this.t('jr.newVersionNote', { s: this.t(`st.${j.status}`).toLowerCase(), v: j.currentVersion + 1 }))
      : h('p', { class: 'muted', id: 'jb-version-note' }, this.t('jr.draftNote'));
    this.stepsEl = h('div', { class: 'jb-steps', id: 'jb-steps' });
    const kind = h('select', { id: 'jb-add-kind', 'aria-label': this.t('jr.addStep') }, ...KINDS.map((k) => h('option', { value: k }, this.t(`k.${k}`))));
    this.err = p.errorBox();
    const save = h('button', { type: 'button', class: 'primary', id: 'jb-save', onclick: () => this.save(save) }, this.t('jr.save'));
    add(this.body,
      h('div', { class: 'card jb-settings', id: 'jb-settings' }, note,
        h('div', { class: 'row-inline' },
          h('label', {}, this.t('jr.name'), inp('jb-name', 'name', { maxlength: 200, required: true }, () => d.name, (v) => { d.name = v; })),
          h('label', {}, this.t('jr.sender'), sender)),
        h('fieldset', { dataset: { field: 'quietHours' } }, h('legend', {}, this.t('quietHours')), h('p', { class: 'muted' }, this.t('quietHelp')),
          h('div', { class: 'days', dataset: { field: 'quietHours.days' } }, ...dayBoxes),
          h('div', { class: 'row-inline' }, h('label', {}, this.t('from'), from), h('label', {}, this.t('to'), to), always))),
      h('div', { class: 'card', dataset: { field: 'steps' } }, h('h3', {}, this.t('jr.steps')), this.stepsEl,
        h('div', { class: 'row-inline jb-add' }, h('label', {}, this.t('jr.addStep'), kind),
          h('button', { type: 'button', id: 'jb-add', onclick: () => this.addStep(kind.value) }, `+ ${this.t('jr.addStep')}`))),
      h('div', { class: 'wizard-nav' }, this.err, p.can('campaigns:write') ? save : null),
      // The suggestions of the variable and date inputs, once for every step.
      h('datalist', { id: 'jb-sources' }, ...['contact.name', 'contact.phone', 'case.amount', 'case.due_date'].map((v) => h('option', { value: v }))),
      h('datalist', { id: 'jb-date-fields' }, h('option', { value: 'case.due_date' }), h('option', { value: 'case.promise_date' })));
    this.paintSteps();
  }

  // definition is what the API stores: the steps with their kinds' fields,
  // and the start when it still names a step.
  definition() {
    const def = { steps: this.steps.map(clean) };
    if (this.start && this.steps.some((x) => x.id === this.start)) def.start = this.start;
    return def;
  }

  nextID() {
    let max = 0;
    for (const s of this.steps) { const m = /^s(\d+)$/.exec(s.id); if (m) max = Math.max(max, Number(m[1])); }
    return `s${max + 1}`;
  }

  addStep(kind) {
    const s = fresh(kind, this.nextID());
    if (kind === 'send_template' && this.lists.templates.length) { s.templateId = this.lists.templates[0].id; s.variables = {}; }
    this.steps.push(s);
    this.paintSteps();
  }

  move(i, by) {
    const j = i + by;
    if (j < 0 || j >= this.steps.length) return;
    [this.steps[i], this.steps[j]] = [this.steps[j], this.steps[i]];
    this.paintSteps();
  }

  // remove drops a step; the references to it are cleared (the API names
  // what is still missing, a branch's target say).
  remove(i) {
    const [gone] = this.steps.splice(i, 1);
    for (const s of this.steps) {
      if (s.next === gone.id) s.next = '';
      if (s.else === gone.id) s.else = '';
      for (const r of s.rules || []) if (r.goto === gone.id) r.goto = '';
    }
    this.paintSteps();
  }

  paintSteps() {
    this.clearErrors();
    if (!this.steps.length) { fill(this.stepsEl, h('p', { class: 'empty' }, this.t('jr.noSteps'))); return; }
    fill(this.stepsEl, ...this.steps.map((s, i) => this.stepCard(s, i)));
  }

  // target is a select of the other steps; blank is the label of "" (none
  // for a branch rule's goto, which needs one).
  target(s, field, get, set, blank) {
    return h('select', { class: 'jb-target', dataset: { field }, onchange: (ev) => set(ev.target.value) },
      h('option', { value: '', selected: !get() }, blank),
      ...this.steps.filter((x) => x !== s).map((x) => h('option', { value: x.id, selected: get() === x.id }, stepLabel(this.t.bind(this), this.steps, x.id))));
  }

  stepCard(s, i) {
    const f = `steps[${i}]`;
    const last = i === this.steps.length - 1;
    const tool = (cls, label, text, onclick, disabled) => h('button', { type: 'button', class: `icon ${cls}`, title: label, 'aria-label': label, disabled, onclick }, text);
    const fields = h('div', { class: 'jb-fields' });
    const then = (label) => h('label', {}, label, this.target(s, `${f}.next`, () => s.next, (v) => { s.next = v; }, last ? this.t('jr.thenEnd') : this.t('jr.thenNext')));
    switch (s.kind) {
      case 'send_template': this.templateFields(fields, s, f); add(fields, then(this.t('jr.then'))); break;
      case 'wait': this.waitFields(fields, s, f); add(fields, then(this.t('jr.then'))); break;
      case 'wait_for_reply': {
        add(fields, this.duration(`${f}.timeoutSeconds`, this.t('jr.timeout'), () => s.timeoutSeconds, (v) => { s.timeoutSeconds = v; }),
          h('div', { class: 'row-inline' }, then(this.t('jr.onReply')),
            h('label', {}, this.t('jr.onTimeout'), this.target(s, `${f}.else`, () => s.else, (v) => { s.else = v; }, this.t('jr.thenNext')))));
        break;
      }
      case 'ask_promise_date': this.askFields(fields, s, f); break;
      case 'branch': this.branchFields(fields, s, f); break;
      case 'assign': this.assignFields(fields, s, f); add(fields, then(this.t('jr.then'))); break;
      case 'update_case':
        add(fields, h('div', { class: 'row-inline' },
          h('label', {}, this.t('jr.caseAction'), h('select', { dataset: { field: `${f}.action` } }, h('option', { value: 'promise_to_pay' }, this.t('jr.promise')))),
          h('label', {}, this.t('jr.promiseDays'), h('input', { type: 'number', min: 0, max: 90, dataset: { field: `${f}.promiseDays` }, value: s.promiseDays || 0,
            oninput: (ev) => { s.promiseDays = Number(ev.target.value) || 0; } }))), then(this.t('jr.then')));
        break;
      case 'set_attribute':
        add(fields, h('div', { class: 'row-inline' }, this.text(`${f}.attribute`, this.t('jr.attribute'), s, 'attribute'), this.text(`${f}.value`, this.t('jr.value'), s, 'value')),
          then(this.t('jr.then')));
        break;
      case 'tag': add(fields, this.text(`${f}.tag`, this.t('jr.tag'), s, 'tag', 'jb-tag'), then(this.t('jr.then'))); break;
      case 'stop': add(fields, h('p', { class: 'muted' }, this.t('jr.stopHelp'))); break;
    }
    return h('section', { class: 'jb-step', dataset: { id: s.id, kind: s.kind, index: i, field: f } },
      h('div', { class: 'jb-step-head' },
        h('strong', {}, `${this.t('jr.step', { n: i + 1 })} · ${this.t(`k.${s.kind}`)}`), h('span', { class: 'spacer' }),
        tool('jb-up', this.t('jr.moveUp'), '↑', () => this.move(i, -1), i === 0),
        tool('jb-down', this.t('jr.moveDown'), '↓', () => this.move(i, 1), last),
        tool('jb-remove', this.t('jr.remove'), '✕', () => this.remove(i))),
      fields);
  }

  text(field, label, obj, key, cls = '') {
    return h('label', {}, label, h('input', { class: cls, dataset: { field }, value: obj[key] || '', oninput: (ev) => { obj[key] = ev.target.value; } }));
  }

  // duration is an amount and a unit, stored in seconds.
  duration(field, label, get, set) {
    const [n, u] = splitSeconds(get());
    const amount = h('input', { type: 'number', min: 1, class: 'jb-amount', dataset: { field }, value: n, 'aria-label': label });
    const unit = h('select', { class: 'jb-unit', 'aria-label': this.t('jr.unit') }, ...['s', 'm', 'h', 'd'].map((k) => h('option', { value: k, selected: k === u }, this.t(`u.${k}`))));
    const sync = () => set(Math.round((Number(amount.value) || 0) * UNITS[unit.value]));
    amount.addEventListener('input', sync);
    unit.addEventListener('change', sync);
    return h('div', { class: 'row-inline' }, h('label', {}, label, amount), h('label', {}, this.t('jr.unit'), unit));
  }

  templateFields(box, s, f) {
    const tpls = this.lists.templates;
    if (!tpls.length) { add(box, h('p', { class: 'empty', dataset: { field: `${f}.templateId` } }, this.t('jr.noTemplates'))); return; }
    s.variables = s.variables || {};
    const vars = h('div', { class: 'vars', dataset: { field: `${f}.variables` } });
    const paintVars = () => {
      const tp = tpls.find((x) => x.id === s.templateId);
      clear(vars);
      if (!tp) return;
      for (const k of templateVars(tp)) {
        if (s.variables[k] === undefined) s.variables[k] = k === 'body.1' ? 'contact.name' : '';
        add(vars, h('label', {}, varLabel(k), h('input', { name: k, class: 'jb-var', list: 'jb-sources', value: s.variables[k],
          oninput: (ev) => { s.variables[k] = ev.target.value; } })));
      }
    };
    const select = h('select', { class: 'jb-template', dataset: { field: `${f}.templateId` }, onchange: () => { s.templateId = Number(select.value); s.variables = {}; paintVars(); } },
      s.templateId && !tpls.some((x) => x.id === s.templateId) ? h('option', { value: s.templateId, selected: true }, `#${s.templateId}`) : null,
      ...tpls.map((tp) => h('option', { value: tp.id, selected: tp.id === s.templateId }, `${tp.name} (${tp.language}, ${tp.category})`)));
    add(box, h('label', {}, this.t('jr.template'), select),
      h('p', { class: 'muted' }, this.t('varHelp')), vars);
    paintVars();
  }

  waitFields(box, s, f) {
    s.wait = s.wait || { seconds: 3600 };
    const w = s.wait;
    const mode = w.field ? 'field' : w.atTime ? 'at' : 'for';
    const pick = h('select', { class: 'jb-wait-mode', dataset: { field: `${f}.wait` }, onchange: (ev) => {
      s.wait = { for: { seconds: 3600 }, at: { atTime: '09:00' }, field: { field: 'case.due_date', offsetDays: -1 } }[ev.target.value];
      this.paintSteps();
    } }, ...[['for', 'jr.waitFor'], ['at', 'jr.waitAt'], ['field', 'jr.waitField']].map(([v, k]) => h('option', { value: v, selected: v === mode }, this.t(k))));
    add(box, h('label', {}, this.t('jr.waitMode'), pick));
    const time = (label) => h('label', {}, label, h('input', { type: 'time', class: 'jb-at', dataset: { field: `${f}.wait.atTime` }, value: w.atTime || '',
      oninput: (ev) => { w.atTime = ev.target.value; } }));
    if (mode === 'for') add(box, this.duration(`${f}.wait.seconds`, this.t('jr.amount'), () => w.seconds, (v) => { w.seconds = v; }));
    if (mode === 'at') add(box, time(this.t('jr.atTime')));
    if (mode === 'field') {
      add(box, h('div', { class: 'row-inline' },
        h('label', {}, this.t('jr.field'), h('input', { list: 'jb-date-fields', dataset: { field: `${f}.wait.field` }, value: w.field, oninput: (ev) => { w.field = ev.target.value; } })),
        h('label', {}, this.t('jr.offsetDays'), h('input', { type: 'number', min: -366, max: 366, dataset: { field: `${f}.wait.offsetDays` }, value: w.offsetDays || 0,
          oninput: (ev) => { w.offsetDays = Number(ev.target.value) || 0; } })),
        time(this.t('jr.atTime'))));
    }
  }

  // askFields: the list of dates' text, how many dates, its button, the
  // wait for the tap and where a date / no date leads.
  askFields(box, s, f) {
    add(box, h('label', {}, this.t('jr.askBody'), h('textarea', { class: 'jb-ask-body', rows: 3, maxlength: 1024, dataset: { field: `${f}.body` },
      oninput: (ev) => { s.body = ev.target.value; } }, s.body || '')),
    h('div', { class: 'row-inline' },
      h('label', {}, this.t('jr.askDates'), h('input', { type: 'number', min: 1, max: 10, class: 'jb-ask-dates', dataset: { field: `${f}.dates` }, value: s.dates || 0,
        oninput: (ev) => { s.dates = Number(ev.target.value) || 0; } })),
      h('label', {}, this.t('jr.askButton'), h('input', { class: 'jb-ask-button', maxlength: 20, dataset: { field: `${f}.button` }, value: s.button || '',
        oninput: (ev) => { s.button = ev.target.value; } }))),
    h('p', { class: 'muted' }, this.t('jr.askHelp')),
    this.duration(`${f}.timeoutSeconds`, this.t('jr.timeout'), () => s.timeoutSeconds, (v) => { s.timeoutSeconds = v; }),
    h('div', { class: 'row-inline' },
      h('label', {}, this.t('jr.onPromise'), this.target(s, `${f}.next`, () => s.next, (v) => { s.next = v; }, this.t('jr.thenNext'))),
      h('label', {}, this.t('jr.onNoPromise'), this.target(s, `${f}.else`, () => s.else, (v) => { s.else = v; }, this.t('jr.thenNext')))));
  }

  branchFields(box, s, f) {
    s.rules = s.rules || [];
    const rules = h('div', { class: 'jb-rules', dataset: { field: `${f}.rules` } }, ...s.rules.map((r, j) => {
      const rf = `${f}.rules[${j}]`;
      const on = h('select', { class: 'jb-rule-on', dataset: { field: `${rf}.on` }, onchange: (ev) => { r.on = ev.target.value; this.paintSteps(); } },
        ...RULES.map((k) => h('option', { value: k, selected: r.on === k }, this.t(`on.${k}`))));
      return h('div', { class: 'row-inline jb-rule', dataset: { index: j } },
        h('label', {}, this.t('jr.if'), on),
        r.on === 'attribute' ? this.text(`${rf}.attribute`, this.t('jr.attribute'), r, 'attribute', 'jb-rule-attr') : null,
        ['button', 'keyword', 'attribute'].includes(r.on) ? this.text(`${rf}.value`, this.t('jr.value'), r, 'value', 'jb-rule-value') : null,
        h('label', {}, this.t('jr.goto'), this.target(s, `${rf}.goto`, () => r.goto, (v) => { r.goto = v; }, '—')),
        h('button', { type: 'button', class: 'icon jb-remove-rule', title: this.t('jr.removeRule'), 'aria-label': this.t('jr.removeRule'),
          onclick: () => { s.rules.splice(j, 1); this.paintSteps(); } }, '✕'));
    }));
    add(box, h('div', { class: 'muted' }, this.t('jr.rules')), rules,
      h('button', { type: 'button', class: 'jb-add-rule', onclick: () => { s.rules.push({ on: 'button', value: '', goto: '' }); this.paintSteps(); } }, `+ ${this.t('jr.addRule')}`),
      h('label', {}, this.t('jr.else'), this.target(s, `${f}.else`, () => s.else, (v) => { s.else = v; }, this.t('jr.thenNext'))));
  }

  assignFields(box, s, f) {
    const who = s.teamId ? 'team' : 'agent';
    const list = who === 'team' ? this.lists.teams : this.lists.agents;
    const key = who === 'team' ? 'teamId' : 'agentId';
    const pick = h('select', { class: 'jb-assign-kind', onchange: (ev) => { s.agentId = 0; s.teamId = 0; if (ev.target.value === 'team') s.teamId = -1; this.paintSteps(); } },
      h('option', { value: 'agent', selected: who === 'agent' }, this.t('jr.agent')), h('option', { value: 'team', selected: who === 'team' }, this.t('jr.team')));
    if (s.teamId === -1) s.teamId = list?.[0]?.id || 0; // just switched to team
    const label = this.t(who === 'team' ? 'jr.team' : 'jr.agent');
    const value = list
      ? h('select', { dataset: { field: `${f}.agentId` }, onchange: (ev) => { s[key] = Number(ev.target.value); } }, h('option', { value: 0 }, '—'),
        ...list.map((x) => h('option', { value: x.id, selected: x.id === s[key] }, x.name)))
      : h('input', { type: 'number', min: 1, dataset: { field: `${f}.agentId` }, 'aria-label': this.t('jr.idOf', { x: label }), value: s[key] || '',
        oninput: (ev) => { s[key] = Number(ev.target.value) || 0; } });
    add(box, h('div', { class: 'row-inline' }, h('label', {}, this.t('jr.assignTo'), pick), h('label', {}, label, value)));
  }

  clearErrors() { clearFieldErrors(this.body); }
  showField(e) { return showFieldError(this.body, e); }

  async save(btn) {
    const p = this.page, d = this.data;
    this.clearErrors();
    if (!d.name.trim()) { this.err.show({ message: this.t('jr.nameRequired') }); this.showField({ field: 'name', message: this.t('jr.nameRequired') }); return; }
    const definition = this.definition();
    const quietHours = { days: d.qh.days.slice().sort(), from: d.qh.from, to: d.qh.to };
    btn.disabled = true;
    try {
      if (!this.id) {
        const out = await p.api.post('/api/v1/journeys', { name: d.name.trim(), senderId: d.senderId || 0, quietHours, definition });
        p.app.toast(this.t('jr.saved'));
        p.app.navigate(`/journeys/${out.id}`);
        return;
      }
      const patch = { name: d.name.trim(), quietHours };
      if (d.senderId) patch.senderId = d.senderId;
      if (JSON.stringify(definition) !== this.original) patch.definition = definition;
      const out = await p.api.patch(`/api/v1/journeys/${this.id}`, patch);
      p.app.toast(patch.definition ? this.t('jr.savedVersion', { v: out.currentVersion }) : this.t('jr.saved'));
      p.app.navigate(`/journeys/${this.id}`);
    } catch (e) {
      btn.disabled = false;
      // A duration's bounds are in seconds; the editor shows days or hours.
      if (/(\.seconds|\.timeoutSeconds)$/.test(e.field || '')) e = { field: e.field, message: `${e.message} ${this.t('jr.secondsNote')}` };
      const beside = e.field && this.showField(e);
      this.err.show(beside ? { message: `${this.t('jr.fixField')} ${e.message}` } : e);
    }
  }
}
