// Interactive sends from the inbox composer: reply buttons (up to 3) or a
// list (up to 10 rows) under the message typed in the composer. Meta sends
// them only inside the customer's window, like any free-form message; the
// server checks Meta's limits and answers a field error, shown here.
import { h } from './dom.js';

// interactivePanel builds the composer's panel: the kind, the list's
// button label and the choices, one per line ("Title" or, for a list row,
// "Title | description"). send(body) is the composer's send; close takes
// the panel away once its message is sent.
export function interactivePanel(t, textarea, send, close) {
  const kind = h('select', { id: 'ix-kind', 'aria-label': t('ix.kind') },
    h('option', { value: 'buttons' }, t('ix.buttons')), h('option', { value: 'list' }, t('ix.list')));
  const label = h('input', { id: 'ix-button', maxlength: 20, placeholder: t('ix.buttonLabel'), 'aria-label': t('ix.buttonLabel') });
  const choices = h('textarea', { id: 'ix-choices', rows: 3, placeholder: t('ix.choicesHint'), 'aria-label': t('ix.choices') });
  const err = h('div', { class: 'field-error', id: 'ix-error', role: 'alert', hidden: true });
  const go = h('button', { type: 'button', id: 'ix-send', class: 'primary' }, t('ix.send'));
  const sync = () => { label.hidden = kind.value !== 'list'; };
  kind.addEventListener('change', sync);
  sync();
  const panel = h('div', { class: 'ix-panel', id: 'ix-panel' },
    h('div', { class: 'ix-row' }, kind, label), choices, h('div', { class: 'muted small' }, t('ix.bodyNote')), err, go);
  go.addEventListener('click', async () => {
    const lines = choices.value.split('\n').map((l) => l.trim()).filter(Boolean);
    const body = {
      type: 'interactive',
      interactive: {
        kind: kind.value, body: textarea.value.trim(), button: kind.value === 'list' ? label.value.trim() : undefined,
        choices: lines.map((l, i) => {
          const [title, description] = l.split('|').map((x) => x.trim());
          return { id: `pilihan-${i + 1}`, title, description: kind.value === 'list' ? description || undefined : undefined };
        }),
      },
    };
    err.hidden = true;
    go.disabled = true;
    try {
      await send(body);
      textarea.value = '';
      close();
    } catch (e) {
      err.textContent = e.message;
      err.dataset.for = e.field || '';
      err.hidden = false;
    } finally { go.disabled = false; }
  });
  return panel;
}

// interactiveChoices shows the buttons or rows of a sent interactive
// message under its text (null for any other message).
export function interactiveChoices(m, p) {
  if (m.type !== 'interactive' || m.direction !== 'out' || !p?.interactive) return null;
  const a = p.interactive.action || {};
  const items = a.buttons?.length ? a.buttons.map((b) => b.reply?.title) : (a.sections || []).flatMap((s) => (s.rows || []).map((r) => r.title));
  if (!items.length) return null;
  return h('div', { class: 'ix-choices' }, a.button ? h('span', { class: 'chip ix-label' }, `☰ ${a.button}`) : null,
    ...items.map((x) => h('span', { class: 'chip', dataset: { choice: x } }, x)));
}
