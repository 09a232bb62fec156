package object

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Errors the service returns, possibly wrapped with context. The S3 layer
// maps each to its S3 error code and status; the MAPI maps them to its own.
var (
	ErrNoSuchBucket            = errors.New("no such bucket")
	ErrNoSuchKey               = errors.New("no such key")
	ErrNoSuchVersion           = errors.New("no such version")
	ErrNoSuchUpload            = errors.New("no such upload")
	ErrNoSuchTagSet            = errors.New("no such tag set")
	ErrBucketNotEmpty          = errors.New("bucket not empty")
	ErrBucketAlreadyOwnedByYou = errors.New("bucket already owned by you")
	ErrBucketAlreadyExists     = errors.New("bucket already exists")
	ErrInvalidBucketName       = errors.New("invalid bucket name")
	ErrKeyTooLong              = errors.New("key too long")
	// ErrInvalidKey: empty key, NUL byte or invalid UTF-8.
	ErrInvalidKey          = errors.New("invalid key")
	ErrAccessDenied        = errors.New("access denied")
	ErrPreconditionFailed  = errors.New("precondition failed")
	ErrNotModified         = errors.New("not modified")
	ErrInvalidRange        = errors.New("invalid range")
	ErrEntityTooSmall      = errors.New("entity too small")
	ErrEntityTooLarge      = errors.New("entity too large")
	ErrInvalidPart         = errors.New("invalid part")
	ErrInvalidPartOrder    = errors.New("invalid part order")
	ErrBadDigest           = errors.New("bad digest")
	ErrIncompleteBody      = errors.New("incomplete body")
	ErrMethodNotAllowed    = errors.New("method not allowed")
	ErrInvalidArgument     = errors.New("invalid argument")
	ErrInvalidRequest      = errors.New("invalid request")
	ErrInvalidTag          = errors.New("invalid tag")
	ErrMalformedXML        = errors.New("malformed xml")
	ErrInvalidStorageClass = errors.New("invalid storage class")
	// ErrInvalidBucketState: the bucket's configuration forbids the change
	// (suspending versioning on a bucket that replicates).
	ErrInvalidBucketState = errors.New("invalid bucket state")
	// ErrNoSuchEncryptionConfig: the bucket has no default encryption.
	ErrNoSuchEncryptionConfig = errors.New("no server-side encryption configuration")
	// ErrNotImplemented: the request needs something this server lacks
	// (server-side encryption on a service built without keys).
	ErrNotImplemented = errors.New("not implemented")
	// ErrConditionalRequestConflict: a conditional write whose condition
	// held when it started lost it to a delete that finished meanwhile.
	ErrConditionalRequestConflict = errors.New("conditional request conflict")
	// ErrMalformedTrailer: an aws-chunked body announced a trailing
	// checksum it did not send.
	ErrMalformedTrailer = errors.New("malformed trailer")
)

// MessageError carries S3's own words for a refusal that clients show to
// people (a checksum that did not match, a checksum type an upload cannot
// have): the S3 layer answers with Message and the code of Err.
type MessageError struct {
	Message string
	Err     error
}

func (e *MessageError) Error() string { return e.Message }
func (e *MessageError) Unwrap() error { return e.Err }

// refusal is a MessageError wrapping err.
func refusal(err error, format string, args ...any) error {
	return &MessageError{Message: fmt.Sprintf(format, args...), Err: err}
}

// DeleteMarkerError is returned by Get/Head when the addressed version is a
// delete marker: it wraps ErrNoSuchKey (no version id asked) or
// ErrMethodNotAllowed (the marker's version id asked). S3 answers with
// x-amz-delete-marker: true and the marker's version id.
type DeleteMarkerError struct {
	VersionID    string
	LastModified time.Time
	Err          error
}

func (e *DeleteMarkerError) Error() string { return e.Err.Error() + " (delete marker)" }
func (e *DeleteMarkerError) Unwrap() error { return e.Err }

