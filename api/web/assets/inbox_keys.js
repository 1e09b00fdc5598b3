// Keyboard shortcuts of the inbox: an agent works the list, the thread and
// the composer without the mouse. Letters act only outside text fields;
// Alt+Up/Down and Escape work everywhere.
import { h } from './dom.js';

// The shortcuts as the help overlay lists them: keys, i18n key of the action.
export const shortcuts = [
  [['j', 'Alt+↓'], 'keys.next'],
  [['k', 'Alt+↑'], 'keys.prev'],
  [['r'], 'keys.reply'],
  [['Enter'], 'keys.send'],
  [['Shift+Enter'], 'keys.newline'],
  [['Esc'], 'keys.leave'],
  [['e'], 'keys.resolve'],
  [['a'], 'keys.assign'],
  [['s'], 'keys.snooze'],
  [['/'], 'keys.canned'],
  [['1', '2', '3', '4', '5'], 'keys.views'],
  [['?'], 'keys.help'],
];

function typing(el) {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable || (tag === 'INPUT' && !['button', 'checkbox', 'radio', 'submit'].includes(el.type));
}

export class InboxKeys {
  constructor(inbox) {
    this.inbox = inbox;
    this.onKey = (ev) => this.handle(ev);
  }

  t(k, v) { return this.inbox.t(k, v); }

  attach() { document.addEventListener('keydown', this.onKey); }

  detach() { document.removeEventListener('keydown', this.onKey); this.closeHelp(); }

  handle(ev) {
    const ib = this.inbox;
    if (ev.defaultPrevented || ev.isComposing) return;
    if (this.helpEl) {
      if (ev.key === 'Escape' || ev.key === '?') { ev.preventDefault(); this.closeHelp(); }
      // The dialog is modal: focus stays on its one control.
      if (ev.key === 'Tab') { ev.preventDefault(); this.helpEl.querySelector('#keys-close')?.focus(); }
      return;
    }
    if (ev.altKey && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
      ev.preventDefault();
      ib.step(ev.key === 'ArrowDown' ? 1 : -1);
      return;
    }
    const target = ev.target;
    if (ev.key === 'Escape' && typing(target)) {
      // Leave the field (the canned popup closes first, in the composer's
      // own handler): the letters act again.
      if (target.id === 'composer-text' && !document.querySelector('#canned:not([hidden])')) { target.blur(); ib.focusSelectedRow(); }
      return;
    }
    if (typing(target) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (document.querySelector('dialog[open], .modal')) return;
    const views = [...ib.tabs.children].map((b) => b.dataset.view);
    const act = {
      j: () => ib.step(1),
      k: () => ib.step(-1),
      r: () => ib.focusComposer(),
      e: () => ib.resolveAndNext(),
      a: () => ib.assignMe(),
      s: () => ib.snoozeMenu(),
      '/': () => ib.focusComposer('/'),
      '?': () => this.openHelp(),
    }[ev.key];
    if (act) { ev.preventDefault(); act(); return; }
    const n = Number(ev.key);
    if (n >= 1 && n <= views.length) { ev.preventDefault(); ib.setView(views[n - 1]); }
  }

  openHelp() {
    const close = h('button', { type: 'button', class: 'link', id: 'keys-close', 'aria-label': this.t('close'), onclick: () => this.closeHelp() }, '×');
    const rows = shortcuts.map(([keys, label]) => h('tr', {},
      h('td', {}, ...keys.flatMap((k, i) => [i ? ' ' : null, h('kbd', {}, k)]).filter(Boolean)),
      h('td', {}, this.t(label))));
    this.lastFocus = document.activeElement;
    this.helpEl = h('div', { class: 'keys-backdrop', onclick: (ev) => { if (ev.target === this.helpEl) this.closeHelp(); } },
      h('div', { class: 'keys-help', id: 'keys-help', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'keys-title' },
        h('div', { class: 'side-head' }, h('h3', { id: 'keys-title' }, this.t('keys.title')), close),
        h('table', { class: 'keys-table' }, h('tbody', {}, ...rows)),
        h('p', { class: 'muted' }, this.t('keys.hint'))));
    document.body.append(this.helpEl);
    close.focus();
  }

  closeHelp() {
    if (!this.helpEl) return;
    this.helpEl.remove();
    this.helpEl = null;
    this.lastFocus?.focus?.();
  }
}
