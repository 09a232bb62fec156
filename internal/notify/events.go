package notify

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
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
// bucket owner's username.
func (s *Service) message(e meta.OutboxEntry, ev storedEvent, owner string) (Message, error) {
	principal := ev.Principal
	if principal == "" {
		principal = systemPrincipal
	}
	rec := Record{
		EventVersion:      "2.1",
		EventSource:       "quarry:s3",
		AWSRegion:         s.cfg.Region,
		EventTime:         ev.Time.UTC().Format(eventTimeLayout),
		EventName:         ev.Name,
		EventID:           ev.ID,
		UserIdentity:      Identity{PrincipalID: principal},
		RequestParameters: RequestParameters{SourceIPAddress: ev.SourceIP},
		ResponseElements:  map[string]string{"x-amz-request-id": ev.RequestID, "x-amz-id-2": ev.HostID},
		S3: S3Entity{
			SchemaVersion:   "1.0",
			ConfigurationID: ev.Config,
			Bucket:          BucketEntity{Name: e.Bucket, OwnerIdentity: Identity{PrincipalID: owner}, ARN: "arn:quarry:s3:::" + e.Bucket},
			Object: ObjectEntity{Key: encodeKey(e.Key), Size: ev.Size, ETag: ev.ETag, VersionID: e.VersionID,
				Sequencer: Sequencer(e.ID)},
		},
	}
	body, err := json.Marshal(Envelope{Records: []Record{rec}})
	if err != nil {
		return Message{}, fmt.Errorf("render event %s: %w", ev.ID, err)
	}
	return Message{ID: ev.ID, Body: body}, nil
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
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
