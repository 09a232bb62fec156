package replication

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// Outcomes of a copy that are not failures.
var (
	// ErrSourceGone: the source version (or its bucket) no longer exists,
	// so there is nothing to replicate.
	ErrSourceGone = errors.New("source version no longer exists")
	// ErrSuperseded: a newer version or delete marker of the key exists;
	// its own replication carries the key's state, and copying this one
	// now could put an older state on top of it at the destination.
	ErrSuperseded = errors.New("source version superseded by a newer one")
	// ErrVerificationFailed: the copy does not match the source (size or
	// ETag) after it was written.
	ErrVerificationFailed = errors.New("verification failed")
)

// abortTimeout bounds the best-effort AbortMultipartUpload after a failed
// or cancelled copy.
const abortTimeout = 10 * time.Second

// systemPrincipal reads source objects whoever owns them.
var systemPrincipal = auth.Principal{Role: meta.RoleAdmin, Username: "replication"}

// Outcome is what a copy did.
type Outcome struct {
	// Skipped: the destination already held the same object (same size
	// and ETag), nothing was sent.
	Skipped bool
	// Bytes is how many object bytes were sent.
	Bytes int64
}

// TargetAccess says whether a bucket's owner may use a target now;
// *Service implements it.
type TargetAccess interface {
	// CheckTargetUse returns nil, or an error wrapping
	// ErrTargetNotPermitted that says who may not use what.
	CheckTargetUse(ctx context.Context, bucket, targetARN string) error
}

// errNoTargetAccess fails every copy of a Copier built without a way to
// check grants: writing without the check would be the hole it closes.
var errNoTargetAccess = errors.New("replication: no target access check configured")

