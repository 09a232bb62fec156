package s3api

import (
	"encoding/xml"
	"sort"

	"github.com/quarrylabs/quarry/internal/replication"
)

// AWS's ReplicationConfiguration document. Optional elements are pointers
// so that "absent" and "empty" differ: a rule with a Filter is of the
// current schema (V2) and needs a Priority; one with a bare Prefix (or
// neither) is of the first schema (V1).

type replicationConfiguration struct {
	XMLName xml.Name          `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ReplicationConfiguration"`
	Role    string            `xml:"Role"`
	Rules   []replicationRule `xml:"Rule"`
}

type replicationRequest struct {
	XMLName xml.Name          `xml:"ReplicationConfiguration"`
	Role    string            `xml:"Role"`
	Rules   []replicationRule `xml:"Rule"`
}

type replicationRule struct {
	ID                        string                 `xml:"ID,omitempty"`
	Priority                  *int                   `xml:"Priority,omitempty"`
	Prefix                    *string                `xml:"Prefix,omitempty"`
	Filter                    *replicationFilter     `xml:"Filter,omitempty"`
	Status                    string                 `xml:"Status"`
	Destination               *replicationDest       `xml:"Destination"`
	DeleteMarkerReplication   *replicationStatusElem `xml:"DeleteMarkerReplication,omitempty"`
	ExistingObjectReplication *replicationStatusElem `xml:"ExistingObjectReplication,omitempty"`
}

type replicationFilter struct {
	Prefix *string         `xml:"Prefix,omitempty"`
	Tag    *tag            `xml:"Tag,omitempty"`
	And    *replicationAnd `xml:"And,omitempty"`
}

type replicationAnd struct {
	Prefix *string `xml:"Prefix,omitempty"`
	Tags   []tag   `xml:"Tag"`
}

type replicationDest struct {
	Bucket       string `xml:"Bucket"`
	StorageClass string `xml:"StorageClass,omitempty"`
}

type replicationStatusElem struct {
	Status string `xml:"Status"`
}

// Rule and feature states.
const (
	statusEnabled  = "Enabled"
	statusDisabled = "Disabled"
)

// configFromXML turns a request document into a configuration. What the
// schema forbids is MalformedXML; what it allows but the rules do not
// (missing Priority, duplicate tag keys) is InvalidArgument, as on AWS.
// The replication service checks the rest.
func configFromXML(doc *replicationRequest) (*replication.Config, error) {
	if len(doc.Rules) == 0 {
		return nil, errorf(codeMalformedXML, "")
	}
	cfg := &replication.Config{Role: doc.Role, Rules: make([]replication.Rule, 0, len(doc.Rules))}
	for i := range doc.Rules {
		r, err := ruleFromXML(&doc.Rules[i])
		if err != nil {
			return nil, err
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	return cfg, nil
}

func ruleFromXML(x *replicationRule) (replication.Rule, error) {
	r := replication.Rule{ID: x.ID}
	switch x.Status {
	case statusEnabled:
		r.Enabled = true
	case statusDisabled:
	default:
		return r, errorf(codeMalformedXML, "")
	}
	if x.Destination == nil || x.Destination.Bucket == "" {
		return r, errorf(codeMalformedXML, "")
	}
	r.DestinationARN = x.Destination.Bucket
	r.StorageClass = x.Destination.StorageClass
	if x.Prefix != nil && x.Filter != nil {
		return r, errorf(codeMalformedXML, "")
	}
	var err error
	if x.Filter != nil {
		if x.Priority == nil {
			return r, errorf(codeInvalidArgument, "Priority must be specified for this version of Cross Region Replication configuration schema.")
		}
		r.Priority = *x.Priority
		r.Filter, err = filterFromXML(x.Filter)
		if err != nil {
			return r, err
		}
	} else {
		r.Legacy = true
		if x.Prefix != nil {
			r.Filter.Prefix = *x.Prefix
		}
		if x.Priority != nil {
			r.Priority = *x.Priority
		}
	}
	// The first schema replicated delete markers unasked.
	r.DeleteMarkerReplication, err = featureStatus(x.DeleteMarkerReplication, r.Legacy)
	if err != nil {
		return r, err
	}
	r.ExistingObjectReplication, err = featureStatus(x.ExistingObjectReplication, false)
	return r, err
}

// featureStatus reads a {Status} element; absent means def.
func featureStatus(e *replicationStatusElem, def bool) (bool, error) {
	if e == nil {
		return def, nil
	}
	switch e.Status {
	case statusEnabled:
		return true, nil
	case statusDisabled:
		return false, nil
	}
	return false, errorf(codeMalformedXML, "")
}

// filterFromXML reads a Filter: exactly one of Prefix, Tag and And (or
// none, for every key).
func filterFromXML(x *replicationFilter) (replication.Filter, error) {
	var f replication.Filter
	n := 0
	if x.Prefix != nil {
		n++
		f.Prefix = *x.Prefix
	}
	if x.Tag != nil {
		n++
		f.Tags = map[string]string{x.Tag.Key: x.Tag.Value}
	}
	if x.And != nil {
		n++
		if x.And.Prefix != nil {
			f.Prefix = *x.And.Prefix
		}
		f.Tags = make(map[string]string, len(x.And.Tags))
		for _, t := range x.And.Tags {
			if _, dup := f.Tags[t.Key]; dup {
				return f, errorf(codeInvalidArgument, "Duplicate Tag Keys are not allowed.")
			}
			f.Tags[t.Key] = t.Value
		}
		if len(f.Tags) == 0 {
			f.Tags = nil
		}
	}
	if n > 1 {
		return f, errorf(codeMalformedXML, "")
	}
	return f, nil
}

// configXML renders a configuration as GetBucketReplication answers.
func configXML(cfg *replication.Config) replicationConfiguration {
	out := replicationConfiguration{Role: cfg.Role, Rules: make([]replicationRule, 0, len(cfg.Rules))}
	for _, r := range cfg.Rules {
		x := replicationRule{
			ID:          r.ID,
			Status:      statusOf(r.Enabled),
			Destination: &replicationDest{Bucket: r.DestinationARN, StorageClass: r.StorageClass},
		}
		if r.Legacy {
			prefix := r.Filter.Prefix
			x.Prefix = &prefix
		} else {
			priority := r.Priority
			x.Priority = &priority
			x.Filter = filterXML(r.Filter)
			x.DeleteMarkerReplication = &replicationStatusElem{Status: statusOf(r.DeleteMarkerReplication)}
		}
		if r.ExistingObjectReplication {
			x.ExistingObjectReplication = &replicationStatusElem{Status: statusEnabled}
		}
		out.Rules = append(out.Rules, x)
	}
	return out
}

// filterXML picks the simplest Filter form that says f.
func filterXML(f replication.Filter) *replicationFilter {
	prefix := f.Prefix
	switch {
	case len(f.Tags) == 0:
		return &replicationFilter{Prefix: &prefix}
	case len(f.Tags) == 1 && prefix == "":
		for k, v := range f.Tags {
			return &replicationFilter{Tag: &tag{Key: k, Value: v}}
		}
	}
	and := &replicationAnd{Tags: make([]tag, 0, len(f.Tags))}
	if prefix != "" {
		and.Prefix = &prefix
	}
	for k, v := range f.Tags {
		and.Tags = append(and.Tags, tag{Key: k, Value: v})
	}
	sort.Slice(and.Tags, func(i, j int) bool { return and.Tags[i].Key < and.Tags[j].Key })
	return &replicationFilter{And: and}
}

func statusOf(enabled bool) string {
	if enabled {
		return statusEnabled
	}
	return statusDisabled
}
