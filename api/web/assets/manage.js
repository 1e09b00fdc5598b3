// Management pages: templates, senders, roles (permission matrix), cases
// (pool views, assign, bulk redistribute) and the audit log.
import { Page, h, clear, add, fill, chip, statusChip } from './page.js';
import { templateVars } from './inbox.js';
import { sendersNav } from './autoreplies.js';

export class TemplatesPage extends Page {
  mount() {
    this.body = this.shell(this.t('templates'));
    this.listEl = h('div', { id: 'template-list' });
    this.status = h('select', { id: 'template-status', 'aria-label': this.t('status'), onchange: () => this.load() },
      ...['', 'DRAFT', 'PENDING', 'APPROVED', 'REJECTED', 'PAUSED', 'DISABLED'].map((v) => h('option', { value: v }, v ? this.t(`st.${v.toLowerCase()}`) : this.t('filter.status.any'))));
    this.statsEl = h('div', { id: 'template-stats' });
    add(this.body, h('div', { class: 'toolbar' }, this.status), this.listEl, this.statsEl);
    if (this.can('templates:write')) add(this.body, this.form());
    this.load();
  }
  async load() {
    try {
      const newest = this.turn();
      const out = await this.api.get(`/api/v1/templates${this.status.value ? `?status=${this.status.value}` : ''}`);
      if (!newest()) return;
      this.lastList = out.data || [];
      fill(this.listEl, this.table([this.t('name'), this.t('langCol'), this.t('category'), this.t('status'), this.t('reason'), this.t('updated'), ''],
        (out.data || []).map((tp) => [tp.name, tp.language, h('span', {}, tp.category, tp.upcomingCategory
          ? h('div', { class: 'muted', dataset: { upcoming: tp.name } }, `→ ${tp.upcomingCategory}${tp.upcomingCategoryAt ? ` ${this.time(tp.upcomingCategoryAt)}` : ''}`)
          : tp.previousCategory ? h('div', { class: 'muted' }, `← ${tp.previousCategory}`) : null), statusChip(this, tp.status), tp.reason || tp.quality || '', this.time(tp.updatedAt),
          h('span', {}, this.can('templates:write') && (tp.status === 'DRAFT' || tp.status === 'REJECTED')
            ? h('button', { class: 'link', dataset: { submit: tp.name }, onclick: () => this.submitTpl(tp) }, this.t('submitReview'))
            // WhatsApp may have lost it (deleted in WhatsApp Manager, an account reset): it answers 409 if it still has it.
            : this.can('templates:write') ? h('button', { class: 'link', dataset: { resubmit: tp.name }, title: this.t('resubmitHelp'), onclick: () => this.submitTpl(tp) }, this.t('resubmit')) : null,
          tp.status !== 'DRAFT' ? h('button', { class: 'link', dataset: { stats: tp.name }, onclick: () => this.stats(tp) }, this.t('stats')) : null)])));
    } catch (e) { this.fail(e); }
  }
  // stats shows the last 30 days of a template's sends: totals, rates and
  // a bar per day.
  async stats(tp) {
    try {
      const st = await this.api.get(`/api/v1/templates/${tp.id}/stats?days=30`);
      const pct = (x) => `${Math.round((x || 0) * 1000) / 10}%`;
      const max = Math.max(1, ...(st.daily || []).map((d) => d.sent || 0));
      fill(this.statsEl, h('div', { class: 'card', id: 'template-stats-card' },
        h('div', { class: 'side-head' }, h('h3', {}, this.t('statsTitle', { name: `${st.name} (${st.language})`, days: st.days })),
          h('button', { class: 'link', 'aria-label': this.t('close'), onclick: () => clear(this.statsEl) }, '×')),
        h('div', { class: 'stats' }, ...['sent', 'delivered', 'read', 'replied', 'failed'].map((k) =>
          h('div', { class: 'stat', dataset: { k } }, h('strong', {}, String(st.totals?.[k] ?? 0)), h('span', {}, this.t(`f.${k}`))))),
        h('div', { class: 'stats' }, ...['delivered', 'read', 'replied', 'failed'].map((k) =>
          h('div', { class: 'stat', dataset: { rate: k } }, h('strong', {}, pct(st.rates?.[k])), h('span', {}, this.t(`rate.${k}`))))),
        h('div', { class: 'muted' }, this.t('perDay')),
        h('div', { class: 'daily' }, ...(st.daily || []).map((d) => h('div', { class: 'day', title: `${d.day}: ${d.sent}` },
          h('span', { class: 'day-bar', style: { height: `${Math.round((100 * (d.sent || 0)) / max)}%` } }), h('span', { class: 'day-label' }, d.day.slice(8))))),
        this.compareSelect(tp)));
    } catch (e) { this.fail(e); }
  }