// CopierConfig configures a Copier.
type CopierConfig struct {
	// Objects reads the source versions.
	Objects *object.Service
	// Clients gives the destination clients.
	Clients *ClientPool
	// Access checks, before every copy and delete, that the source
	// bucket's owner may use the target. It defaults to the pool's target
	// resolver when that implements TargetAccess (a *Service does);
	// without one every copy fails.
	Access TargetAccess
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Copier copies object versions to replication targets. The live
// replicator and BATCH_REPLICATE share it. A copy is streamed, keeps the
// source's part layout (so the destination's ETag equals the source's),
// carries the object's attributes and tags, is verified end to end, and
// never leaves a partial object visible at the destination.
type Copier struct {
	cfg CopierConfig
}

// NewCopier returns a Copier.
func NewCopier(cfg CopierConfig) *Copier {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Access == nil && cfg.Clients != nil {
		if a, ok := cfg.Clients.targets.(TargetAccess); ok {
			cfg.Access = a
		}
	}
	return &Copier{cfg: cfg}
}

// CheckAccess refuses a copy to a target the bucket's owner may not use
// (any more: its grant may have been withdrawn since the configuration
// was stored). The *NotPermittedError is returned as is: it is the
// reason recorded for the version.
func (c *Copier) CheckAccess(ctx context.Context, bucket, targetARN string) error {
	if c.cfg.Access == nil {
		return errNoTargetAccess
	}
	return c.cfg.Access.CheckTargetUse(ctx, bucket, targetARN)
}

// CopyOptions are the choices of one Copy.
type CopyOptions struct {
	// CheckExisting asks the destination first (a HEAD) and skips the
	// copy when it already holds the same object (same size and ETag).
	// The HEAD is a round trip per object, so callers ask for it only
	// when the version may be there already: it was replicated, or tried,
	// before. A version never sent is copied directly (resending what is
	// there is harmless: the copy is idempotent).
	CheckExisting bool
	// DryRun sends nothing: with CheckExisting, the outcome says whether
	// the object is in place (Skipped) or would be sent (Bytes).
	DryRun bool
	// AccessChecked says the caller has just called CheckAccess for this
	// bucket and target and it passed, so Copy does not ask again: a
	// batch asks once per page rather than once per object.
	AccessChecked bool
}

// Copy copies one version of bucket/key to the same key in the bucket of
// the target targetARN (unless opts.CheckExisting finds it in place). It
// returns ErrSourceGone or ErrSuperseded (wrapped) when there is nothing
// to copy, and a *NotPermittedError, having sent nothing, when the
// bucket's owner may not use the target.
//
// A first copy costs one source read and, for a single-part object, one
// destination request: the PUT carries Content-MD5 and Content-Length,
// which the destination checks before it stores anything, and returns
// the ETag, compared with the source's: that is the end-to-end check.
func (c *Copier) Copy(ctx context.Context, bucket, key, versionID, targetARN string, opts CopyOptions) (Outcome, error) {
	src, body, err := c.openSource(ctx, bucket, key, versionID)
	if err != nil {
		return Outcome{}, err
	}
	defer body.Close()
	if !opts.AccessChecked {
		if err := c.CheckAccess(ctx, bucket, targetARN); err != nil {
			return Outcome{}, err
		}
	}
	remote, err := c.cfg.Clients.Get(ctx, targetARN)
	if err != nil {
		return Outcome{}, err
	}
	if opts.CheckExisting {
		found, err := headRemote(ctx, remote, key)
		if err != nil {
			return Outcome{}, fmt.Errorf("head %s at %s: %w", key, targetARN, err)
		}
		if found != nil && found.matches(src) {
			return Outcome{Skipped: true}, nil
		}
	}
	if opts.DryRun {
		return Outcome{Bytes: src.Size}, nil
	}
	data := &sourceReader{r: body}
	if isMultipartETag(src.ETag) {
		err = c.putMultipart(ctx, remote, src, data)
	} else {
		err = c.putSingle(ctx, remote, src, data)
	}
	if err != nil {
		if readErr := data.failure(); readErr != nil {
			// The upload failed because the source could not be read:
			// not the destination's fault (see isTransportError).
			err = &sourceReadError{err: readErr}
		}
		return Outcome{}, fmt.Errorf("copy %s/%s to %s: %w", bucket, key, targetARN, err)
	}
	return Outcome{Bytes: src.Size}, nil
}

// ReplicateDeleteMarker deletes key at the target (a delete marker there
// when its bucket is versioned), if the source key's latest version is
// still a delete marker: ErrSuperseded when a newer version replaced it,
// ErrSourceGone when the key has no version at all, a *NotPermittedError
// when the bucket's owner may not use the target.
func (c *Copier) ReplicateDeleteMarker(ctx context.Context, bucket, key, targetARN string) error {
	_, err := c.cfg.Objects.HeadObject(ctx, systemPrincipal, object.GetInput{Bucket: bucket, Key: key})
	var marker *object.DeleteMarkerError
	switch {
	case errors.As(err, &marker):
		// The latest version is a delete marker: replicate it.
	case err == nil:
		return fmt.Errorf("delete marker of %s/%s: %w", bucket, key, ErrSuperseded)
	case isSourceGone(err):
		return fmt.Errorf("delete marker of %s/%s: %w", bucket, key, ErrSourceGone)
	default:
		return fmt.Errorf("read %s/%s: %w", bucket, key, err)
	}
	if err := c.CheckAccess(ctx, bucket, targetARN); err != nil {
		return err
	}
	remote, err := c.cfg.Clients.Get(ctx, targetARN)
	if err != nil {
		return err
	}
	_, err = remote.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(remote.Bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("delete %s at %s: %w", key, targetARN, err)
	}
	return nil
}

// openSource opens the version to copy: one lookup gives its attributes
// and its data. A version that is not the key's latest is superseded.
func (c *Copier) openSource(ctx context.Context, bucket, key, versionID string) (*meta.Version, io.ReadCloser, error) {
	out, err := c.cfg.Objects.GetObject(ctx, systemPrincipal, object.GetInput{Bucket: bucket, Key: key, VersionID: versionID})
	if isSourceGone(err) {
		return nil, nil, fmt.Errorf("%s/%s version %q: %w", bucket, key, versionID, ErrSourceGone)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s/%s version %q: %w", bucket, key, versionID, err)
	}
	if !out.Version.IsLatest {
		out.Body.Close()
		return nil, nil, fmt.Errorf("%s/%s version %q: %w", bucket, key, versionID, ErrSuperseded)
	}
	return out.Version, out.Body, nil
}

// isSourceGone reports the errors by which the object service says the
// version (or its bucket) does not exist.
func isSourceGone(err error) bool {
	var marker *object.DeleteMarkerError
	return errors.Is(err, object.ErrNoSuchKey) || errors.Is(err, object.ErrNoSuchVersion) ||
		errors.Is(err, object.ErrNoSuchBucket) || errors.As(err, &marker)
}

// putSingle sends a single-part object as one streamed PutObject with
// Content-MD5 and Content-Length, which the destination checks before it
// stores anything, and checks the ETag it returns: no HEAD afterwards.
func (c *Copier) putSingle(ctx context.Context, remote *Remote, src *meta.Version, body io.Reader) error {
	attrs := attrsOf(src)
	in := &s3.PutObjectInput{
		Bucket:             aws.String(remote.Bucket),
		Key:                aws.String(src.Key),
		Body:               body,
		ContentLength:      aws.Int64(src.Size),
		ContentType:        attrs.contentType,
		CacheControl:       attrs.cacheControl,
		ContentDisposition: attrs.contentDisposition,
		ContentEncoding:    attrs.contentEncoding,
		ContentLanguage:    attrs.contentLanguage,
		Metadata:           src.UserMeta,
		Tagging:            attrs.tagging,
	}
	if md5sum, err := hex.DecodeString(src.ETag); err == nil && len(md5sum) == md5.Size {
		in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(md5sum))
	}
	out, err := remote.Client.PutObject(ctx, in, streamingOptions(attrs)...)
	if err != nil {
		return fmt.Errorf("put: %w", err)
	}
	if got := trimETag(out.ETag); got != src.ETag {
		return fmt.Errorf("%w: destination ETag %q, source %q", ErrVerificationFailed, got, src.ETag)
	}
	return nil
}

