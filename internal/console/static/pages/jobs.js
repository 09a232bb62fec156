// Jobs: filtered by bucket, type and state, newest first, a page at a time.

import { h, table, count, time, select, field } from '../dom.js';
import * as api from '../api.js';
import { TYPES, STATES, ENDED, done } from '../jobs.js';

const PAGE_SIZE = 20;

export async function render(ctx) {
  const { bucket = '', type = '', state = '', page = '' } = ctx.query;
  // Page tokens ride in the hash (t1,t2,...) so that Back works.
  const tokens = page ? page.split(',') : [];
  const filter = { pageSize: PAGE_SIZE };
  if (bucket) filter.bucketName = bucket;
  if (type) filter.jobType = type;
  if (state) filter.jobState = state;
  if (tokens.length) filter.pageToken = tokens[tokens.length - 1];
  const [list, buckets] = await Promise.all([api.call('jobs/list', filter), api.all('user/list_buckets', 'buckets')]);
  const go = (q) => ctx.navigate('/jobs', { bucket, type, state, ...q });

  const bucketNames = buckets.map((b) => b.name);
  if (bucket && !bucketNames.includes(bucket)) bucketNames.push(bucket);
  const filters = h('form', { class: 'filters', id: 'job-filters', onsubmit: (ev) => ev.preventDefault() },
    field('Bucket', select({ id: 'filter-bucket', onchange: (ev) => go({ bucket: ev.target.value, page: '' }) },
      [['', 'any'], ...bucketNames.map((b) => [b, b])], bucket)),
    field('Type', select({ id: 'filter-type', onchange: (ev) => go({ type: ev.target.value, page: '' }) },
      [['', 'any'], ...TYPES.map((t) => [t, t])], type)),
    field('State', select({ id: 'filter-state', onchange: (ev) => go({ state: ev.target.value, page: '' }) },
      [['', 'any'], ...STATES.map((s) => [s, s])], state)));

  const rows = (list.jobs || []).map((j) => {
    const s = j.jobStats || {};
    const pct = j.progress != null ? `${j.progress}%` : '';
    return h('tr', { 'data-job': j.jobId.id },
      h('td', null, h('a', { href: ctx.link(`/jobs/${j.jobId.id}`) }, `#${j.jobId.id}`)),
      h('td', null, j.jobType, j.jobParams && j.jobParams.dryRun === 'true' ? h('span', { class: 'tag' }, 'dry run') : null),
      h('td', null, j.bucketName),
      h('td', null, h('span', { class: `state state-${j.jobState.toLowerCase()}` }, j.jobState)),
      h('td', { class: 'num' }, ENDED.has(j.jobState) ? '' : pct),
      h('td', { class: 'num' }, `${count(done(j))} / ${count(s.total)}`),
      h('td', { class: 'num' }, count(s.failed || 0)),
      h('td', null, time(j.startTime)),
      h('td', null, time(j.completeTime)));
  });
  const pager = h('div', { class: 'pager' },
    h('button', {
      type: 'button', class: 'secondary', id: 'jobs-prev', disabled: tokens.length === 0,
      onclick: () => go({ page: tokens.slice(0, -1).join(',') }),
    }, 'Newer'),
    h('button', {
      type: 'button', class: 'secondary', id: 'jobs-next', disabled: !list.pageToken,
      onclick: () => go({ page: [...tokens, list.pageToken].join(',') }),
    }, 'Older'));
  return h('section', null,
    h('div', { class: 'title' }, h('h1', null, 'Jobs'),
      h('div', { class: 'actions' }, h('a', { class: 'button', id: 'job-new', href: ctx.link('/jobs/new', { bucket }) }, 'New job'))),
    filters,
    table(['Job', 'Type', 'Bucket', 'State', 'Progress', 'Handled / total', 'Failed', 'Started', 'Ended'], rows, { id: 'job-list' }),
    pager);
}
