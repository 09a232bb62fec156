// Buckets: the signed-in user's own (an admin may pick another user's),
// with the object count and bytes the usage counters keep.

import { h, table, bytes, count, time, select, field } from '../dom.js';
import * as api from '../api.js';

export async function render(ctx) {
  const me = api.user();
  const owner = ctx.query.owner || '';
  const body = owner ? { id: Number(owner) } : {};
  const [list, users] = await Promise.all([
    api.all('user/list_buckets', 'buckets', body),
    api.isAdmin() ? api.all('user/list', 'users') : Promise.resolve(null),
  ]);
  let picker = null;
  if (users) {
    const options = users.map((u) => [String(u.id.id), u.id.id === me.id.id ? `${u.username} (you)` : u.username]);
    picker = field('Owner', select({
      id: 'bucket-owner',
      onchange: (ev) => ctx.navigate('/buckets', { owner: ev.target.value === String(me.id.id) ? '' : ev.target.value }),
    }, options, owner || String(me.id.id)));
  }
  const totalObjects = list.reduce((n, b) => n + b.objectCount, 0);
  const totalBytes = list.reduce((n, b) => n + b.bytes, 0);
  const rows = list.map((b) => h('tr', { 'data-bucket': b.name },
    h('td', null, h('a', { href: ctx.link(`/buckets/${encodeURIComponent(b.name)}`) }, b.name)),
    h('td', { class: 'num', 'data-field': 'objects' }, count(b.objectCount)),
    h('td', { class: 'num', 'data-field': 'bytes', title: `${count(b.bytes)} bytes` }, bytes(b.bytes)),
    h('td', null, time(b.creationTime)),
    h('td', null, h('a', { href: ctx.link('/jobs', { bucket: b.name }) }, 'jobs'), ' · ',
      h('a', { href: ctx.link('/jobs/new', { bucket: b.name }) }, 'new job'))));
  return h('section', null,
    h('div', { class: 'title' }, h('h1', null, 'Buckets'), picker),
    h('p', { class: 'sub' }, `${list.length} bucket${list.length === 1 ? '' : 's'}, ${count(totalObjects)} objects, ${bytes(totalBytes)}.`),
    table(['Bucket', 'Objects', 'Size', 'Created', ''], rows, { id: 'buckets' }));
}