// putMultipart sends a multipart object, read from body in one pass, as a
// multipart upload with the same parts, so the destination computes the
// same md5-of-md5s ETag; each part's ETag and the final one are checked.
// Any failure aborts the upload: nothing partial becomes visible.
func (c *Copier) putMultipart(ctx context.Context, remote *Remote, src *meta.Version, body io.Reader) (err error) {
	attrs := attrsOf(src)
	created, err := remote.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:             aws.String(remote.Bucket),
		Key:                aws.String(src.Key),
		ContentType:        attrs.contentType,
		CacheControl:       attrs.cacheControl,
		ContentDisposition: attrs.contentDisposition,
		ContentEncoding:    attrs.contentEncoding,
		ContentLanguage:    attrs.contentLanguage,
		Metadata:           src.UserMeta,
		Tagging:            attrs.tagging,
	}, headerOptions(attrs)...)
	if err != nil {
		return fmt.Errorf("create multipart upload: %w", err)
	}
	uploadID := aws.ToString(created.UploadId)
	completed := false
	defer func() {
		if err != nil && !completed {
			c.abort(ctx, remote, src.Key, uploadID)
		}
	}()
	parts := make([]types.CompletedPart, 0, len(src.Segments))
	for i, seg := range src.Segments {
		number := int32(i + 1)
		etag, err := c.uploadPart(ctx, remote, src.Key, uploadID, number, io.LimitReader(body, seg.Size), seg.Size)
		if err != nil {
			return fmt.Errorf("part %d: %w", number, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(number), ETag: aws.String(`"` + etag + `"`)})
	}
	done, err := remote.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(remote.Bucket),
		Key:             aws.String(src.Key),
		UploadId:        aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return fmt.Errorf("complete multipart upload: %w", err)
	}
	completed = true
	if got := trimETag(done.ETag); got != src.ETag {
		// The object is visible already; it is left for the next copy
		// to replace, and the error says so.
		return fmt.Errorf("%w: destination ETag %q, source %q", ErrVerificationFailed, got, src.ETag)
	}
	return nil
}

// uploadPart streams one part (size bytes of body) and checks that the
// destination received exactly what was read: its part ETag is the MD5
// computed on the way.
func (c *Copier) uploadPart(ctx context.Context, remote *Remote, key, uploadID string, number int32, body io.Reader, size int64) (string, error) {
	hashed := &hashingReader{r: body, h: md5.New()}
	out, err := remote.Client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket:        aws.String(remote.Bucket),
		Key:           aws.String(key),
		UploadId:      aws.String(uploadID),
		PartNumber:    aws.Int32(number),
		Body:          hashed,
		ContentLength: aws.Int64(size),
	}, streamingOptions(sentAttrs{})...)
	if err != nil {
		return "", fmt.Errorf("upload: %w", err)
	}
	if hashed.n != size {
		return "", fmt.Errorf("%w: read %d bytes of a %d-byte part", ErrVerificationFailed, hashed.n, size)
	}
	want := hex.EncodeToString(hashed.h.Sum(nil))
	if got := trimETag(out.ETag); got != want {
		return "", fmt.Errorf("%w: destination part ETag %q, sent MD5 %q", ErrVerificationFailed, got, want)
	}
	return want, nil
}

