// Admin pages: agents and teams, each a list with a create form.
import { h, clear } from './dom.js';

class AdminPage {
  constructor(app, root) { this.app = app; this.root = root; }
  t(k, v) { return this.app.t(k, v); }
  reload() { this.load(); }
  table(headers, rows) {
    return h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
  }
  async submit(ev, path, body, done) {
    ev.preventDefault();
    try {
      await this.app.api.post(path, body);
      this.app.toast(this.t('saved'));
      ev.target.reset();
      done();
    } catch (e) {
      this.app.toast(e.field ? `${e.field}: ${e.message}` : e.message);
    }
  }
}

export class AgentsPage extends AdminPage {
  mount() {
    this.listEl = h('div', { id: 'agents-list' });
    this.root.append(h('div', { class: 'admin' }, h('h2', {}, this.t('agents')), this.listEl, this.form = h('div')));
    this.load();
  }
  async load() {
    try {
      const [agents, teams, roles] = await Promise.all([
        this.app.api.get('/api/v1/agents?limit=200'),
        this.app.can('teams:read') ? this.app.api.get('/api/v1/teams') : { items: [] },
        this.app.can('roles:read') ? this.app.api.get('/api/v1/roles') : { items: [] },
      ]);
      const roleName = new Map((roles.items || []).map((r) => [r.id, r.name]));
      const toggle = (a) => h('button', { class: 'link', dataset: { agent: a.id }, onclick: async () => {
        try { await this.app.api.post(`/api/v1/agents/${a.id}/${a.status === 'active' ? 'disable' : 'enable'}`); this.load(); } catch (e) { this.app.toast(e.message); }
      } }, this.t(a.status === 'active' ? 'disableAgent' : 'enableAgent'));
      const canToggle = this.app.can('agents:delete');
      const canEdit = this.app.can('agents:write');
      // The agent's own zone: an SLA policy may count business hours in it.
      const zone = (a) => (canEdit
        ? this.zoneSelect(a.zone, { 'aria-label': this.t('agentZone'), dataset: { agentZone: a.id }, onchange: async (ev) => {
          try { await this.app.api.patch(`/api/v1/agents/${a.id}`, { zone: ev.target.value }); this.app.toast(this.t('agentZoneSaved', { name: a.name })); } catch (e) { this.app.toast(e.message); this.load(); }
        } })
        : (a.zone || this.t('zoneNone')));
      clear(this.listEl).append(this.table([this.t('name'), this.t('email'), this.t('role'), this.t('status'), this.t('presence'), this.t('agentZone'), ''],
        (agents.items || []).map((a) => [a.name, a.email, roleName.get(a.roleId) || a.roleId, this.t(a.status), this.t(a.presence), zone(a),
          canToggle && a.id !== this.app.me.agent.id ? toggle(a) : ''])));
      if (this.app.can('agents:write')) this.renderForm(teams.items || [], roles.items || []);
    } catch (e) { this.app.toast(e.message); }
  }
  // zoneSelect offers Indonesia's three zones and none (the team's), and
  // keeps a zone set through the API that is none of them.
  zoneSelect(current, attrs) {
    const zones = ['', 'Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'];
    if (current && !zones.includes(current)) zones.push(current);
    const label = { '': this.t('zoneNone'), 'Asia/Jakarta': 'WIB (Asia/Jakarta)', 'Asia/Makassar': 'WITA (Asia/Makassar)', 'Asia/Jayapura': 'WIT (Asia/Jayapura)' };
    return h('select', { name: 'zone', ...attrs }, ...zones.map((z) => h('option', { value: z, selected: (current || '') === z }, label[z] || z)));
  }
  renderForm(teams, roles) {
    const f = h('form', { class: 'card form', id: 'agent-form' },
      h('h3', {}, this.t('newAgent')),
      h('label', {}, this.t('name'), h('input', { name: 'name', required: true })),
      h('label', {}, this.t('email'), h('input', { name: 'email', type: 'email', required: true })),
      h('label', {}, this.t('password'), h('input', { name: 'password', type: 'password', minlength: 8, required: true })),
      h('label', {}, this.t('role'), roles.length
        ? h('select', { name: 'roleId' }, ...roles.map((r) => h('option', { value: r.id, selected: r.systemKey === 'agent' }, r.name)))
        : h('input', { name: 'roleId', type: 'number', required: true })),
      h('label', {}, this.t('teams'), h('select', { name: 'teamIds', multiple: true }, ...teams.map((t) => h('option', { value: t.id }, t.name)))),
      h('label', {}, this.t('agentZone'), this.zoneSelect('', {})),
      h('button', { class: 'primary', type: 'submit' }, this.t('create')));
    f.onsubmit = (ev) => {
      const d = new FormData(f);
      this.submit(ev, '/api/v1/agents', {
        name: d.get('name'), email: d.get('email'), password: d.get('password'), roleId: Number(d.get('roleId')),
        teamIds: d.getAll('teamIds').map(Number), zone: d.get('zone') || '',
      }, () => this.load());
    };
    clear(this.form).append(f);
  }
}

export class TeamsPage extends AdminPage {
  mount() {
    this.listEl = h('div', { id: 'teams-list' });
    this.membersEl = h('div');
    this.root.append(h('div', { class: 'admin' }, h('h2', {}, this.t('teams')), this.listEl, this.membersEl, this.form = h('div'), this.csatEl = h('div')));
    this.load();
  }
  async load() {
    try {
      const teams = await this.app.api.get('/api/v1/teams');
      this.teams = teams.items || [];
      clear(this.listEl).append(this.table([this.t('name'), this.t('strategy'), this.t('members')],
        this.teams.map((t) => [h('button', { class: 'link', dataset: { team: t.name }, onclick: () => this.members(t.id) }, t.name), t.strategy, String((t.members || []).length)])));
      if (this.openTeam) this.members(this.openTeam);
      if (this.app.can('teams:write')) this.renderForm();
      if (this.app.can('teams:write') && this.app.can('reports:read')) await this.renderCSAT();
    } catch (e) { this.app.toast(e.message); }
  }

