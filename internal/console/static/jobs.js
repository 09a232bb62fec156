// What the console knows of jobs: their types, states and parameters.

export const TYPES = ['BATCH_REPLICATE', 'LIFECYCLE_UPDATE', 'METRIC_RECONCILIATION', 'TRIGGER_RECONCILIATION'];
export const STATES = ['EXAMINING', 'PROCESSING', 'EXECUTING', 'COMPLETE', 'FAILED', 'CANCELLED'];
export const ENDED = new Set(['COMPLETE', 'FAILED', 'CANCELLED']);

// PARAMS are each type's jobParams beside dryRun and prefix, which every
// type takes: [key, kind, choices or hint].
export const PARAMS = {
  BATCH_REPLICATE: [
    ['replicationFilter', 'choice', ['ALL', 'NEW', 'FAILED']],
    ['destination', 'target', 'one replication target ARN of the configuration; empty: every destination'],
  ],
  METRIC_RECONCILIATION: [
    ['verifyData', 'flag', "check every object's data exists with the right size; also look for orphaned blobs"],
    ['cleanOrphans', 'flag', 'remove the orphans found (needs verifyData)'],
  ],
  TRIGGER_RECONCILIATION: [
    ['mode', 'choice', ['MISSING', 'ALL']],
  ],
  LIFECYCLE_UPDATE: [],
};

// done is how many candidates a job has handled.
export function done(j) {
  const s = j.jobStats || {};
  return (s.processed || 0) + (s.failed || 0) + (s.skipped || 0);
}