// abort removes a failed upload's parts at the destination, best effort:
// even when ctx was cancelled, and bounded in time. A leftover upload is
// never visible as an object.
func (c *Copier) abort(ctx context.Context, remote *Remote, key, uploadID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	_, err := remote.Client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(remote.Bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
	})
	if err != nil {
		c.cfg.Logger.Warn("replication: abort multipart upload failed",
			"target", remote.ARN, "key", key, "uploadId", uploadID, "err", err)
	}
}

// remoteObject is what a HEAD at the destination says.
type remoteObject struct {
	size int64
	etag string
}

func (o *remoteObject) matches(v *meta.Version) bool {
	return o.size == v.Size && o.etag == v.ETag
}

// headRemote returns the destination's current object at key, nil when
// there is none.
func headRemote(ctx context.Context, remote *Remote, key string) (*remoteObject, error) {
	out, err := remote.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(remote.Bucket), Key: aws.String(key)})
	if err != nil {
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
			return nil, nil
		}
		return nil, err
	}
	return &remoteObject{size: aws.ToInt64(out.ContentLength), etag: trimETag(out.ETag)}, nil
}

// sentAttrs are the source attributes sent with a copy.
type sentAttrs struct {
	contentType        *string
	cacheControl       *string
	contentDisposition *string
	contentEncoding    *string
	contentLanguage    *string
	// expires is sent as stored: the SDK's typed field would reformat it.
	expires string
	// tagging is the tag set URL-encoded, as the Tagging header wants.
	tagging *string
}

func attrsOf(v *meta.Version) sentAttrs {
	header := func(name string) *string {
		if s, ok := v.Headers[name]; ok && s != "" {
			return aws.String(s)
		}
		return nil
	}
	a := sentAttrs{
		cacheControl:       header("Cache-Control"),
		contentDisposition: header("Content-Disposition"),
		contentEncoding:    header("Content-Encoding"),
		contentLanguage:    header("Content-Language"),
		expires:            v.Headers["Expires"],
	}
	if v.ContentType != "" {
		a.contentType = aws.String(v.ContentType)
	}
	if len(v.Tags) > 0 {
		a.tagging = aws.String(encodeTags(v.Tags))
	}
	return a
}

// encodeTags is the URL query form of a tag set, keys sorted.
func encodeTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(tags[k]))
	}
	return b.String()
}

// headerOptions sets the headers the SDK has no faithful field for.
func headerOptions(a sentAttrs) []func(*s3.Options) {
	if a.expires == "" {
		return nil
	}
	return []func(*s3.Options){s3.WithAPIOptions(smithyhttp.SetHeaderValue("Expires", a.expires))}
}

// streamingOptions are the options of a request whose body is streamed
// from the source: the body cannot be hashed in advance, so it is sent as
// UNSIGNED-PAYLOAD with an explicit length (the destination checks
// Content-MD5 or the caller checks the returned ETag instead); and it
// cannot be rewound, so the request is tried once: a retry would only
// fail to rewind it and hide the real error (the caller retries the copy).
func streamingOptions(a sentAttrs) []func(*s3.Options) {
	return append(headerOptions(a),
		s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware),
		func(o *s3.Options) { o.RetryMaxAttempts = 1 })
}

// hashingReader hashes and counts what is read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (r *hashingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	return n, err
}

// sourceReader reads the source data for an upload and keeps the first
// read error, so that a failed upload can tell a source failure from a
// destination one. The HTTP transport reads it, so the error is guarded.
type sourceReader struct {
	r io.Reader

	mu  sync.Mutex
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
	}
	return n, err
}

// failure returns the first error reading the source, nil if none.
func (s *sourceReader) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// sourceReadError is a copy that failed reading its source, not sending.
type sourceReadError struct{ err error }

func (e *sourceReadError) Error() string { return "read source: " + e.err.Error() }
func (e *sourceReadError) Unwrap() error { return e.err }

// isMultipartETag reports an ETag of the md5-of-md5s-N form.
func isMultipartETag(etag string) bool { return strings.Contains(etag, "-") }

// trimETag returns an ETag without its quotes.
func trimETag(etag *string) string { return strings.Trim(aws.ToString(etag), `"`) }