  // compareSelect offers the other sent templates to compare tp with (an
  // A/B test of two wordings).
  compareSelect(tp) {
    const others = (this.lastList || []).filter((x) => x.id !== tp.id && x.status !== 'DRAFT');
    if (!others.length) return null;
    const sel = h('select', { id: 'template-compare', 'aria-label': this.t('cmp.with'), onchange: () => {
      const other = others.find((x) => String(x.id) === sel.value);
      if (other) this.compare(tp, other);
    } }, h('option', { value: '' }, this.t('cmp.with')), ...others.map((x) => h('option', { value: x.id }, `${x.name} (${x.language})`)));
    return h('div', { class: 'row-inline' }, sel);
  }

  // compare shows two templates' last 30 days side by side and names the
  // reply-rate winner once the server's test says the gap is not chance.
  async compare(a, b) {
    try {
      const c = await this.api.get(`/api/v1/templates/${a.id}/compare/${b.id}?days=30`);
      const pct = (x) => `${Math.round((x || 0) * 1000) / 10}%`;
      const name = (st) => `${st.name} (${st.language})`;
      const row = (label, k, fa, fb, lead) => h('tr', { dataset: { k } }, h('th', {}, label),
        h('td', { class: lead === 'a' ? 'winner' : '' }, fa), h('td', { class: lead === 'b' ? 'winner' : '' }, fb));
      const verdict = c.significant ? this.t('cmp.winner', { name: name(c.leader === 'a' ? c.a : c.b), z: Math.abs(c.z) })
        : c.leader ? this.t('cmp.notYet', { name: name(c.leader === 'a' ? c.a : c.b), min: c.minSends }) : this.t('cmp.none');
      fill(this.statsEl, h('div', { class: 'card', id: 'template-compare-card' },
        h('div', { class: 'side-head' }, h('h3', {}, this.t('cmp.title', { days: c.a.days })),
          h('button', { class: 'link', 'aria-label': this.t('close'), onclick: () => clear(this.statsEl) }, '×')),
        h('table', { class: 'cmp' }, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, name(c.a)), h('th', {}, name(c.b)))),
          h('tbody', {}, ...['sent', 'delivered', 'read', 'replied'].map((k) => row(this.t(`f.${k}`), k, String(c.a.totals[k] || 0), String(c.b.totals[k] || 0))),
            ...['delivered', 'read', 'replied'].map((k) => row(this.t(`rate.${k}`), `rate-${k}`, pct(c.a.rates[k]), pct(c.b.rates[k]), k === 'replied' ? c.leader : '')))),
        h('p', { id: 'template-compare-verdict', dataset: { leader: c.leader, significant: String(c.significant) } }, verdict)));
    } catch (e) { this.fail(e); }
  }

  // Meta's review arrives as a webhook; the realtime event refreshes the list.
  onEvent(e) { if (e.type === 'template.updated') { clearTimeout(this.rt); this.rt = setTimeout(() => this.load(), 200); } }

  async submitTpl(tp) {
    try { await this.api.post(`/api/v1/templates/${tp.id}/submit`); this.app.toast(this.t('submitted')); this.load(); } catch (e) { this.fail(e); }
  }
  // form builds a template with header/body/footer and shows it live as a
  // WhatsApp bubble; the API's validation errors appear next to it.
  form() {
    const err = this.errorBox();
    const preview = h('div', { class: 'phone-preview', id: 'tpl-preview' });
    const f = h('form', { class: 'card form wide', id: 'template-form' }, h('h3', {}, this.t('newTemplate')),
      h('div', { class: 'row-inline' },
        h('label', {}, this.t('name'), h('input', { name: 'name', required: true, pattern: '[a-z0-9_]+', placeholder: 'pengingat_tagihan' })),
        h('label', {}, this.t('langCol'), h('select', { name: 'language' }, ...['id', 'en', 'en_US'].map((l) => h('option', { value: l }, l)))),
        h('label', {}, this.t('category'), h('select', { name: 'category' }, ...['UTILITY', 'MARKETING', 'AUTHENTICATION'].map((c) => h('option', { value: c }, c)))),
        h('label', {}, 'WABA ID', h('input', { name: 'wabaId', required: true }))),
      h('div', { class: 'row-inline' },
        h('label', {}, this.t('headerKind'), h('select', { name: 'headerFormat', id: 'tpl-header-format' },
          ...['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT'].map((k) => h('option', { value: k }, this.t(`header${k}`))))),
        h('label', { id: 'tpl-header-text' }, this.t('header'), h('input', { name: 'header', maxlength: 60 })),
        h('label', { id: 'tpl-header-file', style: { display: 'none' } }, this.t('headerSample'),
          h('input', { type: 'file', name: 'headerFile', id: 'tpl-header-input' }),
          h('span', { class: 'muted', id: 'tpl-header-status', role: 'status' }))),
      h('label', {}, this.t('body'), h('textarea', { name: 'body', rows: 4, required: true, maxlength: 1024, placeholder: 'Halo {{1}}, tagihan Anda {{2}} jatuh tempo.' })),
      h('label', {}, this.t('footer'), h('input', { name: 'footer', maxlength: 60 })),
      h('div', { class: 'vars', id: 'tpl-examples' }),
      err, h('button', { class: 'primary', type: 'submit' }, this.t('create')));
    const examples = f.querySelector('#tpl-examples');
    const ex = {};
    // A media header needs a sample file, uploaded to WhatsApp (Resumable
    // Upload API) for its handle before the template can be created.
    const accept = { IMAGE: 'image/jpeg,image/png', VIDEO: 'video/mp4', DOCUMENT: 'application/pdf' };
    const fmtSel = f.querySelector('#tpl-header-format');
    const fileIn = f.querySelector('#tpl-header-input');
    const status = f.querySelector('#tpl-header-status');
    const showHeader = () => {
      const media = fmtSel.value !== 'TEXT';
      // style, not the hidden attribute: the form's label rule would show it.
      f.querySelector('#tpl-header-text').style.display = media ? 'none' : '';
      f.querySelector('#tpl-header-file').style.display = media ? '' : 'none';
      fileIn.accept = accept[fmtSel.value] || '';
      if (media && ex.headerFormat !== fmtSel.value) { delete ex.headerHandle; status.textContent = ''; fileIn.value = ''; }
    };
    fmtSel.addEventListener('change', showHeader);
    fileIn.addEventListener('change', async () => {
      const file = fileIn.files[0];
      delete ex.headerHandle;
      if (!file) return;
      status.textContent = this.t('uploading');
      const form = new FormData();
      form.append('format', fmtSel.value);
      form.append('file', file);
      try {
        const up = await this.api.upload('/api/v1/templates/header-sample', form);
        ex.headerHandle = up.handle; ex.headerFormat = up.format; ex.headerName = up.filename;
        status.textContent = this.t('sampleReady', { name: up.filename });
        status.dataset.ready = '1';
        paintPreview();
      } catch (e) { status.textContent = ''; status.dataset.ready = ''; err.show(e); }
    });
    const paint = () => {
      const d = new FormData(f);
      const comps = this.components(d, ex);
      const keys = templateVars({ components: comps });
      // Example inputs for every variable: Meta rejects templates without them.
      clear(examples);
      for (const k of keys) {
        add(examples, h('label', {}, `${this.t('example')} ${k}`, h('input', { value: ex[k] || '', dataset: { key: k }, oninput: (ev) => { ex[k] = ev.target.value; paintPreview(); } })));
      }
      paintPreview();
    };
    const paintPreview = () => {
      const d = new FormData(f);
      const sub = (part, text) => String(text || '').replace(/\{\{\s*(\w+)\s*\}\}/g, (m, n) => ex[`${part}.${n}`] || m);
      fill(preview, h('div', { class: 'bubble out' },
        d.get('headerFormat') !== 'TEXT' ? h('div', { class: 'muted' }, `[${this.t(`header${d.get('headerFormat')}`)}${ex.headerName ? `: ${ex.headerName}` : ''}]`)
          : d.get('header') ? h('strong', {}, sub('header', d.get('header'))) : null,
        h('div', {}, sub('body', d.get('body'))),
        d.get('footer') ? h('div', { class: 'muted' }, d.get('footer')) : null));
    };
    f.addEventListener('input', (ev) => { err.show(null); if (!ev.target.dataset.key) paint(); });
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      try {
        await this.api.post('/api/v1/templates', { name: d.get('name'), language: d.get('language'), category: d.get('category'),
          wabaId: d.get('wabaId'), components: this.components(d, ex, true) });
        // A new template starts from nothing: no examples, no sample.
        err.show(null); f.reset(); for (const k of Object.keys(ex)) delete ex[k]; status.textContent = ''; status.dataset.ready = ''; showHeader(); paint(); this.app.toast(this.t('saved')); this.load();
      } catch (e) { err.show(e); }
    };
    paint();
    return h('div', { class: 'split' }, f, h('div', {}, h('div', { class: 'muted' }, this.t('preview')), preview));
  }
  components(d, ex, withExamples = false) {
    const nums = (text) => [...String(text).matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
    const out = [];
    const hf = d.get('headerFormat') || 'TEXT';
    if (hf !== 'TEXT') {
      // Without a sample the API answers why (a media header needs one).
      out.push(ex.headerHandle && ex.headerFormat === hf ? { type: 'HEADER', format: hf, example: { header_handle: [ex.headerHandle] } } : { type: 'HEADER', format: hf });
    } else if (d.get('header')) {
      const c = { type: 'HEADER', format: 'TEXT', text: d.get('header') };
      if (withExamples && nums(c.text).length) c.example = { header_text: nums(c.text).map((n) => ex[`header.${n}`] || '') };
      out.push(c);
    }
    const body = { type: 'BODY', text: d.get('body') || '' };
    if (withExamples && nums(body.text).length) body.example = { body_text: [nums(body.text).map((n) => ex[`body.${n}`] || '')] };
    out.push(body);
    if (d.get('footer')) out.push({ type: 'FOOTER', text: d.get('footer') });
    return out;
  }
}

