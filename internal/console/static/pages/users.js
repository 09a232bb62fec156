// Users (admins only): create, change role, delete.

import { h, replace, table, time, errorBox, notice, field, select, confirmButton } from '../dom.js';
import * as api from '../api.js';

export async function render(ctx) {
  const el = h('section', null);
  const status = h('div', { class: 'status', id: 'users-status' });
  const list = h('div', { id: 'users' });
  const me = api.user();

  const refresh = async () => {
    const users = await api.all('user/list', 'users');
    replace(list, table(['Id', 'Username', 'Role', 'Created', ''], users.map((u) => {
      const self = u.id.id === me.id.id;
      const role = select({
        'data-user': u.username, class: 'role-select', disabled: self, title: self ? 'You cannot change your own role' : null,
        onchange: async (ev) => {
          try {
            await api.call('user/set_role', { id: { id: u.id.id }, role: ev.target.value });
            replace(status, notice(`${u.username} is now ${ev.target.value}.`));
          } catch (err) {
            replace(status, errorBox(err));
          }
          await refresh();
        },
      }, [['USER', 'USER'], ['ADMIN', 'ADMIN']], u.role);
      return h('tr', { 'data-username': u.username },
        h('td', { class: 'num' }, u.id.id), h('td', null, u.username), h('td', null, role), h('td', null, time(u.creationTime)),
        h('td', null, self ? h('span', { class: 'hint' }, 'you') : confirmButton('Delete', async () => {
          try {
            await api.call('user/delete', { id: { id: u.id.id } });
            replace(status, notice(`${u.username} was deleted.`));
          } catch (err) {
            replace(status, errorBox(err));
          }
          await refresh();
        }, { 'data-action': 'delete' })));
    })));
  };

  const username = h('input', { id: 'new-username', required: true, autocomplete: 'off' });
  const password = h('input', { id: 'new-password', type: 'password', required: true, autocomplete: 'new-password' });
  const role = select({ id: 'new-role' }, [['USER', 'USER'], ['ADMIN', 'ADMIN']], 'USER');
  const form = h('form', {
    class: 'inline',
    id: 'user-create',
    onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const r = await api.call('user/create', { username: username.value, password: password.value, role: role.value });
        replace(status, notice(`User ${r.user.username} (${r.user.role}) was created.`));
        username.value = '';
        password.value = '';
        await refresh();
      } catch (err) {
        replace(status, errorBox(err));
      }
    },
  }, field('Username', username), field('Password', password), field('Role', role),
  h('button', { type: 'submit', id: 'user-submit' }, 'Create user'));

  await refresh();
  return replace(el, h('h1', null, 'Users'), status, list, h('h2', null, 'New user'), form);
}
