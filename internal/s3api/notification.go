package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/notify"
)

// BucketNotifications stores bucket notification configurations
// (implemented by *notify.Service).
type BucketNotifications interface {
	PutBucketNotification(ctx context.Context, p auth.Principal, bucket string, cfg *notify.Config) error
	// GetBucketNotification returns an empty configuration when the
	// bucket has none.
	GetBucketNotification(ctx context.Context, p auth.Principal, bucket string) (*notify.Config, error)
}

// AWS's NotificationConfiguration document. Quarry delivers to its own
// notification targets, which configurations name as queues; topics,
// functions and EventBridge are AWS services it cannot reach.

type notificationConfiguration struct {
	XMLName xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ NotificationConfiguration"`
	Queues  []queueConfig `xml:"QueueConfiguration"`
}

type notificationRequest struct {
	XMLName     xml.Name        `xml:"NotificationConfiguration"`
	Queues      []queueConfig   `xml:"QueueConfiguration"`
	Topics      []xmlAnyElement `xml:"TopicConfiguration"`
	Functions   []xmlAnyElement `xml:"CloudFunctionConfiguration"`
	Lambdas     []xmlAnyElement `xml:"LambdaFunctionConfiguration"`
	EventBridge *xmlAnyElement  `xml:"EventBridgeConfiguration"`
}

// xmlAnyElement is an element whose content does not matter.
type xmlAnyElement struct {
	Inner string `xml:",innerxml"`
}

type queueConfig struct {
	ID     string              `xml:"Id,omitempty"`
	Filter *notificationFilter `xml:"Filter,omitempty"`
	Queue  string              `xml:"Queue"`
	Events []string            `xml:"Event"`
}

type notificationFilter struct {
	S3Key *s3KeyFilter `xml:"S3Key"`
}

type s3KeyFilter struct {
	Rules []filterRule `xml:"FilterRule"`
}

type filterRule struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

// notificationFromXML turns a request document into a configuration.
// What the filter rules get wrong is InvalidArgument, as on AWS; the
// notify service checks the rest.
func notificationFromXML(doc *notificationRequest) (*notify.Config, error) {
	if len(doc.Topics) > 0 || len(doc.Functions) > 0 || len(doc.Lambdas) > 0 || doc.EventBridge != nil {
		return nil, errorf(codeInvalidArgument, "Quarry delivers events to its notification targets only: name them in QueueConfiguration elements by their ARN.")
	}
	cfg := &notify.Config{}
	for _, q := range doc.Queues {
		out := notify.Queue{ID: q.ID, TargetARN: strings.TrimSpace(q.Queue)}
		for _, e := range q.Events {
			out.Events = append(out.Events, strings.TrimSpace(e))
		}
		if q.Filter != nil && q.Filter.S3Key != nil {
			seen := map[string]bool{}
			for _, r := range q.Filter.S3Key.Rules {
				name := strings.ToLower(strings.TrimSpace(r.Name))
				if name != "prefix" && name != "suffix" {
					return nil, errorf(codeInvalidArgument, "FilterRule name must be either prefix or suffix.")
				}
				if seen[name] {
					return nil, errorf(codeInvalidArgument, "Cannot specify more than one "+name+" rule in a filter.")
				}
				seen[name] = true
				if name == "prefix" {
					out.Prefix = r.Value
				} else {
					out.Suffix = r.Value
				}
			}
		}
		cfg.Queues = append(cfg.Queues, out)
	}
	return cfg, nil
}

func notificationXML(cfg *notify.Config) notificationConfiguration {
	out := notificationConfiguration{Queues: []queueConfig{}}
	for _, q := range cfg.Queues {
		qc := queueConfig{ID: q.ID, Queue: q.TargetARN, Events: q.Events}
		var rules []filterRule
		if q.Prefix != "" {
			rules = append(rules, filterRule{Name: "Prefix", Value: q.Prefix})
		}
		if q.Suffix != "" {
			rules = append(rules, filterRule{Name: "Suffix", Value: q.Suffix})
		}
		if rules != nil {
			qc.Filter = &notificationFilter{S3Key: &s3KeyFilter{Rules: rules}}
		}
		out.Queues = append(out.Queues, qc)
	}
	return out
}

// notificationService returns the configured service, or NotImplemented
// for a server run without notifications.
func (h *Handler) notificationService() (BucketNotifications, error) {
	if h.cfg.Notifications == nil {
		return nil, errorf(codeNotImplemented, "Bucket notifications are not enabled on this server.")
	}
	return h.cfg.Notifications, nil
}

func (h *Handler) putBucketNotification(w http.ResponseWriter, req *request) error {
	svc, err := h.notificationService()
	if err != nil {
		return err
	}
	var doc notificationRequest
	if err := readXMLBody(req, &doc); err != nil {
		return err
	}
	cfg, err := notificationFromXML(&doc)
	if err != nil {
		return err
	}
	if err := svc.PutBucketNotification(req.ctx(), req.principal, req.bucket, cfg); err != nil {
		return notificationError(err)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBucketNotification(w http.ResponseWriter, req *request) error {
	svc, err := h.notificationService()
	if err != nil {
		return err
	}
	cfg, err := svc.GetBucketNotification(req.ctx(), req.principal, req.bucket)
	if err != nil {
		return notificationError(err)
	}
	return writeXML(w, notificationXML(cfg))
}

// notificationError gives the notify service's errors their S3 codes.
// Configuration faults keep their text, which names the configuration or
// ARN at fault; other errors (NoSuchBucket, AccessDenied) go through the
// table.
func notificationError(err error) error {
	switch {
	case errors.Is(err, notify.ErrInvalidConfig), errors.Is(err, notify.ErrUnknownTarget):
		return &apiError{code: codeInvalidArgument, message: err.Error(), cause: err}
	case errors.Is(err, notify.ErrTargetNotPermitted):
		// The text names the bucket's owner and the ARN the caller sent.
		return &apiError{code: codeAccessDenied, message: err.Error(), cause: err}
	}
	return err
}
