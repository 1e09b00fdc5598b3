// Contacts: search list, segments, and the import wizard (upload CSV/XLSX,
// map columns, dry run with a per-row report, import with live progress).
import { Page, h, clear, add, fill, chip } from './page.js';
import { segmentText } from './campaigns.js';

const TARGETS = ['phone', 'name', 'caseRef', 'amount', 'dueDate', 'team', 'agent'];

export class ContactsPage extends Page {
  mount() {
    const p = location.pathname;
    const nav = this.subnav([
      { path: '/contacts', key: 'contactList', perm: 'contacts:read' },
      { path: '/contacts/segments', key: 'segments', perm: 'contacts:read' },
      { path: '/contacts/import', key: 'import', perm: 'contacts:import' },
    ]);
    if (p.startsWith('/contacts/import') && this.can('contacts:import')) {
      this.body = this.shell(this.t('import'));
      add(this.body, nav);
      this.mountImport();
    } else if (p.startsWith('/contacts/segments')) {
      this.body = this.shell(this.t('segments'));
      add(this.body, nav);
      this.mountSegments();
    } else {
      this.body = this.shell(this.t('contacts'));
      add(this.body, nav);
      this.mountList();
    }
  }

  // --- search list ---------------------------------------------------------
  mountList() {
    this.q = '';
    this.offset = 0;
    const search = h('input', { type: 'search', id: 'contact-search', placeholder: this.t('search'), 'aria-label': this.t('search'),
      oninput: (ev) => { this.q = ev.target.value.trim(); this.offset = 0; clearTimeout(this.st); this.st = setTimeout(() => this.load(), 250); } });
    this.listEl = h('div', { id: 'contact-list' });
    this.editEl = h('div', { id: 'contact-edit' });
    add(this.body, h('div', { class: 'toolbar' }, search,
      this.can('contacts:export') ? h('button', { onclick: () => this.api.download('/api/v1/contacts/export', 'contacts.csv').catch((e) => this.fail(e)) }, this.t('export')) : null),
    this.listEl, this.editEl);
    this.load = async () => {
      try {
        const p = new URLSearchParams({ limit: '50', offset: String(this.offset) });
        if (this.q) p.set('q', this.q);
        const newest = this.turn();
        const out = await this.api.get(`/api/v1/contacts?${p}`);
        if (!newest()) return;
        const pager = h('div', { class: 'pager' },
          h('button', { disabled: this.offset === 0, onclick: () => { this.offset = Math.max(0, this.offset - 50); this.load(); } }, '‹'),
          h('span', { class: 'muted' }, this.t(out.totalEstimated ? 'rangeOfAbout' : 'rangeOf', { a: out.items.length ? this.offset + 1 : 0, b: this.offset + out.items.length, n: out.total.toLocaleString('id-ID') })),
          // hasMore, not the total: above 10,000 the total is an estimate.
          h('button', { disabled: !out.hasMore, onclick: () => { this.offset += 50; this.load(); } }, '›'));
        fill(this.listEl, this.table([this.t('name'), this.t('phone'), this.t('tags'), this.t('attributes'), this.t('status')],
          out.items.map((c) => h('tr', { class: 'clickable', dataset: { id: c.id }, onclick: () => this.edit(c) },
            ...[c.name || '—', c.phoneE164 || c.waId || '—', h('span', {}, ...(c.tags || []).map((t) => chip(t))),
              attrText(c.attributes), c.optedOut ? chip(this.t('optedOut'), 'warn') : ''].map((x) => h('td', {}, x))))), pager);
      } catch (e) { this.fail(e); }
    };
    this.load();
  }

