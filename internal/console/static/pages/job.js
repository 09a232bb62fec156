// One job, live: its counters, rate and ETA (from the counters' change over
// the last ten seconds), the phase work it reports, its parameters, its
// result and its failures; cancel. It polls jobs/status while the job runs.

import { h, replace, table, bytes, count, time, duration, errorBox, confirmButton } from '../dom.js';
import * as api from '../api.js';
import { ENDED, done } from '../jobs.js';

const POLL_MS = 1000;
const RATE_WINDOW_MS = 10000;
const FAILURES_PAGE = 50;

export async function render(ctx) {
  const id = Number(ctx.params[0]);
  const first = (await api.call('jobs/status', { jobId: { id } })).status;
  const samples = []; // {t, done, bytes, phase} of the polls in the window

  const stateEl = h('span', { id: 'job-state' });
  const message = h('p', { class: 'message', id: 'job-message' });
  const bar = h('progress', { id: 'job-progress', max: 100 });
  const stat = (name) => h('span', { 'data-field': name }, '–');
  const fields = {
    processed: stat('processed'), failed: stat('failed'), skipped: stat('skipped'), total: stat('total'),
    bytes: stat('bytes'), rate: stat('rate'), byteRate: stat('byteRate'), eta: stat('eta'), elapsed: stat('elapsed'),
  };
  const phase = h('div', { class: 'phase', id: 'job-phase' });
  const params = h('div', { id: 'job-params' });
  const result = h('div', { id: 'job-result' });
  const problem = h('div', { class: 'status' });
  const failures = failuresSection(ctx, id);
  // Made once, not per poll: its first click arms it for a second one.
  const cancel = confirmButton('Cancel job', async () => {
    try {
      show((await api.call('jobs/cancel', { jobId: { id } })).status);
    } catch (err) {
      replace(problem, errorBox(err));
    }
  }, { id: 'job-cancel' });
  const actions = h('div', { class: 'actions' }, cancel);

  const counters = h('dl', { class: 'counters', id: 'job-counters' },
    ['processed', 'failed', 'skipped', 'total', 'bytes', 'rate', 'byteRate', 'eta', 'elapsed'].map((k) => h('div', null,
      h('dt', null, { byteRate: 'bytes/s', rate: 'rate', eta: 'ETA', elapsed: 'elapsed' }[k] || k), h('dd', null, fields[k]))));

  const show = (j) => {
    const s = j.jobStats || {};
    const now = Date.now();
    samples.push({ t: now, done: done(j), bytes: s.bytes || 0, phaseDone: phaseOf(j) ? phaseOf(j).done : null });
    while (samples.length > 2 && now - samples[0].t > RATE_WINDOW_MS) samples.shift();
    const ended = ENDED.has(j.jobState);
    replace(stateEl, h('span', { class: `state state-${j.jobState.toLowerCase()}` }, j.jobState));
    replace(message, j.message || '');
    bar.value = j.progress != null ? j.progress : 0;
    if (j.progress == null && !ended) bar.removeAttribute('value');
    fields.processed.textContent = count(s.processed || 0);
    fields.failed.textContent = count(s.failed || 0);
    fields.skipped.textContent = count(s.skipped || 0);
    fields.total.textContent = count(s.total || 0);
    fields.bytes.textContent = bytes(s.bytes || 0);
    const started = Date.parse(j.startTime);
    const endedAt = j.completeTime ? Date.parse(j.completeTime) : now;
    fields.elapsed.textContent = duration((endedAt - started) / 1000);
    const oldest = samples[0];
    const span = (now - oldest.t) / 1000;
    if (ended) {
      const secs = Math.max((endedAt - started) / 1000, 1);
      fields.rate.textContent = `${count(Math.round(done(j) / secs))}/s (average)`;
      fields.byteRate.textContent = `${bytes(Math.round((s.bytes || 0) / secs))}/s`;
      fields.eta.textContent = 'ended';
    } else if (span >= 1) {
      const rate = (done(j) - oldest.done) / span;
      fields.rate.textContent = `${count(Math.round(rate))}/s`;
      fields.byteRate.textContent = `${bytes(Math.round(((s.bytes || 0) - oldest.bytes) / span))}/s`;
      const left = (s.total || 0) - done(j);
      fields.eta.textContent = rate > 0 && left > 0 ? duration(left / rate) : (left <= 0 ? 'finishing' : '–');
    }
    showPhase(phase, j, samples, now);
    replace(params, table(['Parameter', 'Value'], Object.entries(j.jobParams || {}).map(([k, v]) => [k, v])));
    const res = Object.entries(j.result || {}).filter(([k]) => k !== 'phase');
    replace(result, res.length ? table(['Result', 'Value'], res.map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]), { id: 'job-result-table' })
      : h('p', { class: 'hint' }, ended ? 'No result fields.' : 'The result comes when the job ends.'));
    cancel.hidden = ended;
    failures.update(j);
    return ended;
  };

  let timer = null;
  const poll = async () => {
    timer = null;
    if (!ctx.live()) return;
    try {
      const j = (await api.call('jobs/status', { jobId: { id } })).status;
      if (!ctx.live()) return;
      replace(problem);
      if (show(j)) return;
    } catch (err) {
      if (!ctx.live()) return;
      replace(problem, errorBox(err));
    }
    timer = setTimeout(poll, POLL_MS);
  };
  ctx.onLeave(() => timer && clearTimeout(timer));
  if (!show(first)) timer = setTimeout(poll, POLL_MS);

  return h('section', null,
    h('div', { class: 'title' },
      h('h1', null, `Job #${id} `, h('small', null, first.jobType)),
      actions),
    h('p', { class: 'sub' },
      'Bucket ', h('a', { href: ctx.link(`/buckets/${encodeURIComponent(first.bucketName)}`), id: 'job-bucket' }, first.bucketName),
      ` · started ${time(first.startTime)} · `, stateEl),
    message,
    bar,
    counters,
    phase,
    problem,
    h('div', { class: 'two' },
      h('div', null, h('h2', null, 'Parameters'), params),
      h('div', null, h('h2', null, 'Result'), result)),
    failures.el);
}