export class SendersPage extends Page {
  mount() {
    this.body = this.shell(this.t('senders'));
    this.listEl = h('div', { id: 'sender-list' });
    this.allocEl = h('div', { id: 'sender-allocations' });
    add(this.body, sendersNav(this), this.listEl, this.allocEl);
    this.load();
  }
  async load() {
    try {
      const out = await this.api.get('/api/v1/senders');
      fill(this.listEl, this.table([this.t('number'), this.t('verifiedName'), this.t('quality'), this.t('tier'), 'MPS', this.t('status'), ''],
        (out.data || []).map((s) => [h('span', {}, s.displayNumber || s.phoneNumberId, h('div', { class: 'muted' }, `ID ${s.phoneNumberId}`)), s.verifiedName || '', chip(s.quality || '?', `q-${(s.quality || '').toLowerCase()}`),
          s.messagingLimitTier || '', String(s.throughputMps || ''), h('span', {}, statusChip(this, s.status), s.statusReason ? h('span', { class: 'muted' }, ` ${this.reason(s.statusReason)}`) : ''),
          h('span', {}, h('button', { class: 'link', onclick: () => this.allocations(s) }, this.t('allocation')),
            this.can('senders:write') ? h('button', { class: 'link', title: this.t('syncHelp'), onclick: async () => {
              try { await this.api.post(`/api/v1/senders/${s.id}/sync`); this.app.toast(this.t('saved')); this.load(); } catch (e) { this.fail(e); }
            } }, this.t('sync')) : null)])));
    } catch (e) { this.fail(e); }
  }
  onEvent(e) { if (e.type === 'sender.updated') { clearTimeout(this.rt); this.rt = setTimeout(() => this.load(), 200); } }

