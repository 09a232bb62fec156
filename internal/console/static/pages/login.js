// The sign-in page: username and password for the token endpoint.

import { h, errorBox, notice, field } from '../dom.js';
import * as api from '../api.js';

export async function render(ctx) {
  const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div', { class: 'status' }, ctx.message ? notice(ctx.message) : null);
  const submit = h('button', { type: 'submit', id: 'login-submit' }, 'Sign in');
  const form = h('form', {
    class: 'login',
    onsubmit: async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      status.replaceChildren();
      try {
        await api.login(username.value, password.value);
        const next = ctx.query.next && ctx.query.next.startsWith('/') && !ctx.query.next.startsWith('/login') ? ctx.query.next : '/buckets';
        location.hash = `#${next}`;
      } catch (err) {
        status.replaceChildren(errorBox(err));
        password.value = '';
        password.focus();
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h1', null, 'Quarry'),
  h('p', { class: 'sub' }, 'Sign in to the object store console.'),
  field('Username', username),
  field('Password', password),
  submit,
  status);
  return h('div', { class: 'login-wrap' }, form);
}