function phaseOf(j) {
  const p = j.result && j.result.phase;
  return p && p.state === j.jobState ? p : null;
}

// showPhase shows the work a job reports beside its counters (the orphan
// search of a verifying reconciliation), with its own rate.
function showPhase(el, j, samples, now) {
  const p = phaseOf(j);
  if (!p) {
    replace(el);
    return;
  }
  const withPhase = samples.filter((s) => s.phaseDone != null);
  let rate = '';
  if (withPhase.length >= 2) {
    const a = withPhase[0];
    const span = (now - a.t) / 1000;
    if (span >= 1) rate = ` · ${count(Math.round((p.done - a.phaseDone) / span))} ${p.unit}/s`;
  }
  const of = p.total != null ? ` of ${p.estimated ? 'about ' : ''}${count(p.total)}` : '';
  replace(el, h('strong', null, p.step), `: ${count(p.done)}${of} ${p.unit}${rate}`);
}

// failuresSection lists the job's failures (jobs/failures) when opened,
// a page at a time.
function failuresSection(ctx, id) {
  const summary = h('summary', null, 'Failures');
  const body = h('div', { id: 'failure-list' });
  const el = h('details', { id: 'failures' }, summary, body);
  let loaded = false;
  let lastFailed = -1;
  const load = async (pageToken, rows = []) => {
    try {
      const r = await api.call('jobs/failures', { jobId: { id }, pageSize: FAILURES_PAGE, ...(pageToken ? { pageToken } : {}) });
      const all = [...rows, ...(r.failures || [])];
      const more = r.pageToken
        ? h('button', { type: 'button', class: 'secondary', id: 'failures-more', onclick: () => load(r.pageToken, all) }, 'More')
        : null;
      replace(body, table(['Key', 'Version', 'Reason', 'When'], all.map((f) => [f.key, f.versionId || '', f.reason, time(f.time)]), { id: 'failure-table' }), more);
    } catch (err) {
      replace(body, errorBox(err));
    }
  };
  el.addEventListener('toggle', () => {
    if (el.open && !loaded) {
      loaded = true;
      load();
    }
  });
  return {
    el,
    // update counts the failures in the summary and reloads an open list
    // when more came.
    update(j) {
      const failed = (j.jobStats && j.jobStats.failed) || 0;
      replace(summary, `Failures (${count(failed)})`);
      if (el.open && failed !== lastFailed && loaded) load();
      lastFailed = failed;
    },
  };
}