  // edit opens a contact: name, tags and opt-out can be changed.
  edit(c) {
    const can = this.can('contacts:write');
    const err = this.errorBox();
    const f = h('form', { class: 'card form', id: 'contact-form' }, h('h3', {}, c.name || c.phoneE164 || c.waId),
      h('p', { class: 'muted' }, `${c.phoneE164 || c.waId || ''} · ${this.t('created')} ${this.time(c.createdAt)}`),
      h('label', {}, this.t('name'), h('input', { name: 'name', value: c.name || '', disabled: !can })),
      h('label', {}, this.t('tags'), h('input', { name: 'tags', value: (c.tags || []).join(', '), disabled: !can })),
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'optedOut', checked: c.optedOut, disabled: !can }), this.t('optedOut')),
      h('p', { class: 'muted' }, attrText(c.attributes)), err,
      h('div', { class: 'wizard-nav' },
        can ? h('button', { class: 'primary', type: 'submit' }, this.t('save')) : h('span'),
        this.can('contacts:delete') ? h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!confirm(this.t('confirmDelete', { x: c.name || c.phoneE164 }))) return;
          try { await this.api.del(`/api/v1/contacts/${c.id}`); clear(this.editEl); this.load(); } catch (e) { err.show(e); }
        } }, this.t('delete')) : null));
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      const tags = String(d.get('tags') || '').split(',').map((x) => x.trim()).filter(Boolean);
      try {
        await this.api.patch(`/api/v1/contacts/${c.id}`, { name: d.get('name'), tags, optedOut: d.get('optedOut') === 'on' });
        this.app.toast(this.t('saved')); clear(this.editEl); this.load();
      } catch (e) { err.show(e); }
    };
    fill(this.editEl, f);
    f.scrollIntoView({ block: 'nearest' });
  }

  // --- segments ------------------------------------------------------------
  mountSegments() {
    this.listEl = h('div', { id: 'segment-list' });
    add(this.body, this.listEl);
    // Segments are campaign audiences: writing them is a campaign right.
    if (this.can('campaigns:write')) add(this.body, this.segmentForm());
    this.load = async () => {
      try {
        const out = await this.api.get('/api/v1/segments?limit=200');
        fill(this.listEl, this.table([this.t('name'), this.t('filter'), this.t('created'), ''],
          out.items.map((s) => [s.name, segmentText(this, s), this.time(s.createdAt),
            this.can('campaigns:write') ? h('button', { class: 'link', onclick: async () => {
              if (!confirm(this.t('confirmDelete', { x: s.name }))) return;
              try { await this.api.del(`/api/v1/segments/${s.id}`); this.load(); } catch (e) { this.fail(e); }
            } }, this.t('delete')) : ''])));
      } catch (e) { this.fail(e); }
    };
    this.load();
  }

  segmentForm() {
    const err = this.errorBox();
    const f = h('form', { class: 'card form', id: 'segment-form' }, h('h3', {}, this.t('newSegment')),
      h('label', {}, this.t('name'), h('input', { name: 'name', required: true })),
      h('label', {}, this.t('tagsAll'), h('input', { name: 'tags', placeholder: 'vip, jakarta' })),
      h('label', {}, this.t('tagsAny'), h('input', { name: 'anyTags' })),
      h('label', {}, this.t('attributes'), h('input', { name: 'attrs', placeholder: 'kota=Jakarta, produk=KTA' })),
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'excludeOptedOut', checked: true }), this.t('excludeOptedOut')),
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'neverContacted' }), this.t('neverContacted')),
      err, h('button', { class: 'primary', type: 'submit' }, this.t('create')));
    const list = (v) => String(v || '').split(',').map((x) => x.trim()).filter(Boolean);
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      const filter = { tags: list(d.get('tags')), anyTags: list(d.get('anyTags')), neverContacted: d.get('neverContacted') === 'on' };
      const attrs = {};
      for (const kv of list(d.get('attrs'))) { const [k, ...v] = kv.split('='); attrs[k.trim()] = v.join('=').trim(); }
      if (Object.keys(attrs).length) filter.attributes = attrs;
      if (d.get('excludeOptedOut') === 'on') filter.optedOut = false;
      try {
        await this.api.post('/api/v1/segments', { name: d.get('name'), filter });
        err.show(null); f.reset(); this.app.toast(this.t('saved')); this.load();
      } catch (e) { err.show(e); }
    };
    return f;
  }

  // --- import wizard -------------------------------------------------------
  mountImport() {
    this.file = null;
    this.mapping = null;
    this.headers = [];
    this.stepEl = h('div', { class: 'card wizard', id: 'import' });
    this.jobsEl = h('div', { id: 'import-jobs' });
    add(this.body, this.stepEl, h('h3', {}, this.t('importJobs')), this.jobsEl);
    this.pickStep();
    this.load = () => this.loadJobs();
    this.loadJobs();
  }

  async loadJobs() {
    try {
      const out = await this.api.get('/api/v1/intake?limit=20');
      fill(this.jobsEl, this.table(['#', this.t('file'), this.t('status'), this.t('rows'), this.t('created'), ''],
        out.items.map((j) => [String(j.id), j.fileName || j.source, chip(this.t(`st.${j.status}`), `st-${j.status}`), String(j.totalRows), this.time(j.createdAt),
          h('button', { class: 'link', onclick: () => this.api.download(`/api/v1/intake/${j.id}/report.csv`, `intake-${j.id}-report.csv`).catch((e) => this.fail(e)) }, this.t('reportCsv'))])));
    } catch (e) { this.fail(e); }
  }

  pickStep() {
    const err = this.errorBox();
    const input = h('input', { type: 'file', id: 'import-file', accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      onchange: async () => {
        this.file = input.files[0];
        this.sheet = '';
        if (!this.file) return;
        try {
          let out;
          try {
            out = await this.upload(true, null); // a first dry run reads the headers and guesses the mapping
          } catch (e) {
            // No column looked like a phone number: the user maps it by hand.
            if (e.field !== 'mapping.phone') throw e;
            out = { headers: await this.readHeaders(e), mapping: { phone: '' } };
          }
          this.headers = out.headers || [];
          this.mapping = out.mapping || { phone: '' };
          this.mapStep(out);
        } catch (e) { err.show(e); }
      } });
    this.input = input;
    fill(this.stepEl, h('h3', {}, `1. ${this.t('uploadFile')}`), h('p', { class: 'muted' }, this.t('uploadHelp')),
      h('label', {}, this.t('file'), input), err);
  }

  // readHeaders reads a CSV's header row here; for XLSX it takes the
  // column list the API names in its error.
  async readHeaders(e) {
    if (/\.csv$/i.test(this.file.name)) {
      const text = (await this.file.slice(0, 64 << 10).text()).replace(/^\uFEFF/, '');
      const line = text.split(/\r?\n/).find((l) => l.trim()) || '';
      const sep = (line.match(/;/g) || []).length > (line.match(/,/g) || []).length ? ';' : ',';
      const out = [];
      let cur = '', q = false;
      for (let i = 0; i < line.length; i++) {
        const ch = line[i];
        if (q) { if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') q = false; else cur += ch; }
        else if (ch === '"') q = true;
        else if (ch === sep) { out.push(cur.trim()); cur = ''; }
        else cur += ch;
      }
      out.push(cur.trim());
      return out.filter(Boolean);
    }
    const m = String(e.message).match(/columns (.*) to phone/);
    return m ? m[1].split(', ') : [];
  }

  upload(dryRun, mapping) {
    const form = new FormData();
    form.append('file', this.file, this.file.name);
    if (mapping) form.append('mapping', JSON.stringify(mapping));
    if (this.sheet) form.append('sheet', this.sheet);
    form.append('dryRun', String(dryRun));
    const headers = dryRun ? {} : { 'Idempotency-Key': this.importKey };
    return this.api.upload('/api/v1/intake/files', form, headers);
  }

  mapStep(first) {
    const err = this.errorBox();
    const m = this.mapping;
    const opts = (cur) => [h('option', { value: '' }, '—'), ...this.headers.map((x) => h('option', { value: x, selected: x === cur }, x))];
    const used = () => new Set([...TARGETS.map((k) => m[k]).filter(Boolean), ...Object.values(m.attributes || {})]);
    const attrBox = h('div', { class: 'attr-map' });
    const paintAttrs = () => {
      clear(attrBox);
      const taken = used();
      for (const col of this.headers) {
        const isAttr = Object.values(m.attributes || {}).includes(col);
        if (taken.has(col) && !isAttr) continue;
        add(attrBox, h('label', { class: 'inline' }, h('input', { type: 'checkbox', class: 'map-attr', value: col, checked: isAttr, onchange: (ev) => {
          m.attributes = { ...(m.attributes || {}) };
          const key = col.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
          if (ev.target.checked) m.attributes[key || col] = col; else for (const [k, v] of Object.entries(m.attributes)) if (v === col) delete m.attributes[k];
        } }), col));
      }
    };
    const rows = TARGETS.map((k) => h('label', {}, this.t(`map.${k}`) + (k === 'phone' ? ' *' : ''),
      h('select', { class: 'map-select', name: k, onchange: (ev) => {
        m[k] = ev.target.value;
        // A column mapped to a field is no longer also an attribute.
        if (m.attributes) m.attributes = Object.fromEntries(Object.entries(m.attributes).filter(([, col]) => col !== m[k]));
        paintAttrs();
      } }, ...opts(m[k]))));
    const report = h('div', { id: 'import-report' });
    const run = h('button', { class: 'primary', id: 'import-dry-run', type: 'button', onclick: async () => {
      run.disabled = true;
      try {
        err.show(null);
        if (!m.phone) throw new Error(this.t('phoneRequired'));
        this.showReport(report, await this.upload(true, this.clean(m)));
        go.disabled = false;
      } catch (e) { err.show(e); } finally { run.disabled = false; }
    } }, this.t('dryRun'));
    const go = h('button', { id: 'import-start', type: 'button', disabled: true, onclick: () => this.start(go, err) }, this.t('startImport'));
    fill(this.stepEl, 
      h('h3', {}, `2. ${this.t('mapColumns')}`),
      h('p', { class: 'muted', id: 'import-file-info' }, [this.file.name, first.format?.toUpperCase(), first.progress ? this.t('rowsFound', { n: first.progress.total }) : '']
        .filter(Boolean).join(' · ')),
      // A workbook with several sheets: the rows may be on another one.
      (first.sheets || []).length > 1 ? h('label', {}, this.t('sheet'), h('select', { id: 'import-sheet', onchange: async (ev) => {
        this.sheet = ev.target.value;
        try {
          const out = await this.upload(true, null);
          this.headers = out.headers || []; this.mapping = out.mapping || { phone: '' }; this.mapStep(out);
        } catch (e) { err.show(e); }
      } }, ...first.sheets.map((x) => h('option', { value: x, selected: x === first.sheet }, x)))) : null,
      h('div', { class: 'map-grid' }, ...rows),
      h('div', { class: 'muted' }, this.t('asAttributes')), attrBox, err,
      h('div', { class: 'wizard-nav' }, h('button', { type: 'button', onclick: () => this.pickStep() }, this.t('back')), h('span', { class: 'row-inline' }, run, go)),
      report);
    paintAttrs();
    this.importKey = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  }

  clean(m) {
    const out = {};
    for (const k of TARGETS) if (m[k]) out[k] = m[k];
    if (m.attributes && Object.keys(m.attributes).length) out.attributes = m.attributes;
    return out;
  }

  showReport(el, out) {
    const p = out.progress || {};
    const rows = out.rows || [];
    fill(el, 
      h('h3', {}, this.t('dryRunReport')),
      h('div', { class: 'stats', id: 'import-summary' },
        ...[['total', p.total], ['created', p.created], ['updated', p.updated], ['duplicate', p.duplicate], ['errors', p.errors], ['empty', p.empty]]
          .map(([k, n]) => h('div', { class: `stat ${k === 'errors' && n ? 'bad' : ''}`, dataset: { k } }, h('strong', {}, String(n ?? 0)), h('span', {}, this.t(`imp.${k}`))))),
      this.table([this.t('row'), this.t('result'), this.t('reason'), this.t('phone')],
        rows.map((r) => h('tr', { class: `res-${r.result}`, dataset: { row: r.row_no, result: r.result } },
          h('td', {}, String(r.row_no)), h('td', {}, chip(this.t(`res.${r.result}`), `res-${r.result}`)), h('td', {}, r.reason || ''), h('td', {}, r.phone_e164 || ''))),
        { id: 'import-rows' }),
      p.total > rows.length ? h('p', { class: 'muted' }, this.t('firstRows', { n: rows.length })) : null);
  }

  async start(btn, err) {
    btn.disabled = true;
    try {
      const out = await this.upload(false, this.clean(this.mapping));
      this.watch(out.job.id);
    } catch (e) { err.show(e); btn.disabled = false; }
  }

  watch(id) {
    const box = h('div', { id: 'import-progress' });
    fill(this.stepEl, h('h3', {}, `3. ${this.t('importing')}`), box,
      h('div', { class: 'wizard-nav' }, h('button', { type: 'button', onclick: () => this.pickStep() }, this.t('importAnother')),
        h('button', { type: 'button', onclick: () => this.api.download(`/api/v1/intake/${id}/report.csv`, `intake-${id}-report.csv`).catch((e) => this.fail(e)) }, this.t('reportCsv'))));
    const tick = async () => {
      try {
        const { job, progress: p } = await this.api.get(`/api/v1/intake/${id}`);
        const pct = p.total ? Math.round((100 * p.processed) / p.total) : 0;
        fill(box, h('p', {}, chip(this.t(`st.${job.status}`), `st-${job.status}`), ' ', this.t('processed', { n: p.processed, total: p.total, pct })),
          h('div', { class: 'progress' }, h('div', { class: 'progress-fill', style: { width: `${pct}%` } })),
          h('p', { class: 'muted' }, ['created', 'updated', 'duplicate', 'errors'].map((k) => `${this.t(`imp.${k}`)} ${p[k] ?? 0}`).join(' · ')),
          job.error ? h('p', { class: 'error' }, job.error) : null);
        if (['completed', 'failed', 'cancelled'].includes(job.status)) { clearInterval(timer); this.loadJobs(); }
      } catch (e) { clearInterval(timer); this.fail(e); }
    };
    const timer = this.every(1000, tick);
    tick();
  }
}

function attrText(raw) {
  let a = raw;
  if (typeof a === 'string') { try { a = JSON.parse(a); } catch { a = null; } }
  if (!a || typeof a !== 'object') return '';
  return Object.entries(a).slice(0, 4).map(([k, v]) => `${k}: ${v}`).join(', ');
}