// Checksum algorithms accepted in x-amz-checksum-* and
// x-amz-sdk-checksum-algorithm.
const (
	ChecksumCRC32     = "CRC32"
	ChecksumCRC32C    = "CRC32C"
	ChecksumCRC64NVME = "CRC64NVME"
	ChecksumSHA1      = "SHA1"
	ChecksumSHA256    = "SHA256"
)

// Checksum types: how an object's checksum covers its data. A single PUT's
// checksum is of the whole object; a multipart object's is either the CRC
// of all its bytes (FULL_OBJECT, CRCs only) or the checksum of its parts'
// checksums followed by "-N" (COMPOSITE).
const (
	ChecksumTypeComposite  = "COMPOSITE"
	ChecksumTypeFullObject = "FULL_OBJECT"
)

// MaxKeyLength is S3's limit on key length in bytes.
const MaxKeyLength = 1024

// MaxObjectSize is the largest single PUT S3 accepts (5 GiB).
const MaxObjectSize = 5 << 30

// Limits for multipart uploads.
const (
	MinPartSize = 5 << 20
	MaxPartSize = 5 << 30
	MaxParts    = 10000
)

// Conditions are the HTTP preconditions of a GET, HEAD, PUT or copy source.
// Zero values are absent conditions.
type Conditions struct {
	IfMatch           string // ETag list or "*", quotes optional
	IfNoneMatch       string
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
}

// Range is a parsed HTTP byte range: either First..Last (Last < 0: to the
// end) or the last SuffixLength bytes.
type Range struct {
	First        int64
	Last         int64
	SuffixLength int64
	Suffix       bool
}

// ObjectAttrs are what a client sets on an object at write time.
type ObjectAttrs struct {
	ContentType string
	Headers     map[string]string // Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires
	UserMeta    map[string]string // lower-case names without x-amz-meta-
	Tags        map[string]string
	// ACL is the canned ACL the object gets (private when empty).
	ACL acl.Canned
	// Replica marks the write as made by replication (see
	// PutInput.Replica). CreateMultipartUpload reads it here: an upload
	// created as a replica completes into a replica.
	Replica bool
	// SSE is the server-side encryption the request asks for
	// (meta.SSEAES256), or empty to leave it to the bucket's default and
	// the server's mode. Put, copy and CreateMultipartUpload read it; a
	// copy's destination never inherits the source's.
	SSE string
}

// ChecksumInput asks for a checksum to be computed, stored and, when a value
// is given, verified (ErrBadDigest on mismatch).
type ChecksumInput struct {
	// Algorithm to compute and store; empty for none.
	Algorithm string
	// Value is the expected base64 value from an x-amz-checksum-* header.
	Value string
	// Trailer, when set, is called once the body reached EOF and returns the
	// expected value sent in an aws-chunked trailer ("" if none came).
	Trailer func() string
}

// PutResult is what Put stored: the new version, and the bucket as the
// commit read it (its versioning state decides the version id a response
// names).
type PutResult struct {
	Version *meta.Version
	Bucket  *meta.Bucket
}

// PutInput is a PutObject request.
type PutInput struct {
	Bucket string
	Key    string
	Body   io.Reader
	// Size is the exact number of body bytes (the decoded length for
	// aws-chunked bodies). A body that ends early gives ErrIncompleteBody.
	Size       int64
	Attrs      ObjectAttrs
	ContentMD5 []byte // raw 16 bytes when Content-MD5 was sent
	Checksum   ChecksumInput
	// Conditional write: If-None-Match "*" fails with ErrPreconditionFailed
	// when the key exists; If-Match requires the current ETag.
	Cond Conditions
	// Replica: the object is a copy written by replication from another
	// bucket. It is stored with ReplicationStatus REPLICA and never
	// replicated again, so buckets replicating to each other do not loop.
	// (Attrs.Replica means the same.)
	Replica bool
	// Form: the object comes from a browser form upload (S3's POST
	// Object), which events report as ObjectCreated:Post.
	Form bool
}

// GetInput is a GetObject or HeadObject request.
type GetInput struct {
	Bucket     string
	Key        string
	VersionID  string
	Range      *Range
	PartNumber int
	Cond       Conditions
}

