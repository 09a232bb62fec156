package notify

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// EventReconciled is the name of the events TRIGGER_RECONCILIATION (mode
// ALL) sends for objects that exist, so that consumers can tell them from
// live writes.
const EventReconciled object.EventName = "ObjectCreated:Reconciled"

// eventTimeLayout is how event times are written: ISO 8601 in UTC with
// milliseconds, as S3's messages have them.
const eventTimeLayout = "2006-01-02T15:04:05.000Z"

// storedEvent is an event as its outbox entry keeps it: what the change's
// transaction knew. The message is rendered from it when it is delivered,
// with the entry's id as its sequencer, so every delivery of the entry
// carries the same id and sequencer.
type storedEvent struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Time      time.Time `json:"time"`
	Config    string    `json:"config"`
	Principal string    `json:"principal,omitempty"`
	SourceIP  string    `json:"sourceIP,omitempty"`
	RequestID string    `json:"requestId,omitempty"`
	HostID    string    `json:"hostId,omitempty"`
	Size      *int64    `json:"size,omitempty"`
	ETag      string    `json:"eTag,omitempty"`
	// Sequencer, when set, is the event's sequencer; otherwise the
	// entry's id gives it. Back-filled events carry their own.
	Sequencer string `json:"sequencer,omitempty"`
}

// PlanEvent implements object.EventPlanner: the one entry that delivers
// ev to the target of the trigger that reports it (nil when none does).
func (s *Service) PlanEvent(b *meta.Bucket, ev object.Event) []meta.OutboxEntry {
	if s == nil || b == nil || len(b.Notification) == 0 {
		return nil
	}
	cfg, err := s.configs.get(b.Notification)
	if err != nil {
		// Stored configurations are written by PutBucketNotification, so
		// this is corruption: say so loudly, but do not fail the write.
		s.cfg.Logger.Error("notifications: cannot plan an event", "bucket", b.Name, "key", ev.Key, "err", err)
		return nil
	}
	q := cfg.For(ev.Name, ev.Key)
	if q == nil {
		return nil
	}
	stored := storedEvent{
		ID: newEventID(), Name: string(ev.Name), Time: ev.Time.UTC(), Config: q.ID,
		Principal: ev.Origin.Principal, SourceIP: ev.Origin.SourceIP, RequestID: ev.Origin.RequestID, HostID: ev.Origin.HostID,
	}
	if ev.HasData {
		size := ev.Size
		stored.Size, stored.ETag = &size, ev.ETag
	}
	return []meta.OutboxEntry{eventEntry(b.Name, ev.Key, ev.VersionID, q.TargetARN, stored)}
}

// eventEntry is the outbox entry that delivers stored to target.
func eventEntry(bucket, key, versionID, target string, stored storedEvent) meta.OutboxEntry {
	payload, _ := json.Marshal(stored) // plain struct: cannot fail
	return meta.OutboxEntry{
		Kind: OutboxKind, Destination: target, Bucket: bucket, Key: key, VersionID: versionID,
		Payload: payload, NextAttempt: stored.Time, CreatedAt: stored.Time,
	}
}

func decodeEvent(e meta.OutboxEntry) (storedEvent, error) {
	var ev storedEvent
	if err := json.Unmarshal(e.Payload, &ev); err != nil {
		return ev, fmt.Errorf("event entry %d: corrupt payload: %w", e.ID, err)
	}
	return ev, nil
}

// Record is one record of an event message: AWS's S3 event message
// structure, eventVersion 2.1, with the event's id added (eventId) so that
// consumers can drop duplicates: at-least-once delivery sends an event
// again after a retry or a reconciliation, always under the same id.
type Record struct {
	EventVersion      string            `json:"eventVersion"`
	EventSource       string            `json:"eventSource"`
	AWSRegion         string            `json:"awsRegion"`
	EventTime         string            `json:"eventTime"`
	EventName         string            `json:"eventName"`
	EventID           string            `json:"eventId"`
	UserIdentity      Identity          `json:"userIdentity"`
	RequestParameters RequestParameters `json:"requestParameters"`
	ResponseElements  map[string]string `json:"responseElements"`
	S3                S3Entity          `json:"s3"`
}

// Identity names a user in a record.
type Identity struct {
	PrincipalID string `json:"principalId"`
}

// RequestParameters say where the request came from.
type RequestParameters struct {
	SourceIPAddress string `json:"sourceIPAddress"`
}