  async allocations(s) {
    try {
      const [out, agents, teams] = await Promise.all([this.api.get(`/api/v1/senders/${s.id}/allocations`),
        this.can('agents:read') ? this.api.get('/api/v1/agents?limit=200') : { items: [] },
        this.can('teams:read') ? this.api.get('/api/v1/teams') : { items: [] }]);
      const an = new Map((agents.items || []).map((a) => [a.id, a.name]));
      const tn = new Map((teams.items || []).map((t) => [t.id, t.name]));
      const rows = (out.data || []).map((a) => [a.agentId ? `${this.t('agent')}: ${an.get(a.agentId) || a.agentId}` : `${this.t('teamCol')}: ${tn.get(a.teamId) || a.teamId}`,
        chip(this.t(a.role), a.role), this.can('senders:write') ? h('button', { class: 'link', onclick: async () => {
          try { await this.api.del(`/api/v1/senders/${s.id}/allocations/${a.id}`); this.allocations(s); } catch (e) { this.fail(e); }
        } }, this.t('delete')) : '']);
      fill(this.allocEl, h('h3', {}, `${this.t('allocation')} · ${s.displayNumber || s.phoneNumberId}`), this.table([this.t('allocatedTo'), this.t('role'), ''], rows));
      if (!this.can('senders:write')) return;
      const err = this.errorBox();
      const who = h('select', { name: 'who' },
        ...(teams.items || []).map((t) => h('option', { value: `t${t.id}` }, `${this.t('teamCol')}: ${t.name}`)),
        ...(agents.items || []).map((a) => h('option', { value: `a${a.id}` }, `${this.t('agent')}: ${a.name}`)));
      const role = h('select', { name: 'role' }, ...['primary', 'secondary'].map((r) => h('option', { value: r }, this.t(r))));
      const f = h('form', { class: 'row-inline', id: 'alloc-form' }, who, role, h('button', { class: 'primary', type: 'submit' }, this.t('allocate')), err);
      f.onsubmit = async (ev) => {
        ev.preventDefault();
        const v = who.value;
        const body = { role: role.value, ...(v.startsWith('t') ? { teamId: Number(v.slice(1)) } : { agentId: Number(v.slice(1)) }) };
        try { await this.api.post(`/api/v1/senders/${s.id}/allocations`, body); this.allocations(s); } catch (e) { err.show(e); }
      };
      add(this.allocEl, f);
    } catch (e) { this.fail(e); }
  }
}

