// One bucket: its usage, its configurations (read-only, as S3 returns
// them), and its objects by prefix, with folders, paging, download,
// upload and delete, all over S3 with presigned URLs.

import { h, replace, table, bytes, count, time, errorBox, notice, confirmButton } from '../dom.js';
import * as api from '../api.js';
import * as s3 from '../s3.js';

const PAGE_SIZE = 50;

// The configurations shown, as S3 sub-resources.
const configurations = [
  ['versioning', 'Versioning'],
  ['replication', 'Replication'],
  ['lifecycle', 'Lifecycle'],
  ['notification', 'Notifications'],
  ['cors', 'CORS'],
  ['encryption', 'Default encryption'],
];

// noKey explains the 409 s3/presign answers a user without S3 keys.
function explain(err, ctx) {
  if (err && err.code === 'CONFLICT' && /access key/.test(err.message)) {
    return h('div', { class: 'error', role: 'alert' },
      'The console reaches objects with URLs signed by your own S3 access key, and you have none. ',
      h('a', { href: ctx.link('/credentials') }, 'Generate S3 credentials'), ' first.');
  }
  return errorBox(err);
}

export async function render(ctx) {
  const name = ctx.params[0];
  const prefix = ctx.query.prefix || '';
  const mine = await api.all('user/list_buckets', 'buckets');
  const usage = mine.find((b) => b.name === name);
  const summary = usage
    ? h('p', { class: 'sub', id: 'bucket-usage' },
      `${count(usage.objectCount)} objects, ${bytes(usage.bytes)}, created ${time(usage.creationTime)}.`)
    : h('p', { class: 'sub' }, 'Not one of your buckets: its usage is on its owner\'s bucket list.');
  const objects = h('div', { id: 'objects' }, h('p', { class: 'loading' }, 'Listing…'));
  const configs = h('div', { id: 'configurations', class: 'configs' }, h('p', { class: 'loading' }, 'Reading the configuration…'));
  const page = h('section', null,
    h('div', { class: 'title' },
      h('h1', null, name),
      h('div', { class: 'actions' },
        h('a', { class: 'button', href: ctx.link('/jobs/new', { bucket: name }) }, 'Start a job'),
        h('a', { class: 'button secondary', href: ctx.link('/jobs', { bucket: name }) }, 'Jobs of this bucket'))),
    summary,
    h('h2', null, 'Objects'),
    objects,
    h('h2', null, 'Configuration'),
    configs);
  showConfigurations(ctx, name, configs);
  browse(ctx, name, prefix, objects);
  return page;
}

async function showConfigurations(ctx, bucket, el) {
  let docs;
  try {
    docs = await Promise.all(configurations.map(([sub]) => s3.configuration(bucket, sub)));
  } catch (err) {
    replace(el, explain(err, ctx));
    return;
  }
  if (!ctx.live()) return;
  replace(el, configurations.map(([sub, label], i) => configCard(sub, label, docs[i])));
}

