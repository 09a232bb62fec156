package sqltx

import (
	"database/sql"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// SSEQueries are the statements of server-side encryption keys, events and
// re-sealing.
type SSEQueries struct {
	// AddKey (sealed, created_at) RETURNING id.
	AddKey string
	// ListKeys selects id, sealed, created_at by id.
	ListKeys string
	// DeleteKey (id).
	DeleteKey string
	// AddEvent (user_name, time, code, message) RETURNING id.
	AddEvent string
	// ListEvents (limit) selects id, user_name, time, code, message, newest
	// first.
	ListEvents string
	// ListSealedVersions (afterSeq, limit) selects seq, bucket, object_key,
	// version_id, segments of encrypted versions by seq.
	ListSealedVersions string
	// SetVersionSegments (segments, bucket, key, versionID).
	SetVersionSegments string
	// ListSealedParts (afterUploadID, afterNumber, limit) selects the part
	// columns (see UploadQueries.GetPart) of parts with a sealed key, by
	// upload id and number.
	ListSealedParts string
	// SetPartSealedKey (sealedKey, uploadID, number).
	SetPartSealedKey string
}

func (t *Tx) AddSSEKey(k *meta.SSEKey) error {
	if err := t.c.QueryRow(t.d.SSE.AddKey, metasql.NotNull(k.Sealed), metasql.Nanos(k.CreatedAt)).Scan(&k.ID); err != nil {
		return fmt.Errorf("add sse key: %w", t.c.ClassifyInsert(err))
	}
	return nil
}

func (t *Tx) SSEKeys() ([]meta.SSEKey, error) {
	rows, err := t.c.Query(t.d.SSE.ListKeys)
	if err != nil {
		return nil, fmt.Errorf("list sse keys: %w", err)
	}
	out, err := collect([]meta.SSEKey{}, rows, func(r Row) (*meta.SSEKey, error) {
		var k meta.SSEKey
		var created int64
		if err := r.Scan(&k.ID, &k.Sealed, &created); err != nil {
			return nil, err
		}
		k.CreatedAt = metasql.Time(created)
		return &k, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sse keys: %w", err)
	}
	return out, nil
}

func (t *Tx) DeleteSSEKey(id int64) error {
	found, err := t.execOne(t.d.SSE.DeleteKey, id)
	if err != nil {
		return fmt.Errorf("delete sse key %d: %w", id, err)
	}
	if !found {
		return fmt.Errorf("delete sse key %d: %w", id, meta.ErrNotFound)
	}
	return nil
}

func (t *Tx) AddSSEEvent(e *meta.SSEEvent) error {
	err := t.c.QueryRow(t.d.SSE.AddEvent, e.User, metasql.Nanos(e.Time), e.Code, e.Message).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("add sse event %s: %w", e.Code, t.c.ClassifyInsert(err))
	}
	return nil
}

func (t *Tx) ListSSEEvents(n int) ([]meta.SSEEvent, error) {
	rows, err := t.c.Query(t.d.SSE.ListEvents, limit(n))
	if err != nil {
		return nil, fmt.Errorf("list sse events: %w", err)
	}
	out, err := collect([]meta.SSEEvent{}, rows, func(r Row) (*meta.SSEEvent, error) {
		var e meta.SSEEvent
		var at int64
		if err := r.Scan(&e.ID, &e.User, &at, &e.Code, &e.Message); err != nil {
			return nil, err
		}
		e.Time = metasql.Time(at)
		return &e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sse events: %w", err)
	}
	return out, nil
}

func (t *Tx) ListSealedVersions(afterSeq int64, n int) ([]meta.SealedVersion, error) {
	rows, err := t.c.Query(t.d.SSE.ListSealedVersions, afterSeq, limit(n))
	if err != nil {
		return nil, fmt.Errorf("list sealed versions: %w", err)
	}
	out, err := collect([]meta.SealedVersion{}, rows, func(r Row) (*meta.SealedVersion, error) {
		var v meta.SealedVersion
		var segs sql.NullString
		if err := r.Scan(&v.Seq, &v.Bucket, &v.Key, &v.VersionID, &segs); err != nil {
			return nil, err
		}
		var err error
		if v.Segments, err = metasql.DecodeSegments(segs); err != nil {
			return nil, fmt.Errorf("version %s/%s %s segments: %w", v.Bucket, v.Key, v.VersionID, err)
		}
		return &v, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sealed versions: %w", err)
	}
	return out, nil
}

func (t *Tx) SetVersionSegments(bucket, key, versionID string, segs []meta.Segment) error {
	enc, err := metasql.EncodeSegments(segs)
	if err != nil {
		return fmt.Errorf("set segments %s/%s %s: encode: %w", bucket, key, versionID, err)
	}
	found, err := t.execOne(t.d.SSE.SetVersionSegments, enc, bucket, key, versionID)
	if err != nil {
		return fmt.Errorf("set segments %s/%s %s: %w", bucket, key, versionID, err)
	}
	if !found {
		return fmt.Errorf("set segments %s/%s %s: %w", bucket, key, versionID, meta.ErrNotFound)
	}
	return nil
}

func (t *Tx) ListSealedParts(afterUploadID string, afterNumber, n int) ([]meta.Part, error) {
	rows, err := t.c.Query(t.d.SSE.ListSealedParts, afterUploadID, afterNumber, limit(n))
	if err != nil {
		return nil, fmt.Errorf("list sealed parts: %w", err)
	}
	out, err := collect([]meta.Part{}, rows, scanPart)
	if err != nil {
		return nil, fmt.Errorf("list sealed parts: %w", err)
	}
	return out, nil
}

func (t *Tx) SetPartSealedKey(uploadID string, number int, sealedKey []byte) error {
	found, err := t.execOne(t.d.SSE.SetPartSealedKey, metasql.NullBytes(sealedKey), uploadID, number)
	if err != nil {
		return fmt.Errorf("set sealed key of part %s #%d: %w", uploadID, number, err)
	}
	if !found {
		return fmt.Errorf("set sealed key of part %s #%d: %w", uploadID, number, meta.ErrNotFound)
	}
	return nil
}
