package notify

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

func TestAMessageIsTheEnvelopesJSON(t *testing.T) {
	s := NewService(ServiceConfig{Region: "eu-test-1"})
	size := int64(42)
	for _, tc := range []struct {
		name string
		e    meta.OutboxEntry
		ev   storedEvent
	}{
		{"a put with every field",
			meta.OutboxEntry{ID: 77, Bucket: "photos", Key: "dir/a b+c.jpg", VersionID: "v1"},
			storedEvent{ID: "id-1", Name: "ObjectCreated:Put", Time: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), Config: "cfg",
				Principal: "alice", SourceIP: "192.0.2.1", RequestID: "REQ", HostID: "HOST", Size: &size, ETag: "abc"}},
		{"a removal with quotes, controls and non-ASCII in it, by the system",
			meta.OutboxEntry{ID: 3, Bucket: "b", Key: "q\"uote\\back\nnl\x01ünï"},
			storedEvent{ID: "id-2", Name: "ObjectRemoved:Delete", Time: time.Unix(0, 0).UTC(), Config: "c\"fg\t"}},
		{"a back-fill with its own sequencer",
			meta.OutboxEntry{Bucket: "b", Key: "k"},
			storedEvent{ID: "id-3", Name: string(EventReconciled), Config: "c", Sequencer: "00000000000000FF"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := s.message(tc.e, tc.ev, "owner\"x")
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(m.Body) {
				t.Fatalf("not JSON: %s", m.Body)
			}
			var got Envelope
			if err := json.Unmarshal(m.Body, &got); err != nil {
				t.Fatal(err)
			}
			principal := tc.ev.Principal
			if principal == "" {
				principal = systemPrincipal
			}
			seq := tc.ev.Sequencer
			if seq == "" {
				seq = Sequencer(tc.e.ID)
			}
			want := Envelope{Records: []Record{{
				EventVersion: "2.1", EventSource: "quarry:s3", AWSRegion: "eu-test-1",
				EventTime: tc.ev.Time.Format(eventTimeLayout), EventName: tc.ev.Name, EventID: tc.ev.ID,
				UserIdentity: Identity{PrincipalID: principal}, RequestParameters: RequestParameters{SourceIPAddress: tc.ev.SourceIP},
				ResponseElements: map[string]string{"x-amz-request-id": tc.ev.RequestID, "x-amz-id-2": tc.ev.HostID},
				S3: S3Entity{SchemaVersion: "1.0", ConfigurationID: tc.ev.Config,
					Bucket: BucketEntity{Name: tc.e.Bucket, OwnerIdentity: Identity{PrincipalID: "owner\"x"}, ARN: "arn:quarry:s3:::" + tc.e.Bucket},
					Object: ObjectEntity{Key: encodeKey(tc.e.Key), Size: tc.ev.Size, ETag: tc.ev.ETag, VersionID: tc.e.VersionID, Sequencer: seq}},
			}}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("message =\n  %+v\nwant\n  %+v", got, want)
			}
			if m.ID != tc.ev.ID {
				t.Errorf("message id %q, want the event's %q", m.ID, tc.ev.ID)
			}
		})
	}
}
