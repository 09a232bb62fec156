package postgres

// Stubs for the methods not written yet; each goes when its real one lands.

import (
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// BucketTx

func (t *tx) CreateBucket(_ *meta.Bucket) error          { return errNotWritten }
func (t *tx) GetBucket(_ string) (*meta.Bucket, error)   { return nil, errNotWritten }
func (t *tx) ListBuckets(_ int64) ([]meta.Bucket, error) { return nil, errNotWritten }
func (t *tx) ListBucketsAfter(_ int64, _ string, _ string, _ int) ([]meta.Bucket, error) {
	return nil, errNotWritten
}
func (t *tx) DeleteBucket(_ string) error                           { return errNotWritten }
func (t *tx) SetBucketVersioning(_ string, _ meta.Versioning) error { return errNotWritten }
func (t *tx) SetBucketTags(_ string, _ map[string]string) error     { return errNotWritten }
func (t *tx) SetBucketEncryption(_ string, _ []byte) error          { return errNotWritten }
func (t *tx) SetBucketLifecycle(_ string, _ []byte) error           { return errNotWritten }
func (t *tx) GetUsage(_ string) (meta.Usage, error)                 { return meta.Usage{}, errNotWritten }
func (t *tx) AddUsage(_ string, _ meta.Usage) error                 { return errNotWritten }
func (t *tx) SetUsage(_ string, _ meta.Usage) error                 { return errNotWritten }

// AccessTx

func (t *tx) SetBucketACL(_ string, _ string) error                      { return errNotWritten }
func (t *tx) SetBucketCORS(_ string, _ []byte) error                     { return errNotWritten }
func (t *tx) SetVersionACL(_ string, _ string, _ string, _ string) error { return errNotWritten }
func (t *tx) GetVersionACL(_ string, _ string, _ string) (string, error) { return "", errNotWritten }

// ObjectTx

func (t *tx) GetInline(_ int64) ([]byte, error) { return nil, errNotWritten }

func (t *tx) PutVersion(_ *meta.Version) error { return errNotWritten }
func (t *tx) GetVersion(_ string, _ string, _ string) (*meta.Version, error) {
	return nil, errNotWritten
}
func (t *tx) GetLatest(_ string, _ string) (*meta.Version, error)     { return nil, errNotWritten }
func (t *tx) NewestVersion(_ string, _ string) (*meta.Version, error) { return nil, errNotWritten }
func (t *tx) DeleteVersion(_ string, _ string, _ string) error        { return errNotWritten }
func (t *tx) SetLatest(_ string, _ string, _ string) error            { return errNotWritten }
func (t *tx) SetVersionTags(_ string, _ string, _ string, _ map[string]string) error {
	return errNotWritten
}
func (t *tx) ListLatest(_ string, _ string, _ string, _ int) ([]meta.Version, error) {
	return nil, errNotWritten
}
func (t *tx) ListLatestKeys(_ string, _ string, _ string, _ int) ([]string, error) {
	return nil, errNotWritten
}
func (t *tx) ListVersions(_ string, _ string, _ string, _ int64, _ int) ([]meta.Version, error) {
	return nil, errNotWritten
}
func (t *tx) HasVersions(_ string) (bool, error) { return false, errNotWritten }

// UploadTx

func (t *tx) CreateUpload(_ *meta.Upload) error        { return errNotWritten }
func (t *tx) GetUpload(_ string) (*meta.Upload, error) { return nil, errNotWritten }
func (t *tx) DeleteUpload(_ string) error              { return errNotWritten }
func (t *tx) ListUploads(_ string, _ string, _ string, _ string, _ int) ([]meta.Upload, error) {
	return nil, errNotWritten
}
func (t *tx) PutPart(_ *meta.Part) (*meta.Part, error)              { return nil, errNotWritten }
func (t *tx) ListParts(_ string, _ int, _ int) ([]meta.Part, error) { return nil, errNotWritten }

// UserTx

func (t *tx) CreateUser(_ *meta.User) error                    { return errNotWritten }
func (t *tx) GetUser(_ int64) (*meta.User, error)              { return nil, errNotWritten }
func (t *tx) GetUserByName(_ string) (*meta.User, error)       { return nil, errNotWritten }
func (t *tx) ListUsers(_ int64, _ int) ([]meta.User, error)    { return nil, errNotWritten }
func (t *tx) DeleteUser(_ int64) error                         { return errNotWritten }
func (t *tx) SetUserRole(_ int64, _ meta.Role) error           { return errNotWritten }
func (t *tx) CreateAccessKey(_ *meta.AccessKey) error          { return errNotWritten }
func (t *tx) GetAccessKey(_ string) (*meta.AccessKey, error)   { return nil, errNotWritten }
func (t *tx) ListAccessKeys(_ int64) ([]meta.AccessKey, error) { return nil, errNotWritten }
func (t *tx) DeleteAccessKey(_ string) error                   { return errNotWritten }

// TrashTx

func (t *tx) TrashBlobs(_ ...string) error      { return errNotWritten }
func (t *tx) ListTrash(_ int) ([]string, error) { return nil, errNotWritten }
func (t *tx) RemoveTrash(_ ...string) error     { return errNotWritten }

// SettingTx

func (t *tx) GetSetting(_ string) (string, error) { return "", errNotWritten }
func (t *tx) PutSetting(_ string, _ string) error { return errNotWritten }

// SSETx

func (t *tx) AddSSEKey(_ *meta.SSEKey) error               { return errNotWritten }
func (t *tx) SSEKeys() ([]meta.SSEKey, error)              { return nil, errNotWritten }
func (t *tx) DeleteSSEKey(_ int64) error                   { return errNotWritten }
func (t *tx) AddSSEEvent(_ *meta.SSEEvent) error           { return errNotWritten }
func (t *tx) ListSSEEvents(_ int) ([]meta.SSEEvent, error) { return nil, errNotWritten }
func (t *tx) ListSealedVersions(_ int64, _ int) ([]meta.SealedVersion, error) {
	return nil, errNotWritten
}
func (t *tx) SetVersionSegments(_ string, _ string, _ string, _ []meta.Segment) error {
	return errNotWritten
}
func (t *tx) ListSealedParts(_ string, _ int, _ int) ([]meta.Part, error) { return nil, errNotWritten }
func (t *tx) SetPartSealedKey(_ string, _ int, _ []byte) error            { return errNotWritten }

// RefreshTx

func (t *tx) CreateRefreshFamily(_ *meta.RefreshFamily) error              { return errNotWritten }
func (t *tx) GetRefreshFamily(_ string) (*meta.RefreshFamily, error)       { return nil, errNotWritten }
func (t *tx) RotateRefreshFamily(_ string, _ int64, _ time.Time) error     { return errNotWritten }
func (t *tx) DeleteRefreshFamily(_ string) error                           { return errNotWritten }
func (t *tx) DeleteExpiredRefreshFamilies(_ time.Time, _ int) (int, error) { return 0, errNotWritten }

// CertificateTx

func (t *tx) PutCertificate(_ *meta.Certificate) error           { return errNotWritten }
func (t *tx) GetCertificate(_ string) (*meta.Certificate, error) { return nil, errNotWritten }
func (t *tx) ListCertificates() ([]meta.Certificate, error)      { return nil, errNotWritten }
func (t *tx) DeleteCertificate(_ string) error                   { return errNotWritten }

// EventTx

func (t *tx) AppendEvent(_ *meta.Event) error                     { return errNotWritten }
func (t *tx) ListEvents(_ meta.EventFilter) ([]meta.Event, error) { return nil, errNotWritten }
func (t *tx) DeleteEventsBefore(_ time.Time, _ int) (int, error)  { return 0, errNotWritten }
