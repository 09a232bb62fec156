package meta

import "time"

// NotificationTarget is where a bucket's events go: a webhook (other types
// later). Its ARN is what a bucket's notification configuration names.
// Like a replication target it has an owner and grants: it is an address
// (and perhaps a credential) of another system.
type NotificationTarget struct {
	// ARN is arn:quarry:sqs:<region>:<id>:<type>.
	ARN  string
	Name string
	// Type is the kind of target ("webhook").
	Type string
	// Endpoint is where events are sent (the webhook's URL).
	Endpoint string
	// SecretEnc is the sealed secret the type sends with each event (the
	// webhook's Authorization header value); nil for none. Sealed by the
	// auth package and never returned by the MAPI.
	SecretEnc          []byte
	InsecureSkipVerify bool
	// OwnerID is the user who registered the target. Its owner and admins
	// may always use it; AllUsers and Users grant it to others.
	OwnerID  int64
	AllUsers bool
	// Users are the ids of the users granted the target besides its owner,
	// ascending and distinct.
	Users     []int64
	CreatedAt time.Time
}

// NotificationTx reads and writes notification targets and bucket
// notification configurations. Events still to deliver live in the outbox
// (OutboxTx).
type NotificationTx interface {
	// CreateNotificationTarget inserts t with its grants; ErrExists if its
	// ARN or name is taken.
	CreateNotificationTarget(t *NotificationTarget) error
	// GetNotificationTarget returns the target with its grants;
	// ErrNotFound when absent.
	GetNotificationTarget(arn string) (*NotificationTarget, error)
	// ListNotificationTargets lists every target with its grants, by name.
	ListNotificationTargets() ([]NotificationTarget, error)
	// SetNotificationTargetAccess replaces the target's grants;
	// ErrNotFound when absent.
	SetNotificationTargetAccess(arn string, allUsers bool, users []int64) error
	// DeleteNotificationTarget deletes the target and its grants;
	// ErrNotFound when absent. The caller has checked that no bucket names
	// it (BucketsNotifyingTarget); outbox entries addressed to it stay (the
	// delivery fails them, saying the target is gone).
	DeleteNotificationTarget(arn string) error
	// SetBucketNotification stores a bucket's notification configuration
	// (an opaque document, Bucket.Notification) and replaces the set of
	// target ARNs it names (duplicates stored once); nil or empty config
	// removes both. ErrNotFound if the bucket does not exist.
	SetBucketNotification(bucket string, config []byte, targetARNs []string) error
	// BucketsNotifyingTarget lists, by name, the buckets whose
	// configuration names arn (none: an empty result).
	BucketsNotifyingTarget(arn string) ([]string, error)
}
