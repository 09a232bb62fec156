package notify

import (
	"errors"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/object"
)

const hook = "arn:quarry:sqs:us-east-1:0123456789ab:webhook"

func queue(id string, events []string, prefix, suffix string) Queue {
	return Queue{ID: id, TargetARN: hook, Events: events, Prefix: prefix, Suffix: suffix}
}

func TestConfigurationsThatCouldReportOneEventTwiceAreRefused(t *testing.T) {
	created := []string{"s3:ObjectCreated:*"}
	put := []string{"s3:ObjectCreated:Put"}
	copyEv := []string{"s3:ObjectCreated:Copy"}
	removed := []string{"s3:ObjectRemoved:*"}
	tests := []struct {
		name    string
		queues  []Queue
		overlap bool
	}{
		{"different prefixes for one event type", []Queue{queue("a", created, "images/", ""), queue("b", created, "logs/", "")}, false},
		{"one prefix inside the other", []Queue{queue("a", created, "images/", ""), queue("b", created, "images/2026/", "")}, true},
		{"no filter beside a prefix", []Queue{queue("a", put, "", ""), queue("b", put, "images/", "")}, true},
		{"one prefix, different suffixes", []Queue{queue("a", put, "images/", ".jpg"), queue("b", put, "images/", ".png")}, false},
		{"suffixes that end alike", []Queue{queue("a", put, "", "jpg"), queue("b", put, "", ".jpg")}, true},
		{"a prefix and a suffix that meet in one key", []Queue{queue("a", put, "images/", ""), queue("b", put, "", ".jpg")}, true},
		{"a wildcard and one of its types", []Queue{queue("a", created, "", ""), queue("b", put, "", "")}, true},
		{"two types of one category", []Queue{queue("a", put, "", ""), queue("b", copyEv, "", "")}, false},
		{"two categories", []Queue{queue("a", created, "", ""), queue("b", removed, "", "")}, false},
		{"identical configurations", []Queue{queue("a", removed, "x", ""), queue("b", removed, "x", "")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Queues: tt.queues}
			err := c.Validate()
			if got := errors.Is(err, ErrInvalidConfig); got != tt.overlap {
				t.Fatalf("Validate = %v, want an overlap refused: %v", err, tt.overlap)
			}
			if tt.overlap && !strings.Contains(err.Error(), "overlap") {
				t.Errorf("message %q does not say they overlap", err)
			}
		})
	}
}

func TestConfigurationsWithBadFieldsAreRefused(t *testing.T) {
	tests := []struct {
		name string
		q    Queue
		says string
	}{
		{"an unknown event", queue("a", []string{"s3:ObjectRestore:Post"}, "", ""), "not supported"},
		{"an event without s3:", queue("a", []string{"ObjectCreated:Put"}, "", ""), "not supported"},
		{"no event", queue("a", nil, "", ""), "at least one Event"},
		{"an ARN of another service", Queue{ID: "a", TargetARN: "arn:aws:sqs:us-east-1:1:q", Events: []string{"s3:ObjectCreated:*"}}, "not well formed"},
		{"no ARN", Queue{ID: "a", Events: []string{"s3:ObjectCreated:*"}}, "not well formed"},
		{"a long prefix", queue("a", []string{"s3:ObjectCreated:*"}, strings.Repeat("p", 1025), ""), "longer than 1024"},
		{"a long Id", queue(strings.Repeat("i", 256), []string{"s3:ObjectCreated:*"}, "", ""), "longer than 255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&Config{Queues: []Queue{tt.q}}).Validate()
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig saying %q", err, tt.says)
			}
		})
	}
	twice := &Config{Queues: []Queue{queue("a", []string{"s3:ObjectCreated:*"}, "x", ""), queue("a", []string{"s3:ObjectRemoved:*"}, "", "")}}
	if err := twice.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("a repeated Id: %v", err)
	}
	noID := &Config{Queues: []Queue{queue("", []string{"s3:ObjectCreated:*"}, "", "")}}
	if err := noID.Validate(); err != nil || noID.Queues[0].ID == "" {
		t.Errorf("a configuration without an Id: %v, Id %q; want one generated", err, noID.Queues[0].ID)
	}
}

func TestATriggerMatchesItsEventsAndKeys(t *testing.T) {
	c := &Config{Queues: []Queue{
		queue("jpg", []string{"s3:ObjectCreated:*", "s3:ObjectTagging:Put"}, "images/", ".jpg"),
		queue("gone", []string{"s3:ObjectRemoved:Delete", "s3:LifecycleExpiration:*"}, "", ""),
	}}
	tests := []struct {
		name object.EventName
		key  string
		want string
	}{
		{object.EventPut, "images/cat.jpg", "jpg"},
		{object.EventCompleteMultipartUpload, "images/cat.jpg", "jpg"},
		{object.EventPut, "images/cat.png", ""},
		{object.EventPut, "docs/cat.jpg", ""},
		{object.EventTaggingPut, "images/cat.jpg", "jpg"},
		{object.EventTaggingDelete, "images/cat.jpg", ""},
		{object.EventDelete, "images/cat.jpg", "gone"},
		{object.EventDeleteMarkerCreated, "images/cat.jpg", ""},
		{object.EventLifecycleDeleteMarkerCreated, "x", "gone"},
	}
	for _, tt := range tests {
		got := ""
		if q := c.For(tt.name, tt.key); q != nil {
			got = q.ID
		}
		if got != tt.want {
			t.Errorf("For(%s, %q) = %q, want %q", tt.name, tt.key, got, tt.want)
		}
	}
	if got := c.Created("images/a.jpg"); len(got) != 1 || got[0].ID != "jpg" {
		t.Errorf("Created = %+v, want the jpg trigger only", got)
	}
}

func TestKeysAreEncodedAsS3sMessagesHaveThem(t *testing.T) {
	for key, want := range map[string]string{
		"images/cat.jpg": "images/cat.jpg",
		"my file+1.txt":  "my+file%2B1.txt",
		"dir/ünï=?&.txt": "dir/%C3%BCn%C3%AF%3D%3F%26.txt",
		"a//b":           "a//b",
	} {
		if got := encodeKey(key); got != want {
			t.Errorf("encodeKey(%q) = %q, want %q", key, got, want)
		}
	}
	if a, b := Sequencer(9), Sequencer(10); a >= b || len(a) != 16 {
		t.Errorf("sequencers %q and %q do not grow as strings", a, b)
	}
}