export class RolesPage extends Page {
  mount() {
    this.body = this.shell(this.t('roles'));
    this.matrix = h('div', { id: 'role-matrix', class: 'table-wrap' });
    add(this.body, h('p', { class: 'muted' }, this.t('rolesHelp')), this.matrix);
    if (this.can('roles:write')) add(this.body, this.form());
    this.load();
  }
  async load() {
    try {
      const [cat, roles] = await Promise.all([this.api.get('/api/v1/permissions'), this.api.get('/api/v1/roles')]);
      this.paint(cat.items || [], roles.items || []);
    } catch (e) { this.fail(e); }
  }
  // paint draws permissions (rows) by roles (columns); a change is saved at
  // once. Admin always holds everything, so its column is read-only.
  paint(catalog, roles) {
    const edit = this.can('roles:write');
    const head = h('tr', {}, h('th', {}, this.t('permission')), ...roles.map((r) => h('th', {}, r.name, h('div', { class: 'muted' }, `${this.t(`scope.${r.dataScope}`)} · ${r.agentCount}`))));
    const rows = catalog.map((p) => h('tr', {}, h('td', { title: p.description }, h('code', {}, p.name), h('div', { class: 'muted' }, p.description)),
      ...roles.map((r) => h('td', { class: 'center' }, h('input', { type: 'checkbox', 'aria-label': `${r.name} ${p.name}`, dataset: { role: r.id, perm: p.name },
        checked: r.permissions.includes(p.name), disabled: !edit || r.systemKey === 'admin',
        onchange: async (ev) => {
          const next = ev.target.checked ? [...r.permissions, p.name] : r.permissions.filter((x) => x !== p.name);
          try { const out = await this.api.patch(`/api/v1/roles/${r.id}`, { permissions: next }); r.permissions = out.permissions; } catch (e) { ev.target.checked = !ev.target.checked; this.fail(e); }
        } })))));
    const foot = edit ? h('tr', {}, h('td', {}), ...roles.map((r) => h('td', { class: 'center' }, !r.system && !r.systemKey
      ? h('button', { class: 'link', onclick: async () => {
        if (!confirm(this.t('confirmDelete', { x: r.name }))) return;
        try { await this.api.del(`/api/v1/roles/${r.id}`); this.load(); } catch (e) { this.fail(e); }
      } }, this.t('delete')) : ''))) : null;
    fill(this.matrix, h('table', { class: 'grid matrix' }, h('thead', {}, head), h('tbody', {}, ...rows, foot)));
  }
  form() {
    const err = this.errorBox();
    const f = h('form', { class: 'card form', id: 'role-form' }, h('h3', {}, this.t('newRole')),
      h('label', {}, this.t('name'), h('input', { name: 'name', required: true, maxlength: 80 })),
      h('label', {}, this.t('dataScope'), h('select', { name: 'dataScope' }, ...['own', 'teams', 'all'].map((s) => h('option', { value: s }, this.t(`scope.${s}`))))),
      err, h('button', { class: 'primary', type: 'submit' }, this.t('create')));
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      try {
        await this.api.post('/api/v1/roles', { name: d.get('name'), dataScope: d.get('dataScope'), permissions: ['profile:read', 'profile:write'] });
        err.show(null); f.reset(); this.load();
      } catch (e) { err.show(e); }
    };
    return f;
  }
}

