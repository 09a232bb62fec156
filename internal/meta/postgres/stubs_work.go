package postgres

// Stubs for the methods not written yet; each goes when its real one lands.

import (
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// JobTx

func (t *tx) CreateJob(_ *meta.Job) error                   { return errNotWritten }
func (t *tx) GetJob(_ int32) (*meta.Job, error)             { return nil, errNotWritten }
func (t *tx) ListJobs(_ meta.JobFilter) ([]meta.Job, error) { return nil, errNotWritten }
func (t *tx) ClaimJob(_ string, _ time.Time, _ time.Time) (*meta.Job, error) {
	return nil, errNotWritten
}
func (t *tx) RenewLease(_ int32, _ string, _ time.Time) (*meta.Job, error) { return nil, errNotWritten }
func (t *tx) SaveJob(_ *meta.Job, _ string) error                          { return errNotWritten }
func (t *tx) CancelJob(_ int32, _ time.Time) (*meta.Job, error)            { return nil, errNotWritten }
func (t *tx) AddJobFailure(_ *meta.JobFailure) error                       { return errNotWritten }
func (t *tx) ListJobFailures(_ int32, _ int64, _ int) ([]meta.JobFailure, error) {
	return nil, errNotWritten
}
func (t *tx) DeleteJobsBefore(_ time.Time) (int, error)       { return 0, errNotWritten }
func (t *tx) CountUsage(_ string) (meta.Usage, error)         { return meta.Usage{}, errNotWritten }
func (t *tx) CountVersions(_ string, _ string) (int64, error) { return 0, errNotWritten }
func (t *tx) CountJobs() ([]meta.JobCount, error)             { return nil, errNotWritten }

// ReplicationTx

func (t *tx) CreateReplicationTarget(_ *meta.ReplicationTarget) error { return errNotWritten }
func (t *tx) GetReplicationTarget(_ string) (*meta.ReplicationTarget, error) {
	return nil, errNotWritten
}
func (t *tx) ListReplicationTargets() ([]meta.ReplicationTarget, error)    { return nil, errNotWritten }
func (t *tx) SetReplicationTargetAccess(_ string, _ bool, _ []int64) error { return errNotWritten }
func (t *tx) DeleteReplicationTarget(_ string) error                       { return errNotWritten }
func (t *tx) SetBucketReplication(_ string, _ []byte, _ []string) error    { return errNotWritten }
func (t *tx) BucketsUsingTarget(_ string) ([]string, error)                { return nil, errNotWritten }
func (t *tx) SetVersionReplication(_ meta.VersionReplication) error        { return errNotWritten }
func (t *tx) ListVersionReplication(_ string, _ string, _ string) ([]meta.VersionReplication, error) {
	return nil, errNotWritten
}

// NotificationTx

func (t *tx) CreateNotificationTarget(_ *meta.NotificationTarget) error { return errNotWritten }
func (t *tx) GetNotificationTarget(_ string) (*meta.NotificationTarget, error) {
	return nil, errNotWritten
}
func (t *tx) ListNotificationTargets() ([]meta.NotificationTarget, error)   { return nil, errNotWritten }
func (t *tx) SetNotificationTargetAccess(_ string, _ bool, _ []int64) error { return errNotWritten }
func (t *tx) DeleteNotificationTarget(_ string) error                       { return errNotWritten }
func (t *tx) SetBucketNotification(_ string, _ []byte, _ []string) error    { return errNotWritten }
func (t *tx) BucketsNotifyingTarget(_ string) ([]string, error)             { return nil, errNotWritten }

// OutboxTx

func (t *tx) EnqueueOutbox(_ ...*meta.OutboxEntry) error                 { return errNotWritten }
func (t *tx) ReserveOutboxIDs(_ int) (int64, error)                      { return 0, errNotWritten }
func (t *tx) ClaimOutbox(_ meta.OutboxClaim) ([]meta.OutboxEntry, error) { return nil, errNotWritten }
func (t *tx) LeaseOutbox(_ []int64, _ string, _ time.Time, _ time.Time) ([]meta.OutboxEntry, error) {
	return nil, errNotWritten
}
func (t *tx) SettleOutbox(_ int64, _ string, _ meta.OutboxSettle) error  { return errNotWritten }
func (t *tx) GetOutbox(_ int64) (*meta.OutboxEntry, error)               { return nil, errNotWritten }
func (t *tx) ListOutbox(_ meta.OutboxFilter) ([]meta.OutboxEntry, error) { return nil, errNotWritten }
func (t *tx) CountOutbox(_ meta.OutboxFilter) (int64, error)             { return 0, errNotWritten }
func (t *tx) PurgeOutbox(_ time.Time, _ int) (int, error)                { return 0, errNotWritten }

// StorageTx

func (t *tx) CreateStorageComponent(_ *meta.StorageComponent) error       { return errNotWritten }
func (t *tx) GetStorageComponent(_ int64) (*meta.StorageComponent, error) { return nil, errNotWritten }
func (t *tx) ListStorageComponents() ([]meta.StorageComponent, error)     { return nil, errNotWritten }
func (t *tx) UpdateStorageComponent(_ *meta.StorageComponent) error       { return errNotWritten }
func (t *tx) CreateStorageClass(_ *meta.StorageClass) error               { return errNotWritten }
func (t *tx) GetStorageClass(_ int64) (*meta.StorageClass, error)         { return nil, errNotWritten }
func (t *tx) ListStorageClasses(_ int64, _ int) ([]meta.StorageClass, error) {
	return nil, errNotWritten
}
func (t *tx) UpdateStorageClass(_ *meta.StorageClass) error             { return errNotWritten }
func (t *tx) CreateStorageFaultDomain(_ *meta.StorageFaultDomain) error { return errNotWritten }
func (t *tx) GetStorageFaultDomain(_ string) (*meta.StorageFaultDomain, error) {
	return nil, errNotWritten
}
func (t *tx) ListStorageFaultDomains(_ string, _ int) ([]meta.StorageFaultDomain, error) {
	return nil, errNotWritten
}
func (t *tx) UpdateStorageFaultDomain(_ *meta.StorageFaultDomain) error { return errNotWritten }
