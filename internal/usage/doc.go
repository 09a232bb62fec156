// Package usage keeps buckets' usage counters true: the
// METRIC_RECONCILIATION job, which recounts a bucket's objects and bytes
// from its version rows, corrects the stored counters in the transaction
// that recounts them, and optionally verifies object data and finds
// orphaned blobs.
package usage