// GetOutput describes what to send back. Body is nil for Head and for
// ErrNotModified (which returns a non-nil GetOutput for the headers).
type GetOutput struct {
	Version *meta.Version
	// Bucket is the bucket as read with the version, for what its
	// configuration adds to a response.
	Bucket *meta.Bucket
	// Offset and Length are the bytes served; Ranged when a Range or
	// PartNumber selected them (206 with Content-Range).
	Offset     int64
	Length     int64
	Ranged     bool
	PartsCount int
	// Checksums are the stored checksums of exactly the bytes served: the
	// object's for the whole object, one part's for GET ?partNumber, none
	// for a byte range (a client checks them against what it received).
	// ChecksumType is the whole object's checksum type, "" for a part.
	Checksums    map[string]string
	ChecksumType string
	Body         io.ReadCloser
}

// DeleteResult is what DeleteObject did.
type DeleteResult struct {
	VersionID    string // version removed, or of the marker created
	DeleteMarker bool   // a marker was created, or the removed version was one
}

// CopyInput is a CopyObject request.
type CopyInput struct {
	SrcBucket    string
	SrcKey       string
	SrcVersionID string
	SrcCond      Conditions
	Bucket       string
	Key          string
	// ReplaceMetadata: MetadataDirective REPLACE (Attrs' content type,
	// headers and user metadata are used); otherwise they are copied.
	ReplaceMetadata bool
	// ReplaceTags: TaggingDirective REPLACE (Attrs.Tags used).
	ReplaceTags bool
	Attrs       ObjectAttrs
	Checksum    ChecksumInput // Algorithm only
	// Cond is the conditional write on the destination (If-None-Match
	// "*", If-Match), as PutInput.Cond.
	Cond Conditions
	// Replica: as PutInput.Replica.
	Replica bool
}

// CopyResult is the new object and the source version it came from.
type CopyResult struct {
	Version      *meta.Version
	SrcVersionID string
}

// ListInput is a ListObjects (v1 or v2) request.
type ListInput struct {
	Bucket     string
	Prefix     string
	Delimiter  string
	StartAfter string // exclusive; v1 marker, v2 start-after or continuation
	MaxKeys    int    // 0..1000; values above 1000 are treated as 1000
}

// ListOutput is a page of a listing.
type ListOutput struct {
	Objects        []meta.Version
	CommonPrefixes []string
	IsTruncated    bool
	// NextMarker is the last key or common prefix returned; a listing goes
	// on from there.
	NextMarker string
}

// ListVersionsInput is a ListObjectVersions request.
type ListVersionsInput struct {
	Bucket          string
	Prefix          string
	Delimiter       string
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int
}

// ListVersionsOutput is a page of versions and delete markers in S3 order.
type ListVersionsOutput struct {
	Versions            []meta.Version
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// PartInput is an UploadPart request.
type PartInput struct {
	Bucket     string
	Key        string
	UploadID   string
	Number     int
	Body       io.Reader
	Size       int64
	ContentMD5 []byte
	Checksum   ChecksumInput
}

// PartCopyInput is an UploadPartCopy request.
type PartCopyInput struct {
	Bucket       string
	Key          string
	UploadID     string
	Number       int
	SrcBucket    string
	SrcKey       string
	SrcVersionID string
	SrcRange     *Range // x-amz-copy-source-range, First..Last inclusive
	SrcCond      Conditions
}

// CompletePart is one entry of a CompleteMultipartUpload request.
type CompletePart struct {
	Number    int
	ETag      string // quotes optional
	Checksums map[string]string
}

// ListPartsOutput is a page of parts.
type ListPartsOutput struct {
	Upload      *meta.Upload
	Parts       []meta.Part
	IsTruncated bool
	NextMarker  int
}

// ListUploadsInput is a ListMultipartUploads request.
type ListUploadsInput struct {
	Bucket         string
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int
}

// ListUploadsOutput is a page of uploads.
type ListUploadsOutput struct {
	Uploads            []meta.Upload
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}