// S3Entity is the record's s3 element.
type S3Entity struct {
	SchemaVersion   string       `json:"s3SchemaVersion"`
	ConfigurationID string       `json:"configurationId"`
	Bucket          BucketEntity `json:"bucket"`
	Object          ObjectEntity `json:"object"`
}

// BucketEntity describes the bucket of an event.
type BucketEntity struct {
	Name          string   `json:"name"`
	OwnerIdentity Identity `json:"ownerIdentity"`
	ARN           string   `json:"arn"`
}

// ObjectEntity describes the object of an event. Key is URL-encoded, as
// S3's messages have it; Sequencer orders the events of one key (compare
// sequencers of one key only, as strings of equal length).
type ObjectEntity struct {
	Key       string `json:"key"`
	Size      *int64 `json:"size,omitempty"`
	ETag      string `json:"eTag,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	Sequencer string `json:"sequencer"`
}

// Envelope is the body of a delivery: one record.
type Envelope struct {
	Records []Record `json:"Records"`
}

// systemPrincipal names Quarry itself in events no user asked for
// (lifecycle expirations, back-fills).
const systemPrincipal = "quarry"

// message renders the event an entry holds for delivery; owner is the
// bucket owner's username. The document is Envelope's JSON, written out by
// hand: it is made once per delivery, and reflection would cost more than
// the rest of a delivery's work in this process.
func (s *Service) message(e meta.OutboxEntry, ev storedEvent, owner string) (Message, error) {
	principal := ev.Principal
	if principal == "" {
		principal = systemPrincipal
	}
	sequencer := ev.Sequencer
	if sequencer == "" {
		sequencer = Sequencer(e.ID)
	}
	b := make([]byte, 0, 768)
	b = append(b, `{"Records":[{"eventVersion":"2.1","eventSource":"quarry:s3","awsRegion":`...)
	b = appendString(b, s.cfg.Region)
	b = append(b, `,"eventTime":`...)
	b = appendString(b, ev.Time.UTC().Format(eventTimeLayout))
	b = append(b, `,"eventName":`...)
	b = appendString(b, ev.Name)
	b = append(b, `,"eventId":`...)
	b = appendString(b, ev.ID)
	b = append(b, `,"userIdentity":{"principalId":`...)
	b = appendString(b, principal)
	b = append(b, `},"requestParameters":{"sourceIPAddress":`...)
	b = appendString(b, ev.SourceIP)
	b = append(b, `},"responseElements":{"x-amz-id-2":`...)
	b = appendString(b, ev.HostID)
	b = append(b, `,"x-amz-request-id":`...)
	b = appendString(b, ev.RequestID)
	b = append(b, `},"s3":{"s3SchemaVersion":"1.0","configurationId":`...)
	b = appendString(b, ev.Config)
	b = append(b, `,"bucket":{"name":`...)
	b = appendString(b, e.Bucket)
	b = append(b, `,"ownerIdentity":{"principalId":`...)
	b = appendString(b, owner)
	b = append(b, `},"arn":`...)
	b = appendString(b, "arn:quarry:s3:::"+e.Bucket)
	b = append(b, `},"object":{"key":`...)
	b = appendString(b, encodeKey(e.Key))
	if ev.Size != nil {
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, *ev.Size, 10)
	}
	if ev.ETag != "" {
		b = append(b, `,"eTag":`...)
		b = appendString(b, ev.ETag)
	}
	if e.VersionID != "" {
		b = append(b, `,"versionId":`...)
		b = appendString(b, e.VersionID)
	}
	b = append(b, `,"sequencer":`...)
	b = appendString(b, sequencer)
	b = append(b, `}}}]}`...)
	return Message{ID: ev.ID, Body: b}, nil
}

// appendString appends s as a JSON string. Everything here is valid
// UTF-8 (keys are checked on write), so only quotes, backslashes and
// control characters need escaping.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Sequencer is the sequencer of the event an outbox entry holds: the
// entry's id in 16 upper-case hex digits. Entry ids grow with every write,
// so a key's later events have greater sequencers.
func Sequencer(entryID int64) string { return fmt.Sprintf("%016X", entryID) }

// encodeKey URL-encodes a key as S3's messages do: form encoding (a space
// is "+"), slashes kept.
func encodeKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

// newEventID is a random event id in the UUID (version 4) form.
func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail
	return uuidOf(b[:])
}

// uuidOf writes 16 bytes as a version 4 UUID.
func uuidOf(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
