package s3api

import (
	"encoding/xml"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/lifecycle"
)

// AWS's LifecycleConfiguration document. In requests every element is a
// slice, so that a repeated element is seen (AWS's schema allows one) rather
// than silently overwritten, and every level has a catch-all for elements
// the schema does not know: both are MalformedXML, as on AWS.

type anyElement struct {
	XMLName xml.Name
}

type lifecycleRequest struct {
	XMLName xml.Name           `xml:"LifecycleConfiguration"`
	Rules   []lifecycleRuleReq `xml:"Rule"`
	Other   []anyElement       `xml:",any"`
}

type lifecycleRuleReq struct {
	ID                             []string                 `xml:"ID"`
	Status                         []string                 `xml:"Status"`
	Prefix                         []string                 `xml:"Prefix"`
	Filter                         []lifecycleFilterReq     `xml:"Filter"`
	Expiration                     []lifecycleExpirationReq `xml:"Expiration"`
	NoncurrentVersionExpiration    []lifecycleNoncurrentReq `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload []lifecycleAbortReq      `xml:"AbortIncompleteMultipartUpload"`
	Transition                     []anyElement             `xml:"Transition"`
	NoncurrentVersionTransition    []anyElement             `xml:"NoncurrentVersionTransition"`
	Other                          []anyElement             `xml:",any"`
}

type lifecycleTagReq struct {
	Key   []string     `xml:"Key"`
	Value []string     `xml:"Value"`
	Other []anyElement `xml:",any"`
}

type lifecycleFilterReq struct {
	Prefix                []string          `xml:"Prefix"`
	Tag                   []lifecycleTagReq `xml:"Tag"`
	ObjectSizeGreaterThan []string          `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    []string          `xml:"ObjectSizeLessThan"`
	And                   []lifecycleAndReq `xml:"And"`
	Other                 []anyElement      `xml:",any"`
}

type lifecycleAndReq struct {
	Prefix                []string          `xml:"Prefix"`
	Tag                   []lifecycleTagReq `xml:"Tag"`
	ObjectSizeGreaterThan []string          `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    []string          `xml:"ObjectSizeLessThan"`
	Other                 []anyElement      `xml:",any"`
}

type lifecycleExpirationReq struct {
	Days                      []string     `xml:"Days"`
	Date                      []string     `xml:"Date"`
	ExpiredObjectDeleteMarker []string     `xml:"ExpiredObjectDeleteMarker"`
	Other                     []anyElement `xml:",any"`
}

type lifecycleNoncurrentReq struct {
	NoncurrentDays          []string     `xml:"NoncurrentDays"`
	NewerNoncurrentVersions []string     `xml:"NewerNoncurrentVersions"`
	Other                   []anyElement `xml:",any"`
}

type lifecycleAbortReq struct {
	DaysAfterInitiation []string     `xml:"DaysAfterInitiation"`
	Other               []anyElement `xml:",any"`
}

// The response document, as GetBucketLifecycleConfiguration answers.

type lifecycleConfiguration struct {
	XMLName xml.Name           `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LifecycleConfiguration"`
	Rules   []lifecycleRuleOut `xml:"Rule"`
}

type lifecycleRuleOut struct {
	ID                             string                  `xml:"ID"`
	Prefix                         *string                 `xml:"Prefix,omitempty"`
	Filter                         *lifecycleFilterOut     `xml:"Filter,omitempty"`
	Status                         string                  `xml:"Status"`
	Expiration                     *lifecycleExpirationOut `xml:"Expiration,omitempty"`
	NoncurrentVersionExpiration    *lifecycleNoncurrentOut `xml:"NoncurrentVersionExpiration,omitempty"`
	AbortIncompleteMultipartUpload *lifecycleAbortOut      `xml:"AbortIncompleteMultipartUpload,omitempty"`
}

type lifecycleFilterOut struct {
	Prefix                *string          `xml:"Prefix,omitempty"`
	Tag                   *tag             `xml:"Tag,omitempty"`
	ObjectSizeGreaterThan *int64           `xml:"ObjectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64           `xml:"ObjectSizeLessThan,omitempty"`
	And                   *lifecycleAndOut `xml:"And,omitempty"`
}

type lifecycleAndOut struct {
	Prefix                *string `xml:"Prefix,omitempty"`
	Tags                  []tag   `xml:"Tag"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan,omitempty"`
}

type lifecycleExpirationOut struct {
	Date                      string `xml:"Date,omitempty"`
	Days                      int    `xml:"Days,omitempty"`
	ExpiredObjectDeleteMarker *bool  `xml:"ExpiredObjectDeleteMarker,omitempty"`
}

