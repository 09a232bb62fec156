package events

import "sort"

// Severities, as the vendor's API names them.
const (
	Info    = "INFO"
	Warning = "WARNING"
	Severe  = "SEVERE"
)

// ValidSeverity reports whether s is one of the three severities.
func ValidSeverity(s string) bool { return s == Info || s == Warning || s == Severe }

// Categories group event types; system/events filters by them.
const (
	CategoryJob         = "JOB"
	CategoryUser        = "USER"
	CategoryCredentials = "CREDENTIALS"
	CategoryReplication = "REPLICATION"
	// CategoryNotification: notification targets (their ids sit beside
	// the replication targets', in 204xx).
	CategoryNotification = "NOTIFICATION"
	CategoryBucket       = "BUCKET"
	CategorySecurity     = "SECURITY"
	CategoryCertificate  = "CERTIFICATE"
)

// Type is a kind of event. Its ID is stable: clients filter by it, and the
// log keeps it, so an ID is never reused for another meaning. Quarry's IDs
// are 20000 to 29999, apart from the vendor's own; the hundreds group them
// by what they concern (201xx jobs, 202xx users, 204xx targets, and so on).
type Type struct {
	ID       int
	Name     string
	Category string
	Severity string
	// GMS marks events of the global management layer (users, S3 keys,
	// logins, certificates), which system/gms_events serves as well.
	GMS bool
	// Meaning says when the event is recorded, for the documentation.
	Meaning string
}