  // renderCSAT edits the satisfaction survey: on/off for the business, the
  // question, how long an answer counts, and per team: follow the business,
  // on or off (PUT replaces the overrides as a whole).
  async renderCSAT() {
    const st = await this.app.api.get('/api/v1/reports/csat-settings');
    const over = new Map((st.teams || []).map((x) => [x.teamId, x.enabled]));
    const teamSel = (t) => h('select', { name: `team-${t.id}`, dataset: { csatTeam: t.id }, 'aria-label': t.name },
      ...[['', 'csat.inherit'], ['on', 'csat.on'], ['off', 'csat.off']].map(([v, k]) =>
        h('option', { value: v, selected: (over.has(t.id) ? (over.get(t.id) ? 'on' : 'off') : '') === v }, this.t(k))));
    const f = h('form', { class: 'card form', id: 'csat-form' },
      h('h3', {}, this.t('csat.title')),
      h('p', { class: 'muted' }, this.t('csat.hint')),
      h('div', { class: 'checks' }, h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'enabled', id: 'csat-enabled', checked: st.enabled }), this.t('csat.enabled'))),
      h('label', {}, this.t('csat.question'), h('textarea', { name: 'question', id: 'csat-question', maxlength: 1024, required: true, rows: 2 }, st.question)),
      h('label', {}, this.t('csat.timeout'), h('input', { name: 'timeout', id: 'csat-timeout', type: 'number', min: 5, max: 1440, value: st.timeoutMinutes, required: true })),
      this.teams.length ? h('fieldset', {}, h('legend', {}, this.t('csat.perTeam')),
        ...this.teams.map((t) => h('label', {}, t.name, teamSel(t)))) : null,
      h('button', { class: 'primary', type: 'submit', id: 'csat-save' }, this.t('save')));
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      const teams = this.teams.filter((t) => d.get(`team-${t.id}`)).map((t) => ({ teamId: t.id, enabled: d.get(`team-${t.id}`) === 'on' }));
      try {
        await this.app.api.put('/api/v1/reports/csat-settings', { enabled: d.get('enabled') === 'on', question: d.get('question'), timeoutMinutes: Number(d.get('timeout')), teams });
        this.app.toast(this.t('saved'));
      } catch (e) { this.app.toast(e.field ? `${e.field}: ${e.message}` : e.message); }
    };
    clear(this.csatEl).append(f);
  }
  // members shows a team's agents with their team role; with teams:write
  // agents can be added, made lead, or removed.
  async members(id) {
    const t = this.teams.find((x) => x.id === id);
    if (!t) return;
    this.openTeam = id;
    const edit = this.app.can('teams:write');
    const api = this.app.api;
    const act = async (f) => { try { await f(); this.load(); } catch (e) { this.app.toast(e.field ? `${e.field}: ${e.message}` : e.message); } };
    const rows = (t.members || []).map((m) => [m.name, m.email, this.t(`teamRole.${m.teamRole}`), this.t(m.presence),
      edit ? h('span', {}, h('button', { class: 'link', onclick: () => act(() => api.put(`/api/v1/teams/${id}/members/${m.agentId}`, { teamRole: m.teamRole === 'lead' ? 'member' : 'lead' })) },
        this.t(m.teamRole === 'lead' ? 'makeMember' : 'makeLead')),
      h('button', { class: 'link', onclick: () => act(() => api.del(`/api/v1/teams/${id}/members/${m.agentId}`)) }, this.t('remove'))) : '']);
    const box = h('div', { class: 'card', id: 'team-members' }, h('h3', {}, `${t.name} · ${this.t('members')}`),
      this.table([this.t('name'), this.t('email'), this.t('role'), this.t('presence'), ''], rows));
    if (edit && this.app.can('agents:read')) {
      const agents = (await api.get('/api/v1/agents?limit=200')).items || [];
      const inTeam = new Set((t.members || []).map((m) => m.agentId));
      const sel = h('select', { name: 'agent' }, ...agents.filter((a) => !inTeam.has(a.id)).map((a) => h('option', { value: a.id }, a.name)));
      box.append(h('div', { class: 'row-inline', id: 'member-add' }, sel,
        h('button', { class: 'primary', onclick: () => sel.value && act(() => api.put(`/api/v1/teams/${id}/members/${sel.value}`, { teamRole: 'member' })) }, this.t('addMember'))));
    }
    clear(this.membersEl).append(box);
  }

  renderForm() {
    const f = h('form', { class: 'card form', id: 'team-form' },
      h('h3', {}, this.t('newTeam')),
      h('label', {}, this.t('name'), h('input', { name: 'name', required: true })),
      h('label', {}, this.t('strategy'), h('select', { name: 'strategy' },
        ...['round_robin', 'least_loaded', 'manual'].map((s) => h('option', { value: s }, s)))),
      h('button', { class: 'primary', type: 'submit' }, this.t('create')));
    f.onsubmit = (ev) => {
      const d = new FormData(f);
      this.submit(ev, '/api/v1/teams', { name: d.get('name'), strategy: d.get('strategy') }, () => this.load());
    };
    clear(this.form).append(f);
  }
}