const CASE_VIEWS = ['pooled', 'assigned', 'in_progress', 'exited'];

export class CasesPage extends Page {
  mount() {
    this.status = 'pooled';
    this.body = this.shell(this.t('cases'));
    this.tabs = h('div', { class: 'tabs inline-tabs' });
    this.filters = h('div', { class: 'toolbar' });
    this.listEl = h('div', { id: 'case-list' });
    add(this.body, this.tabs, this.filters, this.listEl, this.detailEl = h('div', { id: 'case-detail' }));
    this.boot();
  }
  async boot() {
    try {
      const [agents, teams] = await Promise.all([this.can('agents:read') ? this.api.get('/api/v1/agents?limit=200') : { items: [] },
        this.can('teams:read') ? this.api.get('/api/v1/teams') : { items: [] }]);
      this.agents = agents.items || [];
      this.teams = teams.items || [];
    } catch (e) { this.fail(e); this.agents = []; this.teams = []; }
    this.team = h('select', { id: 'case-team', 'aria-label': this.t('teamCol'), onchange: () => this.load() }, h('option', { value: '' }, this.t('allTeams')), ...this.teams.map((t) => h('option', { value: t.id }, t.name)));
    this.q = h('input', { id: 'case-q', type: 'search', placeholder: this.t('searchCases'), 'aria-label': this.t('searchCases'),
      oninput: () => { clearTimeout(this.qTimer); this.qTimer = setTimeout(() => this.load(), 250); } });
    add(this.filters, this.team, this.q);
    if (this.can('cases:assign')) {
      add(this.filters, h('button', { id: 'case-redistribute', onclick: () => this.redistribute() }, this.t('redistribute')));
    }
    this.paintTabs();
    this.load();
    // The pool moves on its own (workflows assign and expire): refresh.
    this.every(3000, () => this.load());
  }
  paintTabs() {
    fill(this.tabs, ...CASE_VIEWS.map((v) => h('button', { class: v === this.status ? 'tab active' : 'tab', dataset: { view: v },
      onclick: () => { this.status = v; this.paintTabs(); this.load(); } }, this.t(`case.${v}`))));
  }
  async load() {
    if (!this.team || this.listEl.contains(document.activeElement)) return;
    try {
      const p = new URLSearchParams({ status: this.status, limit: '100' });
      if (this.team.value) p.set('teamId', this.team.value);
      if (this.q.value.trim()) p.set('q', this.q.value.trim());
      const newest = this.turn();
      const out = await this.api.get(`/api/v1/cases?${p}`);
      if (!newest()) return;
      const an = new Map(this.agents.map((a) => [a.id, a.name]));
      const tn = new Map(this.teams.map((t) => [t.id, t.name]));
      const rupiah = new Intl.NumberFormat('id-ID', { style: 'currency', currency: 'IDR', maximumFractionDigits: 0 });
      fill(this.listEl, this.table([this.t('reference'), this.t('customer'), this.t('outstanding'), 'DPD', this.t('teamCol'), this.t('agent'), this.t('status'), ''],
        out.items.map((c) => [h('button', { class: 'link', dataset: { case: c.reference }, onclick: () => this.detail(c) }, c.reference),
          this.customer(c),
          rupiah.format(c.outstanding || c.amount || 0), String(c.dpd ?? ''), tn.get(c.teamId) || String(c.teamId),
          c.agentId ? an.get(c.agentId) || String(c.agentId) : '—', h('span', {}, this.t(`case.${c.status}`), c.overdue ? chip(this.t('overdue'), 'warn') : ''),
          this.caseActions(c)])),
        h('p', { class: 'muted' }, this.t('rangeOf', { a: out.items.length ? 1 : 0, b: out.items.length, n: out.total })));
    } catch (e) { this.fail(e); }
  }
  // customer names whom the case is about and opens the latest chat with them.
  customer(c) {
    if (!c.contactName && !c.contactPhone) return '—';
    const label = [c.contactName, c.contactPhone].filter(Boolean).join(' · ');
    if (!c.conversationId || !this.can('inbox:read')) return label;
    return h('a', { href: `/inbox/${c.conversationId}`, class: 'link', dataset: { conversation: c.conversationId },
      onclick: (ev) => { ev.preventDefault(); this.app.navigate(`/inbox/${c.conversationId}`); } }, label);
  }
  caseActions(c) {
    if (c.status === 'pooled' && this.can('cases:claim') && !this.can('cases:assign')) {
      return h('button', { class: 'claim', dataset: { claim: c.reference }, onclick: async () => {
        // The list does not repaint under a focused row control: let go of it.
        try { await this.api.post(`/api/v1/cases/${c.id}/claim`); document.activeElement?.blur(); this.app.toast(this.t('claimed')); this.load(); } catch (e) { this.fail(e); }
      } }, this.t('claim'));
    }
    if (!this.can('cases:assign') || c.status === 'exited') return '';
    const members = this.agents.filter((a) => a.status === 'active');
    const sel = h('select', { 'aria-label': this.t('assignTo') }, h('option', { value: '' }, this.t('assignTo')), ...members.map((a) => h('option', { value: a.id }, a.name)));
    sel.onchange = async () => {
      if (!sel.value) return;
      try { await this.api.post(`/api/v1/cases/${c.id}/assign`, { agentId: Number(sel.value) }); this.app.toast(this.t('saved')); setTimeout(() => this.load(), 500); } catch (e) { this.fail(e); }
    };
    return h('span', { class: 'row-inline' }, sel, c.agentId ? h('button', { class: 'link', onclick: async () => {
      try { await this.api.post(`/api/v1/cases/${c.id}/recall`); setTimeout(() => this.load(), 500); } catch (e) { this.fail(e); }
    } }, this.t('recall')) : '');
  }
  // detail shows one case with its outcome form (cases:write) and closing.
  detail(c) {
    const err = this.errorBox();
    const dl = h('dl', { class: 'review' },
      ...[['reference', c.reference], ['product', c.product || '—'], ['outstanding', new Intl.NumberFormat('id-ID', { style: 'currency', currency: 'IDR', maximumFractionDigits: 0 }).format(c.outstanding || c.amount || 0)],
        ['dueDate', c.dueDate ? String(c.dueDate).slice(0, 10) : '—'], ['status', this.t(`case.${c.status}`) + (c.exitReason ? ` (${c.exitReason})` : '')],
        ['lastOutcome', c.outcome ? `${this.t(`outcome.${c.outcome}`)}${c.promiseDate ? ` · ${String(c.promiseDate).slice(0, 10)}` : ''}${c.outcomeNote ? ` · ${c.outcomeNote}` : ''}` : '—'],
        ['followUp', c.followUpAt ? this.time(c.followUpAt) : '—']].flatMap(([k, v]) => [h('dt', {}, this.t(k)), h('dd', {}, v)]));
    const box = h('div', { class: 'card form wide', id: 'case-card' }, h('div', { class: 'side-head' }, h('h3', {}, c.reference),
      h('button', { class: 'link', 'aria-label': this.t('close'), onclick: () => clear(this.detailEl) }, '×')), dl, err);
    if (this.can('cases:write') && c.status !== 'exited') {
      const outcome = h('select', { name: 'outcome' }, ...['promise_to_pay', 'contacted', 'no_answer', 'refused', 'wrong_number', 'paid_partial', 'callback']
        .map((o) => h('option', { value: o }, this.t(`outcome.${o}`))));
      const promise = h('input', { type: 'date', name: 'promiseDate' });
      const note = h('input', { name: 'note', maxlength: 2000 });
      const save = h('button', { class: 'primary', type: 'button', id: 'case-outcome-save', onclick: async () => {
        try {
          await this.api.post(`/api/v1/cases/${c.id}/outcome`, { outcome: outcome.value, promiseDate: promise.value, note: note.value });
          this.app.toast(this.t('saved')); clear(this.detailEl); setTimeout(() => this.load(), 500);
        } catch (e) { err.show(e); }
      } }, this.t('saveOutcome'));
      const reason = h('select', { name: 'reason' }, ...['resolved', 'paid', 'invalid'].map((r) => h('option', { value: r }, this.t(`exit.${r}`))));
      const close = h('button', { type: 'button', class: 'danger', id: 'case-close', onclick: async () => {
        if (!confirm(this.t('confirmClose', { x: c.reference }))) return;
        try { await this.api.post(`/api/v1/cases/${c.id}/close`, { reason: reason.value }); clear(this.detailEl); setTimeout(() => this.load(), 500); } catch (e) { err.show(e); }
      } }, this.t('closeCase'));
      add(box, h('h4', {}, this.t('recordOutcome')),
        h('div', { class: 'row-inline' }, h('label', {}, this.t('outcome'), outcome), h('label', {}, this.t('promiseDate'), promise), h('label', {}, this.t('note'), note), save),
        h('div', { class: 'row-inline' }, h('label', {}, this.t('exitReason'), reason), close));
    }
    fill(this.detailEl, box);
    box.scrollIntoView({ block: 'nearest' });
  }