// The event types. docs/MAPI.md lists them; a test keeps it in step.
var (
	JobCreated         = Type{20101, "JOB_CREATED", CategoryJob, Info, false, "a job was created (by the actor)"}
	JobCompleted       = Type{20102, "JOB_COMPLETED", CategoryJob, Info, false, "a job ended COMPLETE"}
	JobFailed          = Type{20103, "JOB_FAILED", CategoryJob, Warning, false, "a job ended FAILED; the message says why"}
	JobCancelRequested = Type{20104, "JOB_CANCEL_REQUESTED", CategoryJob, Info, false, "the actor cancelled a running job; it ends CANCELLED shortly (JOB_CANCELLED)"}
	JobCancelled       = Type{20105, "JOB_CANCELLED", CategoryJob, Info, false, "a job ended CANCELLED; the actor is set when the cancel ended it at once"}

	UserCreated     = Type{20201, "USER_CREATED", CategoryUser, Info, true, "a user was created (by the actor; by none: the first-start admin)"}
	UserDeleted     = Type{20202, "USER_DELETED", CategoryUser, Info, true, "a user was deleted, with its keys and logins"}
	UserRoleChanged = Type{20203, "USER_ROLE_CHANGED", CategoryUser, Info, true, "a user's role changed (ADMIN or USER)"}

	S3KeyCreated = Type{20301, "S3_KEY_CREATED", CategoryCredentials, Info, true, "an S3 access key was generated for the owner"}
	S3KeyRevoked = Type{20302, "S3_KEY_REVOKED", CategoryCredentials, Info, true, "an S3 access key of the owner was revoked"}

	TargetCreated       = Type{20401, "REPLICATION_TARGET_CREATED", CategoryReplication, Info, false, "a replication target was added"}
	TargetDeleted       = Type{20402, "REPLICATION_TARGET_DELETED", CategoryReplication, Info, false, "a replication target was deleted"}
	TargetAccessChanged = Type{20403, "REPLICATION_TARGET_ACCESS_CHANGED", CategoryReplication, Info, false, "who may use a replication target changed"}

	NotificationTargetCreated       = Type{20404, "NOTIFICATION_TARGET_CREATED", CategoryNotification, Info, false, "a notification target was added"}
	NotificationTargetDeleted       = Type{20405, "NOTIFICATION_TARGET_DELETED", CategoryNotification, Info, false, "a notification target was deleted"}
	NotificationTargetAccessChanged = Type{20406, "NOTIFICATION_TARGET_ACCESS_CHANGED", CategoryNotification, Info, false, "who may use a notification target changed"}

	BucketCreated             = Type{20501, "BUCKET_CREATED", CategoryBucket, Info, false, "a bucket was created"}
	BucketDeleted             = Type{20502, "BUCKET_DELETED", CategoryBucket, Info, false, "a bucket was deleted"}
	BucketVersioningChanged   = Type{20503, "BUCKET_VERSIONING_CHANGED", CategoryBucket, Info, false, "a bucket's versioning was enabled or suspended"}
	BucketReplicationSet      = Type{20504, "BUCKET_REPLICATION_SET", CategoryBucket, Info, false, "a bucket's replication configuration was set or replaced"}
	BucketReplicationDeleted  = Type{20505, "BUCKET_REPLICATION_DELETED", CategoryBucket, Info, false, "a bucket's replication configuration was removed"}
	BucketLifecycleSet        = Type{20506, "BUCKET_LIFECYCLE_SET", CategoryBucket, Info, false, "a bucket's lifecycle configuration was set"}
	BucketLifecycleDeleted    = Type{20507, "BUCKET_LIFECYCLE_DELETED", CategoryBucket, Info, false, "a bucket's lifecycle configuration was removed"}
	BucketNotificationSet     = Type{20508, "BUCKET_NOTIFICATION_SET", CategoryBucket, Info, false, "a bucket's notification configuration was set or replaced"}
	BucketNotificationDeleted = Type{20509, "BUCKET_NOTIFICATION_DELETED", CategoryBucket, Info, false, "a bucket's notification configuration was removed (set to one without triggers)"}
	BucketEncryptionSet       = Type{20510, "BUCKET_ENCRYPTION_SET", CategoryBucket, Info, false, "a bucket's default encryption was set"}
	BucketEncryptionDeleted   = Type{20511, "BUCKET_ENCRYPTION_DELETED", CategoryBucket, Info, false, "a bucket's default encryption was removed"}
	BucketACLSet              = Type{20512, "BUCKET_ACL_SET", CategoryBucket, Info, false, "a bucket's ACL was set (PutBucketAcl, or CreateBucket of a bucket its owner already has in us-east-1)"}
	BucketCORSSet             = Type{20513, "BUCKET_CORS_SET", CategoryBucket, Info, false, "a bucket's CORS configuration was set or replaced"}
	BucketCORSDeleted         = Type{20514, "BUCKET_CORS_DELETED", CategoryBucket, Info, false, "a bucket's CORS configuration was removed"}

	LoginRefused       = Type{20601, "LOGIN_REFUSED", CategorySecurity, Warning, true, "password grants were refused for a wrong password (one event per username and address per minute, with a count)"}
	LoginLockedOut     = Type{20602, "LOGIN_LOCKED_OUT", CategorySecurity, Warning, true, "a username or an address must wait after repeated failed logins (aggregated alike)"}
	RefreshTokenReused = Type{20603, "REFRESH_TOKEN_REUSED", CategorySecurity, Severe, true, "a refresh token was presented again after its rotation; its login was revoked"}

	CertificateAdded   = Type{20701, "CERTIFICATE_ADDED", CategoryCertificate, Info, true, "a TLS certificate was added"}
	CertificateDeleted = Type{20702, "CERTIFICATE_DELETED", CategoryCertificate, Info, true, "a TLS certificate was deleted"}
)

// Types returns every event type, by ID.
func Types() []Type {
	ts := []Type{
		JobCreated, JobCompleted, JobFailed, JobCancelRequested, JobCancelled,
		UserCreated, UserDeleted, UserRoleChanged,
		S3KeyCreated, S3KeyRevoked,
		TargetCreated, TargetDeleted, TargetAccessChanged,
		NotificationTargetCreated, NotificationTargetDeleted, NotificationTargetAccessChanged,
		BucketCreated, BucketDeleted, BucketVersioningChanged, BucketReplicationSet, BucketReplicationDeleted,
		BucketLifecycleSet, BucketLifecycleDeleted, BucketNotificationSet, BucketNotificationDeleted,
		BucketEncryptionSet, BucketEncryptionDeleted, BucketACLSet, BucketCORSSet, BucketCORSDeleted,
		LoginRefused, LoginLockedOut, RefreshTokenReused,
		CertificateAdded, CertificateDeleted,
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
	return ts
}