type lifecycleNoncurrentOut struct {
	NoncurrentDays          int `xml:"NoncurrentDays"`
	NewerNoncurrentVersions int `xml:"NewerNoncurrentVersions,omitempty"`
}

type lifecycleAbortOut struct {
	DaysAfterInitiation int `xml:"DaysAfterInitiation"`
}

// lifecycleParse collects the first fault of each class while a request
// document is read. AWS checks the whole document against the schema
// before it looks at values, so a MalformedXML anywhere wins over a bad
// value in an earlier rule; transitions, which Quarry does not implement,
// come between the two.
type lifecycleParse struct {
	malformed *apiError
	notImpl   *apiError
	value     *apiError
}

func (p *lifecycleParse) bad() {
	if p.malformed == nil {
		p.malformed = errorf(codeMalformedXML, "")
	}
}

func (p *lifecycleParse) invalid(code errorCode, message string) {
	if p.value == nil {
		p.value = errorf(code, message)
	}
}

func (p *lifecycleParse) err() error {
	for _, e := range []*apiError{p.malformed, p.notImpl, p.value} {
		if e != nil {
			return e
		}
	}
	return nil
}

// atMostOne flags a repeated element and returns the value of the one
// there is ("" when absent).
func (p *lifecycleParse) atMostOne(vs []string) string {
	if len(vs) > 1 {
		p.bad()
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// positive reads a 32-bit integer element that must be at least 1: not an
// integer is MalformedXML, below 1 InvalidArgument with message.
func (p *lifecycleParse) positive(s, message string) int {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		p.bad()
		return 0
	}
	if n < 1 {
		p.invalid(codeInvalidArgument, message)
		return 0
	}
	return int(n)
}

// lifecycleFromXML turns a request document into a configuration. The
// schema is checked here; the lifecycle package's Validate checks the rest
// when the service stores it.
func lifecycleFromXML(doc *lifecycleRequest) (*lifecycle.Config, error) {
	var p lifecycleParse
	if len(doc.Rules) == 0 || len(doc.Other) > 0 {
		p.bad()
	}
	cfg := &lifecycle.Config{Rules: make([]lifecycle.Rule, 0, len(doc.Rules))}
	for i := range doc.Rules {
		cfg.Rules = append(cfg.Rules, p.rule(&doc.Rules[i]))
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (p *lifecycleParse) rule(x *lifecycleRuleReq) lifecycle.Rule {
	r := lifecycle.Rule{ID: p.atMostOne(x.ID)}
	if len(x.Other) > 0 {
		p.bad()
	}
	switch status := p.atMostOne(x.Status); {
	case len(x.Status) == 0:
		p.bad()
	case status == statusEnabled:
		r.Enabled = true
	case status != statusDisabled:
		p.bad()
	}
	p.transitions(x)

	switch {
	case len(x.Prefix) > 1 || len(x.Filter) > 1:
		p.bad()
	case len(x.Prefix) == 1 && len(x.Filter) == 1, len(x.Prefix) == 0 && len(x.Filter) == 0:
		// AWS's schema: exactly one of the legacy Prefix and Filter.
		p.bad()
	case len(x.Prefix) == 1:
		r.LegacyPrefix = true
		r.Filter.Prefix = x.Prefix[0]
	default:
		r.Filter = p.filter(&x.Filter[0])
	}

	if len(x.Expiration) > 1 || len(x.NoncurrentVersionExpiration) > 1 || len(x.AbortIncompleteMultipartUpload) > 1 {
		p.bad()
	}
	if len(x.Expiration) > 0 {
		r.Expiration = p.expiration(&x.Expiration[0])
	}
	if len(x.NoncurrentVersionExpiration) > 0 {
		n := &x.NoncurrentVersionExpiration[0]
		if len(n.Other) > 0 || len(n.NoncurrentDays) != 1 || len(n.NewerNoncurrentVersions) > 1 {
			p.bad()
		}
		r.NoncurrentExpiration = &lifecycle.NoncurrentExpiration{}
		if len(n.NoncurrentDays) > 0 {
			r.NoncurrentExpiration.NoncurrentDays = p.positive(n.NoncurrentDays[0], "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
		}
		if len(n.NewerNoncurrentVersions) > 0 {
			r.NoncurrentExpiration.NewerNoncurrentVersions = p.positive(n.NewerNoncurrentVersions[0], "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer")
		}
	}
	if len(x.AbortIncompleteMultipartUpload) > 0 {
		a := &x.AbortIncompleteMultipartUpload[0]
		if len(a.Other) > 0 || len(a.DaysAfterInitiation) != 1 {
			p.bad()
		}
		r.AbortIncompleteUpload = &lifecycle.AbortIncompleteUpload{}
		if len(a.DaysAfterInitiation) > 0 {
			r.AbortIncompleteUpload.DaysAfterInitiation = p.positive(a.DaysAfterInitiation[0], "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
		}
	}
	return r
}

// transitions refuses storage-class transitions by name: Quarry has one
// storage class, and a rule must never be stored without an action it was
// given.
func (p *lifecycleParse) transitions(x *lifecycleRuleReq) {
	var names []string
	if len(x.Transition) > 0 {
		names = append(names, "Transition")
	}
	if len(x.NoncurrentVersionTransition) > 0 {
		names = append(names, "NoncurrentVersionTransition")
	}
	if len(names) > 0 && p.notImpl == nil {
		p.notImpl = errorf(codeNotImplemented, "Lifecycle "+strings.Join(names, " and ")+
			" actions are not implemented: Quarry keeps every object in one storage class. Remove them from the rule.")
	}
}

func (p *lifecycleParse) filter(x *lifecycleFilterReq) lifecycle.Filter {
	var f lifecycle.Filter
	if len(x.Other) > 0 || len(x.Prefix)+len(x.Tag)+len(x.ObjectSizeGreaterThan)+len(x.ObjectSizeLessThan)+len(x.And) > 1 {
		// Outside And a Filter holds one condition at most.
		p.bad()
	}
	switch {
	case len(x.Prefix) > 0:
		f.Prefix = x.Prefix[0]
	case len(x.Tag) > 0:
		k, v := p.tag(&x.Tag[0])
		f.Tags = map[string]string{k: v}
	case len(x.ObjectSizeGreaterThan) > 0:
		f.ObjectSizeGreaterThan = p.size(x.ObjectSizeGreaterThan[0], false)
	case len(x.ObjectSizeLessThan) > 0:
		f.ObjectSizeLessThan = p.size(x.ObjectSizeLessThan[0], true)
	case len(x.And) > 0:
		f = p.and(&x.And[0])
	}
	return f
}

func (p *lifecycleParse) and(x *lifecycleAndReq) lifecycle.Filter {
	var f lifecycle.Filter
	if len(x.Other) > 0 || len(x.Prefix)+len(x.Tag)+len(x.ObjectSizeGreaterThan)+len(x.ObjectSizeLessThan) < 2 {
		// And combines two conditions or more.
		p.bad()
	}
	f.Prefix = p.atMostOne(x.Prefix)
	if s := p.atMostOne(x.ObjectSizeGreaterThan); len(x.ObjectSizeGreaterThan) > 0 {
		f.ObjectSizeGreaterThan = p.size(s, false)
	}
	if s := p.atMostOne(x.ObjectSizeLessThan); len(x.ObjectSizeLessThan) > 0 {
		f.ObjectSizeLessThan = p.size(s, true)
	}
	if len(x.Tag) > 0 {
		f.Tags = make(map[string]string, len(x.Tag))
		for i := range x.Tag {
			k, v := p.tag(&x.Tag[i])
			if _, dup := f.Tags[k]; dup {
				p.invalid(codeInvalidArgument, "Duplicate Tag Keys are not allowed.")
			}
			f.Tags[k] = v
		}
	}
	return f
}

// tag reads a Tag: Key is required, a missing Value is the empty value.
func (p *lifecycleParse) tag(x *lifecycleTagReq) (string, string) {
	if len(x.Other) > 0 || len(x.Key) != 1 {
		p.bad()
	}
	return p.atMostOne(x.Key), p.atMostOne(x.Value)
}

// size reads an ObjectSize bound. A lower bound of 0 is no bound (the
// lifecycle package cannot tell the two apart; they differ for empty
// objects only); an upper bound must be positive, or it would select
// nothing.
func (p *lifecycleParse) size(s string, upper bool) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		p.bad()
		return 0
	}
	switch {
	case upper && n < 1:
		p.invalid(codeInvalidArgument, "ObjectSizeLessThan must be a positive integer.")
		return 0
	case n < 0:
		p.invalid(codeInvalidArgument, "ObjectSizeGreaterThan must be a non-negative integer.")
		return 0
	}
	return n
}

func (p *lifecycleParse) expiration(x *lifecycleExpirationReq) *lifecycle.Expiration {
	e := &lifecycle.Expiration{}
	if len(x.Other) > 0 || len(x.Days)+len(x.Date)+len(x.ExpiredObjectDeleteMarker) != 1 {
		// Exactly one of Days, Date and ExpiredObjectDeleteMarker, even
		// when the marker is false.
		p.bad()
	}
	if s := p.atMostOne(x.Days); len(x.Days) > 0 {
		e.Days = p.positive(s, "'Days' for Expiration action must be a positive integer")
	}
	if s := p.atMostOne(x.Date); len(x.Date) > 0 {
		d, ok := parseLifecycleDate(s)
		if !ok {
			p.invalid(codeInvalidArgument, "'Date' must be in ISO 8601 format and at midnight GMT")
		}
		e.Date = d
	}
	if s := p.atMostOne(x.ExpiredObjectDeleteMarker); len(x.ExpiredObjectDeleteMarker) > 0 {
		switch strings.TrimSpace(s) {
		case "true", "1":
			e.ExpiredObjectDeleteMarker = true
		case "false", "0":
		default:
			p.bad()
		}
	}
	return e
}

// parseLifecycleDate reads an ISO 8601 date-time, or a bare date (midnight
// UTC); a time without a zone is UTC.
func parseLifecycleDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if d, err := time.Parse(layout, s); err == nil {
			return d.UTC(), true
		}
	}
	return time.Time{}, false
}

// lifecycleXML renders a configuration as GetBucketLifecycleConfiguration
// answers.
func lifecycleXML(cfg *lifecycle.Config) lifecycleConfiguration {
	out := lifecycleConfiguration{Rules: make([]lifecycleRuleOut, 0, len(cfg.Rules))}
	for _, r := range cfg.Rules {
		x := lifecycleRuleOut{ID: r.ID, Status: statusOf(r.Enabled)}
		if r.LegacyPrefix {
			prefix := r.Filter.Prefix
			x.Prefix = &prefix
		} else {
			x.Filter = lifecycleFilterXML(r.Filter)
		}
		if e := r.Expiration; e != nil {
			x.Expiration = &lifecycleExpirationOut{Days: e.Days}
			if !e.Date.IsZero() {
				x.Expiration.Date = isoTime(e.Date)
			}
			if e.Days == 0 && e.Date.IsZero() {
				marker := e.ExpiredObjectDeleteMarker
				x.Expiration.ExpiredObjectDeleteMarker = &marker
			}
		}
		if n := r.NoncurrentExpiration; n != nil {
			x.NoncurrentVersionExpiration = &lifecycleNoncurrentOut{NoncurrentDays: n.NoncurrentDays, NewerNoncurrentVersions: n.NewerNoncurrentVersions}
		}
		if a := r.AbortIncompleteUpload; a != nil {
			x.AbortIncompleteMultipartUpload = &lifecycleAbortOut{DaysAfterInitiation: a.DaysAfterInitiation}
		}
		out.Rules = append(out.Rules, x)
	}
	return out
}

// lifecycleFilterXML picks the simplest Filter form that says f: one
// condition alone, several in an And, an empty Prefix for every object.
func lifecycleFilterXML(f lifecycle.Filter) *lifecycleFilterOut {
	var gt, lt *int64
	n := len(f.Tags)
	if f.ObjectSizeGreaterThan > 0 {
		v := f.ObjectSizeGreaterThan
		gt = &v
		n++
	}
	if f.ObjectSizeLessThan > 0 {
		v := f.ObjectSizeLessThan
		lt = &v
		n++
	}
	prefix := f.Prefix
	if prefix != "" {
		n++
	}
	switch {
	case n == 0 || n == 1 && prefix != "":
		return &lifecycleFilterOut{Prefix: &prefix}
	case n == 1 && gt != nil:
		return &lifecycleFilterOut{ObjectSizeGreaterThan: gt}
	case n == 1 && lt != nil:
		return &lifecycleFilterOut{ObjectSizeLessThan: lt}
	case n == 1:
		for k, v := range f.Tags {
			return &lifecycleFilterOut{Tag: &tag{Key: k, Value: v}}
		}
	}
	and := &lifecycleAndOut{ObjectSizeGreaterThan: gt, ObjectSizeLessThan: lt, Tags: make([]tag, 0, len(f.Tags))}
	if prefix != "" {
		and.Prefix = &prefix
	}
	for k, v := range f.Tags {
		and.Tags = append(and.Tags, tag{Key: k, Value: v})
	}
	sort.Slice(and.Tags, func(i, j int) bool { return and.Tags[i].Key < and.Tags[j].Key })
	return &lifecycleFilterOut{And: and}
}
