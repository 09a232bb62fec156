// Starting a job: its type, its bucket and the jobParams that type takes.

import { h, replace, errorBox, field, select } from '../dom.js';
import * as api from '../api.js';
import { TYPES, PARAMS } from '../jobs.js';

export async function render(ctx) {
  const [buckets, targets] = await Promise.all([
    api.all('user/list_buckets', 'buckets'),
    api.call('replication_target/list').then((r) => r.targets || [], () => []),
  ]);
  const type = select({ id: 'job-type', name: 'jobType' }, TYPES.map((t) => [t, t]), ctx.query.type || 'METRIC_RECONCILIATION');
  const names = buckets.map((b) => b.name);
  const bucket = names.length
    ? select({ id: 'job-bucket', name: 'bucketName' }, names.map((b) => [b, b]), ctx.query.bucket || names[0])
    : h('input', { id: 'job-bucket', name: 'bucketName', required: true, value: ctx.query.bucket || '' });
  const dryRun = h('input', { type: 'checkbox', id: 'param-dryRun' });
  const prefix = h('input', { id: 'param-prefix', placeholder: 'every key' });
  const specific = h('div', { class: 'params' });
  const status = h('div', { class: 'status' });
  let controls = {};

  const showParams = () => {
    controls = {};
    const rows = PARAMS[type.value].map(([key, kind, extra]) => {
      let control;
      if (kind === 'flag') {
        control = h('input', { type: 'checkbox', id: `param-${key}` });
      } else if (kind === 'choice') {
        control = select({ id: `param-${key}` }, extra.map((c) => [c, c]), extra[0]);
      } else {
        control = select({ id: `param-${key}` }, [['', 'every destination'], ...targets.map((t) => [t.arn, `${t.name} (${t.arn})`])], '');
      }
      controls[key] = { kind, control };
      return field(key, control, kind === 'choice' ? null : extra);
    });
    replace(specific, rows.length ? rows : h('p', { class: 'hint' }, `${type.value} takes only dryRun and prefix.`));
  };
  type.addEventListener('change', showParams);
  showParams();

  const submit = h('button', { type: 'submit', id: 'job-submit' }, 'Start the job');
  const form = h('form', {
    class: 'job-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const jobParams = {};
      if (dryRun.checked) jobParams.dryRun = 'true';
      if (prefix.value) jobParams.prefix = prefix.value;
      for (const [key, { kind, control }] of Object.entries(controls)) {
        if (kind === 'flag') {
          if (control.checked) jobParams[key] = 'true';
        } else if (control.value) {
          jobParams[key] = control.value;
        }
      }
      submit.disabled = true;
      try {
        const r = await api.call('jobs/create', { jobType: type.value, bucketName: bucket.value, jobParams });
        ctx.navigate(`/jobs/${r.jobStatus.jobId.id}`);
      } catch (err) {
        replace(status, errorBox(err));
      } finally {
        submit.disabled = false;
      }
    },
  },
  field('Type', type),
  field('Bucket', bucket),
  field('dryRun', dryRun, 'count what would be done, change nothing'),
  field('prefix', prefix, 'only keys that start with this'),
  specific,
  submit,
  status);
  return h('section', null, h('h1', null, 'New job'), form);
}
