package meta

import "time"

// ReplicationTarget is a bucket on a remote S3 endpoint that buckets
// replicate to. Its ARN is what a bucket's replication configuration names.
type ReplicationTarget struct {
	// ARN is arn:quarry:replication:<region>:<id>:<bucket>.
	ARN      string
	Name     string
	Endpoint string
	Region   string
	Bucket   string
	// AccessKey and SecretEnc are the remote credentials; the secret is
	// sealed by the auth package and never returned by the MAPI.
	AccessKey          string
	SecretEnc          []byte
	InsecureSkipVerify bool
	// OwnerID is the user who registered the target. Its owner and admins
	// may always use it; AllUsers and Users grant it to others.
	OwnerID int64
	// AllUsers grants the target to every user.
	AllUsers bool
	// Users are the ids of the users granted the target besides its owner,
	// ascending and distinct.
	Users     []int64
	CreatedAt time.Time
}

// ReplicationStatus is a version's replication state, per destination and,
// on the version row, summed up: FAILED if any destination failed, else
// PENDING if any is pending, else COMPLETED. REPLICA marks a version that was
// itself written by replication and is never replicated again.
type ReplicationStatus string

// Replication states.
const (
	ReplicationNone      ReplicationStatus = ""
	ReplicationPending   ReplicationStatus = "PENDING"
	ReplicationCompleted ReplicationStatus = "COMPLETED"
	ReplicationFailed    ReplicationStatus = "FAILED"
	ReplicationReplica   ReplicationStatus = "REPLICA"
)

// VersionReplication is one version's replication state at one target.
type VersionReplication struct {
	Bucket    string
	Key       string
	VersionID string
	TargetARN string
	Status    ReplicationStatus
	Error     string
	Updated   time.Time
}

// ReplicationTx reads and writes replication targets, bucket replication
// configurations and per-version states. What is still to copy lives in the
// outbox (OutboxTx).
type ReplicationTx interface {
	// CreateReplicationTarget inserts t with its grants (AllUsers, Users);
	// ErrExists if its ARN or name is taken.
	CreateReplicationTarget(t *ReplicationTarget) error
	// GetReplicationTarget returns the target with its grants; ErrNotFound
	// when absent.
	GetReplicationTarget(arn string) (*ReplicationTarget, error)
	// ListReplicationTargets lists every target with its grants, by name.
	ListReplicationTargets() ([]ReplicationTarget, error)
	// SetReplicationTargetAccess replaces the target's grants: allUsers and
	// the granted user ids (duplicates ignored). ErrNotFound when absent.
	SetReplicationTargetAccess(arn string, allUsers bool, users []int64) error
	// DeleteReplicationTarget deletes the target and its grants;
	// ErrNotFound when absent.
	DeleteReplicationTarget(arn string) error
	// SetBucketReplication stores a bucket's replication configuration (an
	// opaque document, Bucket.Replication) and the target ARNs it names;
	// nil config removes both. ErrNotFound if the bucket does not exist.
	SetBucketReplication(bucket string, config []byte, targetARNs []string) error
	// BucketsUsingTarget lists buckets whose configuration names arn.
	BucketsUsingTarget(arn string) ([]string, error)

	// SetVersionReplication upserts the state of a version at one target
	// and recomputes the version row's summed-up ReplicationStatus.
	// ErrNotFound if the version does not exist.
	SetVersionReplication(r VersionReplication) error
	// ListVersionReplication lists a version's states, by target ARN.
	ListVersionReplication(bucket, key, versionID string) ([]VersionReplication, error)
}