function configCard(sub, label, doc) {
  const root = doc && doc.documentElement;
  const top = root ? [...root.children] : [];
  // Elements with children are the rules (Rule, CORSRule,
  // QueueConfiguration); leaves beside them are settings (Role).
  const rules = sub === 'versioning' ? [] : top.filter((c) => c.children.length > 0);
  const settings = sub === 'versioning' ? [] : top.filter((c) => c.children.length === 0);
  let state;
  if (sub === 'versioning') {
    state = (root && s3.child(root, 'Status')) || 'Never enabled';
  } else if (rules.length === 0) {
    state = 'None';
  } else {
    const kinds = new Map();
    for (const r of rules) kinds.set(r.localName, (kinds.get(r.localName) || 0) + 1);
    state = [...kinds].map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : 's'}`).join(', ');
  }
  const pair = ([k, v]) => h('li', null, h('span', { class: 'k' }, k), ' ', h('span', { class: 'v' }, v));
  return h('div', { class: 'card', 'data-config': sub },
    h('h3', null, label),
    h('p', { class: 'state', 'data-field': 'state' }, state),
    settings.length ? h('ul', { class: 'settings' }, settings.map((c) => pair([c.localName, c.textContent]))) : null,
    rules.length ? h('ul', { class: 'rules' }, rules.map((r) => h('li', null, h('strong', null, r.localName),
      h('ul', null, flatten(r, '').map(pair))))) : null,
    root && root.children.length ? h('details', null, h('summary', null, 'Document'), h('pre', null, pretty(root, 0))) : null);
}

// flatten lists an element's leaves as [path, text]: Filter.Prefix, "tmp/".
function flatten(el, path) {
  if (el.children.length === 0) return [[path || el.localName, el.textContent]];
  const out = [];
  for (const c of el.children) out.push(...flatten(c, path ? `${path}.${c.localName}` : c.localName));
  return out;
}

function pretty(el, depth) {
  const pad = '  '.repeat(depth);
  if (el.children.length === 0) return `${pad}<${el.localName}>${el.textContent}</${el.localName}>\n`;
  return `${pad}<${el.localName}>\n${[...el.children].map((c) => pretty(c, depth + 1)).join('')}${pad}</${el.localName}>\n`;
}

// browse lists one page of objects under prefix; tokens are the
// continuation tokens of the pages before, for "Previous".
async function browse(ctx, bucket, prefix, el, token = '', tokens = []) {
  let page;
  try {
    page = await s3.listObjects(bucket, { prefix, token, maxKeys: PAGE_SIZE });
  } catch (err) {
    if (ctx.live()) replace(el, uploadForm(ctx, bucket, prefix, el), explain(err, ctx));
    return;
  }
  if (!ctx.live()) return;
  const again = () => browse(ctx, bucket, prefix, el, token, tokens);
  const open = (p) => ctx.link(`/buckets/${encodeURIComponent(bucket)}`, { prefix: p });
  const crumbs = [h('a', { href: open('') }, bucket)];
  let acc = '';
  for (const part of prefix.split('/').filter(Boolean)) {
    acc += `${part}/`;
    crumbs.push(' / ', h('a', { href: open(acc) }, part));
  }
  const rel = (k) => k.slice(prefix.length);
  const rows = [
    ...page.folders.map((f) => h('tr', { class: 'folder', 'data-prefix': f },
      h('td', null, h('a', { href: open(f) }, `${rel(f)}`)), h('td', null, 'folder'), h('td', null), h('td', null), h('td', null))),
    ...page.objects.map((o) => h('tr', { 'data-key': o.key },
      h('td', null, rel(o.key)),
      h('td', { class: 'num' }, bytes(o.size)),
      h('td', null, time(o.lastModified)),
      h('td', { class: 'mono' }, (o.etag || '').replace(/"/g, '')),
      h('td', { class: 'row-actions' },
        h('button', {
          type: 'button', class: 'secondary', 'data-action': 'download',
          onclick: async (ev) => {
            ev.target.disabled = true;
            try {
              const a = h('a', { href: await s3.downloadURL(bucket, o.key), download: '' });
              document.body.append(a);
              a.click();
              a.remove();
            } catch (err) {
              el.prepend(explain(err, ctx));
            } finally {
              ev.target.disabled = false;
            }
          },
        }, 'Download'), ' ',
        confirmButton('Delete', async () => {
          try {
            await s3.remove(bucket, o.key);
            await again();
          } catch (err) {
            el.prepend(explain(err, ctx));
          }
        }, { 'data-action': 'delete' })))),
  ];
  const pager = h('div', { class: 'pager' },
    h('button', {
      type: 'button', class: 'secondary', id: 'objects-prev', disabled: tokens.length === 0,
      onclick: () => { const t = tokens.slice(0, -1); browse(ctx, bucket, prefix, el, tokens[tokens.length - 1], t); },
    }, 'Previous'),
    h('button', {
      type: 'button', class: 'secondary', id: 'objects-next', disabled: !page.truncated,
      onclick: () => browse(ctx, bucket, prefix, el, page.next, [...tokens, token]),
    }, 'Next'));
  replace(el,
    uploadForm(ctx, bucket, prefix, el, again),
    h('p', { class: 'crumbs', id: 'crumbs' }, crumbs),
    table(['Name', 'Size', 'Last modified', 'ETag', ''], rows, { id: 'object-list' }),
    pager);
}

function uploadForm(ctx, bucket, prefix, el, again) {
  const file = h('input', { type: 'file', id: 'upload-file', multiple: true });
  const status = h('span', { class: 'status', id: 'upload-status' });
  return h('form', {
    class: 'upload',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const files = [...file.files];
      if (files.length === 0) return;
      const done = [];
      try {
        for (const f of files) {
          replace(status, `Uploading ${f.name}…`);
          const r = await s3.upload(bucket, prefix + f.name, f);
          done.push(`${f.name} (${bytes(f.size)}, ETag ${(r.etag || '').replace(/"/g, '')})`);
        }
        if (again) await again();
        el.prepend(notice(`Uploaded ${done.join(', ')}.`));
      } catch (err) {
        replace(status, explain(err, ctx));
      }
    },
  }, h('span', { class: 'label' }, `Upload to ${prefix || '/'}`), ' ', file, ' ',
  h('button', { type: 'submit', id: 'upload-submit' }, 'Upload'), ' ', status);
}