  async redistribute() {
    if (!this.team.value) { this.app.toast(this.t('pickTeam')); return; }
    if (!confirm(this.t('confirmRedistribute'))) return;
    try {
      const { workflowId } = await this.api.post('/api/v1/cases/redistribute', { teamId: Number(this.team.value) });
      const timer = this.every(1000, async () => {
        try {
          const pr = await this.api.get(`/api/v1/cases/redistribute/${encodeURIComponent(workflowId)}`);
          this.app.toast(this.t('redistProgress', { seen: pr.seen, re: pr.reassigned, pool: pr.leftPooled, failed: pr.failed }));
          if (pr.done) { clearInterval(timer); this.load(); }
        } catch (e) { clearInterval(timer); this.fail(e); }
      });
    } catch (e) { this.fail(e); }
  }
}

export class AuditPage extends Page {
  mount() {
    this.offset = 0;
    this.body = this.shell(this.t('audit'));
    const entity = h('input', { id: 'audit-entity', placeholder: this.t('entity'), oninput: () => { this.offset = 0; clearTimeout(this.st); this.st = setTimeout(() => this.load(), 300); } });
    const action = h('input', { id: 'audit-action', placeholder: this.t('action'), oninput: () => { this.offset = 0; clearTimeout(this.st); this.st = setTimeout(() => this.load(), 300); } });
    this.entity = entity; this.action = action;
    this.listEl = h('div', { id: 'audit-list' });
    add(this.body, h('div', { class: 'toolbar' }, entity, action), this.listEl);
    this.load();
  }
  async load() {
    try {
      const p = new URLSearchParams({ limit: '50', offset: String(this.offset) });
      if (this.entity.value.trim()) p.set('entity', this.entity.value.trim());
      if (this.action.value.trim()) p.set('action', this.action.value.trim());
      const newest = this.turn();
      const [out, agents] = await Promise.all([this.api.get(`/api/v1/audit?${p}`),
        this.names || (this.can('agents:read') ? this.api.get('/api/v1/agents?limit=200') : { items: [] })]);
      this.names = agents;
      if (!newest()) return;
      const name = new Map((agents.items || []).map((a) => [a.id, a.name]));
      fill(this.listEl, this.table([this.t('time'), this.t('actor'), this.t('action'), this.t('entity'), this.t('details')],
        out.items.map((e) => [this.time(e.at), e.actorId ? name.get(e.actorId) || `#${e.actorId}` : this.t('system'), h('code', {}, e.action), `${e.entity}${e.entityId ? ` #${e.entityId}` : ''}`,
          h('span', { class: 'details' }, e.details ? JSON.stringify(e.details) : '')])),
        h('div', { class: 'pager' },
          h('button', { disabled: this.offset === 0, onclick: () => { this.offset = Math.max(0, this.offset - 50); this.load(); } }, '‹'),
          h('span', { class: 'muted' }, this.t(out.totalEstimated ? 'rangeOfAbout' : 'rangeOf', { a: out.items.length ? this.offset + 1 : 0, b: this.offset + out.items.length, n: out.total.toLocaleString('id-ID') })),
          // hasMore, not the total: above 10,000 the total is an estimate.
          h('button', { disabled: !out.hasMore, onclick: () => { this.offset += 50; this.load(); } }, '›')));
    } catch (e) { this.fail(e); }
  }
}
