package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/acl"
	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// PutObject stores an object: the body goes to a new blob first and is
// verified there; only then does the metadata commit make it visible.
func (s *Service) PutObject(ctx context.Context, p auth.Principal, in PutInput) (*meta.Version, error) {
	res, err := s.Put(ctx, p, in)
	if err != nil {
		return nil, err
	}
	return res.Version, nil
}

// Put is PutObject returning also the bucket as the commit read it, so
// that a caller answering the request (the version id header, which
// depends on the bucket's versioning; x-amz-expiration, on its lifecycle)
// need not read the bucket again. The commit reads the bucket and the
// key's latest version once each.
func (s *Service) Put(ctx context.Context, p auth.Principal, in PutInput) (*PutResult, error) {
	if err := validateKey(in.Key); err != nil {
		return nil, err
	}
	if err := validateTags(in.Attrs.Tags, maxObjectTags); err != nil {
		return nil, err
	}
	if err := validateChecksumAlgorithm(in.Checksum.Algorithm); err != nil {
		return nil, err
	}
	if err := validateSSE(in.Attrs.SSE); err != nil {
		return nil, err
	}
	// Fail before storing any data when the request cannot succeed.
	encryption, err := s.checkWritable(ctx, p, in.Bucket, in.Key, in.Cond, in.Attrs.SSE)
	if err != nil {
		return nil, err
	}
	body, err := s.ingest(ctx, ingestRequest{
		Body: in.Body, Size: in.Size, MaxSize: MaxObjectSize,
		ContentMD5: in.ContentMD5, Checksum: in.Checksum, Encrypt: encryption != "",
		InlineMax: s.cfg.InlineMax,
	})
	if err != nil {
		return nil, fmt.Errorf("put %s/%s: %w", in.Bucket, in.Key, err)
	}
	var (
		v *meta.Version
		b *meta.Bucket
	)
	err = s.commit(ctx, in.Bucket, func(c *Change) error {
		// A new version each attempt: the commit may run this again
		// (meta.Store.Update), and the last attempt's marks (replication
		// status, version id) must not carry over.
		v = s.newVersion(p, in.Key, in.Attrs, body, encryption)
		var err error
		b, err = bucketAllowing(c.tx, p, in.Bucket, acl.Write)
		if err != nil {
			return err
		}
		cur, err := latestVersion(c.tx, in.Bucket, in.Key)
		if err != nil {
			return err
		}
		if err := recheckWriteConditions(in.Bucket, in.Key, cur, in.Cond); err != nil {
			return err
		}
		v.OwnerID = ownerOfWrite(p, b)
		markReplica(v, replicaAllowed(p, b, in.Replica || in.Attrs.Replica))
		if err := s.sealSegment(c.tx, v, body); err != nil {
			return err
		}
		return c.replaceLatestWithACL(b, v, cur, in.Attrs.ACL, putEvent(in))
	})
	if err != nil {
		s.deleteBlobs(ctx, body.BlobID)
		return nil, fmt.Errorf("put %s/%s: %w", in.Bucket, in.Key, err)
	}
	return &PutResult{Version: v, Bucket: b}, nil
}

// checkWritable checks, before any data is stored, that p may write to the
// bucket and that the write conditions hold now (the commit checks again),
// and decides the encryption of the write.
func (s *Service) checkWritable(ctx context.Context, p auth.Principal, bucket, key string, cond Conditions, askedSSE string) (encryption string, err error) {
	err = s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		b, err := bucketAllowing(tx, p, bucket, acl.Write)
		if err != nil {
			return err
		}
		if err := checkWriteConditionsTx(tx, bucket, key, cond); err != nil {
			return err
		}
		encryption, err = s.encryptionFor(tx, b, askedSSE)
		return err
	})
	return encryption, err
}

// checkWriteConditionsTx evaluates the conditional-write headers against
// the key's current object in tx.
func checkWriteConditionsTx(tx meta.Tx, bucket, key string, cond Conditions) error {
	if cond.IfMatch == "" && cond.IfNoneMatch == "" {
		return nil
	}
	cur, err := latestVersion(tx, bucket, key)
	if err != nil {
		return err
	}
	return checkWriteConditions(cur, cond)
}

// recheckWriteConditions evaluates, in the commit's transaction, write
// conditions that held before the data was stored (checkWritable). They
// fail now only because another request finished meanwhile: a write, and
// S3 answers the later one PreconditionFailed (the first to finish wins);
// or a delete of the object If-Match named, which S3 answers with
// ConditionalRequestConflict, for the client to look again and retry.
// cur is the key's latest version (nil when none), read once by the commit.
func recheckWriteConditions(bucket, key string, cur *meta.Version, cond Conditions) error {
	if cond.IfMatch == "" && cond.IfNoneMatch == "" {
		return nil
	}
	err := checkWriteConditions(cur, cond)
	if errors.Is(err, ErrNoSuchKey) {
		return fmt.Errorf("%s/%s was deleted while the conditional write was under way: %w", bucket, key, ErrConditionalRequestConflict)
	}
	return err
}

// newVersion is the version row for a stored single-segment body, or for
// an inline one; the commit wraps an encrypted body's data key into its
// segment (sealSegment).
func (s *Service) newVersion(p auth.Principal, key string, attrs ObjectAttrs, body *ingested, encryption string) *meta.Version {
	v := &meta.Version{
		Key:          key,
		Size:         body.Size,
		ETag:         body.ETag(),
		LastModified: s.now(),
		ContentType:  attrs.ContentType,
		Headers:      cloneMap(attrs.Headers),
		UserMeta:     cloneMap(attrs.UserMeta),
		Checksums:    body.Checksums,
		Tags:         cloneMap(attrs.Tags),
		Segments:     []meta.Segment{{BlobID: body.BlobID, Size: body.Size}},
		OwnerID:      p.UserID,
		SSE:          encryption,
	}
	if body.Inline {
		v.Segments, v.Inline, v.InlineData = nil, true, body.Data
	}
	return v
}

// sealSegment wraps, in the commit's transaction, the data key of an
// encrypted body into the segment of its version; an inline body (never
// encrypted) has no segment.
func (s *Service) sealSegment(tx meta.Tx, v *meta.Version, body *ingested) error {
	if body.Inline {
		return nil
	}
	var err error
	v.Segments[0].SealedKey, err = s.wrapKey(tx, body)
	return err
}

// putEvent is the event a PutObject reports.
func putEvent(in PutInput) EventName {
	if in.Form {
		return EventPost
	}
	return EventPut
}
