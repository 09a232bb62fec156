// Package acl is S3's access control lists as Quarry honours them: the
// canned ACLs that grant everyone, or every authenticated user, READ (and
// WRITE) beside the owner's FULL_CONTROL; the grants they stand for; and the
// one rule that decides what a request may do to a bucket or an object.
//
// Quarry stores an ACL as the name of its canned ACL. Any other set of
// grants (a grant to a particular user, to the log delivery group, an
// owner without FULL_CONTROL) cannot be stored, and is refused with
// ErrNotImplemented rather than stored as something else.
package acl

import (
	"errors"
	"fmt"
)

// Kinds of refusal, matched with errors.Is.
var (
	// ErrNotImplemented: S3 defines the ACL, Quarry cannot honour it.
	ErrNotImplemented = errors.New("acl: not implemented")
	// ErrInvalid: not an ACL S3 defines (an unknown canned ACL name).
	ErrInvalid = errors.New("acl: invalid")
	// ErrMalformed: a grant that S3's schema does not allow (an unknown
	// permission or grantee type, a grantee without its identifier).
	ErrMalformed = errors.New("acl: malformed")
)

// Canned is a canned ACL. The zero value is Private.
type Canned string

// The canned ACLs Quarry stores. Private is the empty string, so that a
// bucket or object without an ACL is private.
const (
	Private           Canned = ""
	PublicRead        Canned = "public-read"
	PublicReadWrite   Canned = "public-read-write"
	AuthenticatedRead Canned = "authenticated-read"
)

// unsupported are the canned ACLs S3 defines that Quarry does not honour.
var unsupported = []string{"aws-exec-read", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"}

// Name is the canned ACL's name as S3 spells it in x-amz-acl.
func (c Canned) Name() string {
	if c == Private {
		return "private"
	}
	return string(c)
}

// ParseCanned reads an x-amz-acl value.
func ParseCanned(name string) (Canned, error) {
	switch Canned(name) {
	case "private":
		return Private, nil
	case PublicRead, PublicReadWrite, AuthenticatedRead:
		return Canned(name), nil
	}
	for _, u := range unsupported {
		if name == u {
			return Private, fmt.Errorf("canned ACL %q: %w", name, ErrNotImplemented)
		}
	}
	return Private, fmt.Errorf("canned ACL %q: %w", name, ErrInvalid)
}

// Permission is what a grant allows.
type Permission string

// The permissions of S3's ACLs.
const (
	Read        Permission = "READ"
	Write       Permission = "WRITE"
	ReadACP     Permission = "READ_ACP"
	WriteACP    Permission = "WRITE_ACP"
	FullControl Permission = "FULL_CONTROL"
)

// GranteeType is the xsi:type of a grantee.
type GranteeType string

// Grantee types.
const (
	CanonicalUser GranteeType = "CanonicalUser"
	Group         GranteeType = "Group"
	ByEmail       GranteeType = "AmazonCustomerByEmail"
)

// The group URIs S3 defines.
const (
	AllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	LogDelivery        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// Grantee is who a grant is for: a user by ID (or email) or a group by URI.
type Grantee struct {
	Type  GranteeType
	ID    string
	URI   string
	Email string
}

// Grant is one entry of an access control list.
type Grant struct {
	Grantee    Grantee
	Permission Permission
}

// Grants are the grants c stands for, the owner's FULL_CONTROL first, as
// S3 lists them.
func (c Canned) Grants(ownerID string) []Grant {
	grants := []Grant{{Grantee{Type: CanonicalUser, ID: ownerID}, FullControl}}
	group := func(uri string, perm Permission) Grant { return Grant{Grantee{Type: Group, URI: uri}, perm} }
	switch c {
	case PublicRead:
		grants = append(grants, group(AllUsers, Read))
	case PublicReadWrite:
		grants = append(grants, group(AllUsers, Read), group(AllUsers, Write))
	case AuthenticatedRead:
		grants = append(grants, group(AuthenticatedUsers, Read))
	}
	return grants
}

// FromGrants returns the canned ACL whose grants are exactly these (in any
// order, repeats allowed) for a resource owned by ownerID.
func FromGrants(ownerID string, grants []Grant) (Canned, error) {
	got := map[Grant]bool{}
	for _, g := range grants {
		if err := checkGrant(g); err != nil {
			return Private, err
		}
		got[g] = true
	}
	for _, c := range []Canned{Private, PublicRead, PublicReadWrite, AuthenticatedRead} {
		want := c.Grants(ownerID)
		if len(want) != len(got) {
			continue
		}
		same := true
		for _, g := range want {
			same = same && got[g]
		}
		if same {
			return c, nil
		}
	}
	return Private, fmt.Errorf("grants %v are not a canned ACL's (owner FULL_CONTROL, and READ or READ and WRITE for everyone, or READ for authenticated users): %w", grants, ErrNotImplemented)
}

// checkGrant checks a grant against S3's schema.
func checkGrant(g Grant) error {
	switch g.Permission {
	case Read, Write, ReadACP, WriteACP, FullControl:
	default:
		return fmt.Errorf("permission %q: %w", g.Permission, ErrMalformed)
	}
	switch g.Grantee.Type {
	case CanonicalUser:
		if g.Grantee.ID == "" {
			return fmt.Errorf("a CanonicalUser grantee without ID: %w", ErrMalformed)
		}
	case Group:
		if g.Grantee.URI == "" {
			return fmt.Errorf("a Group grantee without URI: %w", ErrMalformed)
		}
	case ByEmail:
		if g.Grantee.Email == "" {
			return fmt.Errorf("an AmazonCustomerByEmail grantee without EmailAddress: %w", ErrMalformed)
		}
	default:
		return fmt.Errorf("grantee type %q: %w", g.Grantee.Type, ErrMalformed)
	}
	return nil
}
