// Package replication copies objects to buckets on remote S3 endpoints:
// replication targets, bucket replication configurations and their rules,
// the live replication (the outbox drainer's replication Delivery), and the
// BATCH_REPLICATE job. Live and batch replication share one copy routine.
package replication

import (
	"errors"
)

// Errors of the control plane (possibly wrapped with a message that says
// what is wrong). The S3 layer and the MAPI map them to their own codes.
var (
	// ErrInvalidConfig: a replication configuration breaks a rule (S3
	// InvalidArgument / InvalidRequest with the message).
	ErrInvalidConfig = errors.New("invalid replication configuration")
	// ErrVersioningNotEnabled: the source bucket's versioning is not Enabled.
	ErrVersioningNotEnabled = errors.New("versioning must be 'Enabled' on the bucket to apply a replication configuration")
	// ErrUnknownTarget: a rule's Destination/Bucket names no target.
	ErrUnknownTarget = errors.New("invalid ARN: no such replication target")
	// ErrNoConfig: the bucket has no replication configuration.
	ErrNoConfig = errors.New("the replication configuration was not found")
	// ErrInvalidTarget: a target's fields are invalid (MAPI 400).
	ErrInvalidTarget = errors.New("invalid replication target")
	// ErrTargetExists: a target with that name already exists (MAPI 409).
	ErrTargetExists = errors.New("replication target already exists")
	// ErrNoSuchTarget: no target has that ARN (MAPI 404).
	ErrNoSuchTarget = errors.New("no such replication target")
	// ErrTargetInUse: a bucket's configuration names the target (MAPI 409).
	ErrTargetInUse = errors.New("replication target is in use")
	// ErrTargetUnreachable: the target could not be reached or refused the
	// credentials or has no such bucket (MAPI 400 with the reason).
	ErrTargetUnreachable = errors.New("replication target test failed")
	// ErrTargetForbidden: the caller may use the target but not do this
	// with it (delete, test or grant it: its owner or an admin; grant it
	// to others: an admin) (MAPI 403).
	ErrTargetForbidden = errors.New("replication target action forbidden")
	// ErrTargetNotPermitted: a bucket's owner may not use the target its
	// configuration names (S3 AccessDenied; a copy to it is FAILED at once).
	// Errors that say so are *NotPermittedError.
	ErrTargetNotPermitted = errors.New("replication target not permitted")
)

// Config is a bucket's replication configuration: AWS's
// ReplicationConfiguration, decoded from and encoded to XML by the S3 layer
// and stored as JSON in meta.Bucket.Replication.
type Config struct {
	Role  string `json:"role,omitempty"`
	Rules []Rule `json:"rules"`
}

// Rule is one replication rule.
type Rule struct {
	ID       string `json:"id"`
	Priority int    `json:"priority"`
	// Enabled is Status == "Enabled".
	Enabled bool `json:"enabled"`
	// Filter selects keys; a rule without one (or with the legacy Prefix)
	// applies to every key under Prefix.
	Filter Filter `json:"filter"`
	// Legacy: the rule was given in AWS's first schema (V1: a Prefix
	// element instead of a Filter, no Priority). A configuration's rules
	// are all legacy or none; legacy rules to one destination must not
	// overlap, since no priority orders them.
	Legacy bool `json:"legacy,omitempty"`
	// DestinationARN is Destination/Bucket: a replication target's ARN.
	DestinationARN string `json:"destination"`
	StorageClass   string `json:"storageClass,omitempty"`
	// DeleteMarkerReplication: delete markers are replicated too.
	DeleteMarkerReplication bool `json:"deleteMarkerReplication"`
	// ExistingObjectReplication: BATCH_REPLICATE may copy objects that
	// existed before the rule (AWS's flag; Quarry's batch job honours it).
	ExistingObjectReplication bool `json:"existingObjectReplication"`
}

// Filter is a rule's Filter (Prefix, Tag, or And of a prefix and tags).
type Filter struct {
	Prefix string            `json:"prefix,omitempty"`
	Tags   map[string]string `json:"tags,omitempty"`
}

// Matches reports whether an object with key and tags is selected.
func (f Filter) Matches(key string, tags map[string]string) bool {
	if len(key) < len(f.Prefix) || key[:len(f.Prefix)] != f.Prefix {
		return false
	}
	for k, v := range f.Tags {
		if got, ok := tags[k]; !ok || got != v {
			return false
		}
	}
	return true
}
