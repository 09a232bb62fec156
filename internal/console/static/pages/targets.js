// Replication and notification targets the signed-in user may use: list,
// test, delete, add.

import { h, replace, table, errorBox, notice, field, confirmButton } from '../dom.js';
import * as api from '../api.js';

const kinds = {
  replication: {
    title: 'Replication targets',
    endpoint: 'replication_target',
    columns: ['Name', 'ARN', 'Endpoint', 'Bucket', 'Region', 'Owner', ''],
    row: (t) => [t.name, t.arn, t.endpoint, t.bucket, t.region, owner(t)],
    form: [
      ['name', 'Name', 'text', true],
      ['endpoint', 'Endpoint', 'url', true, 'http(s)://host:port of the remote S3'],
      ['bucket', 'Bucket', 'text', true],
      ['region', 'Region', 'text', false, 'the remote\'s region; empty: this server\'s'],
      ['accessKey', 'Access key', 'text', true],
      ['secretKey', 'Secret key', 'password', true],
      ['insecureSkipVerify', 'Skip TLS verification', 'checkbox', false],
    ],
  },
  notification: {
    title: 'Notification targets',
    endpoint: 'notification_target',
    columns: ['Name', 'ARN', 'Type', 'Endpoint', 'Authorization', 'Owner', ''],
    row: (t) => [t.name, t.arn, t.type, t.endpoint, t.hasAuthHeader ? 'set' : 'none', owner(t)],
    form: [
      ['name', 'Name', 'text', true],
      ['endpoint', 'Webhook URL', 'url', true],
      ['authHeader', 'Authorization header', 'password', false, 'sent with every event; stored encrypted, never shown'],
      ['insecureSkipVerify', 'Skip TLS verification', 'checkbox', false],
    ],
  },
};

function owner(t) {
  if (!t.owner) return '';
  const grants = t.allUsers ? 'all users' : (t.users || []).map((u) => u.username).join(', ');
  return grants ? `${t.owner.username} (granted: ${grants})` : t.owner.username;
}

function section(kind) {
  const k = kinds[kind];
  const status = h('div', { class: 'status' });
  const list = h('div', { id: `${kind}-targets` });
  const refresh = async () => {
    const r = await api.call(`${k.endpoint}/list`);
    replace(list, table(k.columns, (r.targets || []).map((t) => h('tr', { 'data-arn': t.arn },
      k.row(t).map((c) => h('td', null, c)),
      h('td', { class: 'row-actions' },
        h('button', {
          type: 'button', class: 'secondary', 'data-action': 'test',
          onclick: async () => {
            try {
              await api.call(`${k.endpoint}/test`, { arn: t.arn });
              replace(status, notice(`${t.name} answered.`));
            } catch (err) {
              replace(status, errorBox(err));
            }
          },
        }, 'Test'), ' ',
        confirmButton('Delete', async () => {
          try {
            await api.call(`${k.endpoint}/delete`, { arn: t.arn });
            replace(status, notice(`${t.name} was deleted.`));
          } catch (err) {
            replace(status, errorBox(err));
          }
          await refresh();
        }, { 'data-action': 'delete' }))))));
  };
  const inputs = {};
  const form = h('form', {
    class: 'inline',
    id: `${kind}-create`,
    onsubmit: async (ev) => {
      ev.preventDefault();
      const body = kind === 'notification' ? { type: 'webhook' } : {};
      for (const [name, , type] of k.form) {
        const v = type === 'checkbox' ? inputs[name].checked : inputs[name].value;
        if (v !== '' && v !== false) body[name] = v;
      }
      try {
        const r = await api.call(`${k.endpoint}/create`, body);
        replace(status, notice(`${r.target.name} was added as ${r.target.arn}.`));
        form.reset();
        await refresh();
      } catch (err) {
        replace(status, errorBox(err));
      }
    },
  }, k.form.map(([name, label, type, required, hint]) => {
    inputs[name] = h('input', { name, type, required, autocomplete: 'off', id: `${kind}-${name}` });
    return field(label, inputs[name], hint);
  }), h('button', { type: 'submit' }, 'Add'));
  return {
    refresh,
    el: h('div', null, h('h2', null, k.title), status, list,
      h('details', { class: 'add' }, h('summary', null, 'Add a target'), form)),
  };
}

export async function render() {
  const parts = [section('replication'), section('notification')];
  await Promise.all(parts.map((p) => p.refresh()));
  return h('section', null,
    h('h1', null, 'Targets'),
    h('p', { class: 'sub' }, 'Remote buckets to replicate to and webhooks to send events to. Each is owned by who added it; an admin may grant it to others.'),
    parts.map((p) => p.el));
}
