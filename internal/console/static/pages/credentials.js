// The signed-in user's S3 credentials: list, generate (the secret is
// shown once, here), revoke.

import { h, replace, table, time, errorBox, notice, confirmButton } from '../dom.js';
import * as api from '../api.js';

export async function render(ctx) {
  const status = h('div', { class: 'status', id: 'credentials-status' });
  const fresh = h('div', { id: 'new-credentials' });
  const list = h('div', { id: 'credentials' });

  const refresh = async () => {
    const r = await api.call('user/list_credentials');
    const keys = r.credentials || [];
    replace(list, table(['Access key', 'Created', ''], keys.map((k) => h('tr', { 'data-key': k.accessKey },
      h('td', { class: 'mono' }, k.accessKey), h('td', null, time(k.creationTime)),
      h('td', null, confirmButton('Revoke', async () => {
        try {
          await api.call('user/revoke_credentials', { accessKey: k.accessKey });
          replace(status, notice(`${k.accessKey} was revoked.`));
        } catch (err) {
          replace(status, errorBox(err));
        }
        await refresh();
      }, { 'data-action': 'revoke' }))))),
    keys.length > 1 ? confirmButton('Revoke all', async () => {
      try {
        await api.call('user/revoke_credentials', {});
        replace(status, notice('Every key was revoked.'));
      } catch (err) {
        replace(status, errorBox(err));
      }
      await refresh();
    }, { id: 'revoke-all' }) : null);
  };

  const generate = h('button', {
    type: 'button',
    id: 'generate-credentials',
    onclick: async () => {
      generate.disabled = true;
      try {
        const k = await api.call('s3/user/generate_credentials');
        replace(fresh, h('div', { class: 'secret', role: 'status' },
          h('p', null, h('strong', null, 'Your new key. '), 'Copy the secret now: it is shown this once and cannot be read again.'),
          h('dl', null,
            h('dt', null, 'Access key'), h('dd', { class: 'mono', id: 'new-access-key' }, k.accessKey),
            h('dt', null, 'Secret key'), h('dd', { class: 'mono', id: 'new-secret-key' }, k.secretKey)),
          h('button', { type: 'button', class: 'secondary', id: 'dismiss-secret', onclick: () => replace(fresh) }, 'I have copied it')));
        replace(status);
        await refresh();
      } catch (err) {
        replace(status, errorBox(err));
      } finally {
        generate.disabled = false;
      }
    },
  }, 'Generate new credentials');
  // The secret must not outlive the page.
  ctx.onLeave(() => replace(fresh));

  await refresh();
  return h('section', null,
    h('div', { class: 'title' }, h('h1', null, 'S3 credentials'), h('div', { class: 'actions' }, generate)),
    h('p', { class: 'sub' }, `Access keys of ${api.user().username} for the S3 API. The console signs its object requests with the newest.`),
    status, fresh, list);
}
