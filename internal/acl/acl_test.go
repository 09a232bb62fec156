package acl

import (
	"errors"
	"fmt"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

func TestParseCanned(t *testing.T) {
	tests := []struct {
		name string
		want Canned
		err  error
	}{
		{"private", Private, nil},
		{"public-read", PublicRead, nil},
		{"public-read-write", PublicReadWrite, nil},
		{"authenticated-read", AuthenticatedRead, nil},
		{"aws-exec-read", Private, ErrNotImplemented},
		{"bucket-owner-read", Private, ErrNotImplemented},
		{"bucket-owner-full-control", Private, ErrNotImplemented},
		{"log-delivery-write", Private, ErrNotImplemented},
		{"Public-Read", Private, ErrInvalid},
		{"public", Private, ErrInvalid},
		{"", Private, ErrInvalid},
	}
	for _, tt := range tests {
		got, err := ParseCanned(tt.name)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParseCanned(%q) = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
		if err == nil && got.Name() != tt.name {
			t.Errorf("ParseCanned(%q).Name() = %q", tt.name, got.Name())
		}
	}
}

func TestGrantsOfEveryCannedACLReadBackAsThatACL(t *testing.T) {
	for _, c := range []Canned{Private, PublicRead, PublicReadWrite, AuthenticatedRead} {
		grants := c.Grants("7")
		if grants[0] != (Grant{Grantee{Type: CanonicalUser, ID: "7"}, FullControl}) {
			t.Errorf("%s: first grant %+v, want the owner's FULL_CONTROL", c.Name(), grants[0])
		}
		// Reversed, with a repeat: order and repeats do not matter.
		var shuffled []Grant
		for i := len(grants) - 1; i >= 0; i-- {
			shuffled = append(shuffled, grants[i])
		}
		shuffled = append(shuffled, grants[0])
		got, err := FromGrants("7", shuffled)
		if err != nil || got != c {
			t.Errorf("FromGrants(grants of %s) = %q, %v", c.Name(), got, err)
		}
	}
}

func TestFromGrants(t *testing.T) {
	owner := Grant{Grantee{Type: CanonicalUser, ID: "7"}, FullControl}
	group := func(uri string, p Permission) Grant { return Grant{Grantee{Type: Group, URI: uri}, p} }
	tests := []struct {
		name   string
		grants []Grant
		want   Canned
		err    error
	}{
		{"the owner's full control alone is private", []Grant{owner}, Private, nil},
		{"everyone reading is public-read", []Grant{owner, group(AllUsers, Read)}, PublicRead, nil},
		{"everyone reading and writing is public-read-write", []Grant{group(AllUsers, Write), owner, group(AllUsers, Read)}, PublicReadWrite, nil},
		{"authenticated users reading is authenticated-read", []Grant{owner, group(AuthenticatedUsers, Read)}, AuthenticatedRead, nil},
		{"no grants at all cannot be honoured", nil, Private, ErrNotImplemented},
		{"an owner without full control cannot be honoured", []Grant{group(AllUsers, Read)}, Private, ErrNotImplemented},
		{"everyone writing without reading cannot be honoured", []Grant{owner, group(AllUsers, Write)}, Private, ErrNotImplemented},
		{"another user cannot be granted anything", []Grant{owner, {Grantee{Type: CanonicalUser, ID: "8"}, Read}}, Private, ErrNotImplemented},
		{"a user by email cannot be granted anything", []Grant{owner, {Grantee{Type: ByEmail, Email: "a@b.c"}, Read}}, Private, ErrNotImplemented},
		{"the log delivery group cannot be granted anything", []Grant{owner, group(LogDelivery, Write)}, Private, ErrNotImplemented},
		{"everyone reading the ACL cannot be honoured", []Grant{owner, group(AllUsers, ReadACP)}, Private, ErrNotImplemented},
		{"authenticated users writing cannot be honoured", []Grant{owner, group(AuthenticatedUsers, Read), group(AuthenticatedUsers, Write)}, Private, ErrNotImplemented},
		{"an unknown permission is malformed", []Grant{owner, group(AllUsers, "LIST")}, Private, ErrMalformed},
		{"an unknown grantee type is malformed", []Grant{owner, {Grantee{Type: "Robot", ID: "x"}, Read}}, Private, ErrMalformed},
		{"a user without an ID is malformed", []Grant{owner, {Grantee{Type: CanonicalUser}, Read}}, Private, ErrMalformed},
		{"a group without a URI is malformed", []Grant{owner, {Grantee{Type: Group}, Read}}, Private, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromGrants("7", tt.grants)
			if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("FromGrants = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestRequesterOf(t *testing.T) {
	alice := auth.Principal{UserID: 1, Username: "alice", Role: meta.RoleUser}
	bob := auth.Principal{UserID: 2, Username: "bob", Role: meta.RoleUser}
	root := auth.Principal{UserID: 3, Username: "root", Role: meta.RoleAdmin}
	tests := []struct {
		name string
		p    auth.Principal
		want Requester
	}{
		{"the bucket's owner is its owner", alice, Owner},
		{"an admin counts as the owner", root, Owner},
		{"another user is a user", bob, User},
		{"a request without credentials is anonymous", auth.Anonymous(), Anonymous},
		{"the anonymous principal never owns, not even a bucket of user 0", auth.Anonymous(), Anonymous},
	}
	for i, tt := range tests {
		owner := alice.UserID
		if i == len(tests)-1 {
			owner = 0
		}
		if got := RequesterOf(tt.p, owner); got != tt.want {
			t.Errorf("%s: RequesterOf = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPermissions is the whole rule: for every bucket ACL, object ACL,
// requester and permission, whether the request is allowed. Rows list what
// is allowed; everything not listed is refused.
func TestPermissions(t *testing.T) {
	all := []Canned{Private, PublicRead, PublicReadWrite, AuthenticatedRead}
	perms := []Permission{Read, Write, ReadACP, WriteACP}
	type key struct {
		acl  Canned
		who  Requester
		perm Permission
	}
	// On a bucket.
	bucketAllowed := map[key]bool{
		{PublicRead, User, Read}: true, {PublicRead, Anonymous, Read}: true,
		{PublicReadWrite, User, Read}: true, {PublicReadWrite, Anonymous, Read}: true,
		{PublicReadWrite, User, Write}: true, {PublicReadWrite, Anonymous, Write}: true,
		{AuthenticatedRead, User, Read}: true,
	}
	for _, b := range all {
		for _, who := range []Requester{Owner, User, Anonymous} {
			for _, perm := range perms {
				want := who == Owner || bucketAllowed[key{b, who, perm}]
				if got := BucketAllows(b, who, perm); got != want {
					t.Errorf("bucket %s, %v, %s: allowed %v, want %v", b.Name(), who, perm, got, want)
				}
			}
		}
	}
	// On an object: its own ACL's READ, or its bucket's READ.
	readers := func(c Canned, who Requester) bool {
		return c == PublicRead || c == PublicReadWrite || (c == AuthenticatedRead && who == User)
	}
	for _, b := range all {
		for _, o := range all {
			for _, who := range []Requester{Owner, User, Anonymous} {
				for _, perm := range perms {
					want := who == Owner || (perm == Read && (readers(o, who) || readers(b, who)))
					name := fmt.Sprintf("object %s in bucket %s, %v, %s", o.Name(), b.Name(), who, perm)
					if got := ObjectAllows(b, o, who, perm); got != want {
						t.Errorf("%s: allowed %v, want %v", name, got, want)
					}
				}
			}
		}
	}
}

func TestPermissionExamples(t *testing.T) {
	tests := []struct {
		name           string
		bucket, object Canned
		onObject       bool
		who            Requester
		perm           Permission
		want           bool
	}{
		{"anyone may list a public-read bucket", PublicRead, Private, false, Anonymous, Read, true},
		{"anyone may read the objects of a public-read bucket", PublicRead, Private, true, Anonymous, Read, true},
		{"nobody but the owner may write to a public-read bucket", PublicRead, Private, false, Anonymous, Write, false},
		{"anyone may write to a public-read-write bucket", PublicReadWrite, Private, false, Anonymous, Write, true},
		{"a public-read object of a private bucket may be read by anyone", Private, PublicRead, true, Anonymous, Read, true},
		{"a public-read object does not make its bucket listable", Private, PublicRead, false, Anonymous, Read, false},
		{"a private object of a private bucket is the owner's", Private, Private, true, User, Read, false},
		{"an authenticated-read bucket may be listed by a user", AuthenticatedRead, Private, false, User, Read, true},
		{"an authenticated-read bucket may not be listed anonymously", AuthenticatedRead, Private, false, Anonymous, Read, false},
		{"an authenticated-read object may be read by a user", Private, AuthenticatedRead, true, User, Read, true},
		{"an authenticated-read object may not be read anonymously", Private, AuthenticatedRead, true, Anonymous, Read, false},
		{"no canned ACL lets anyone but the owner read an ACL", PublicReadWrite, PublicReadWrite, true, User, ReadACP, false},
		{"no canned ACL lets anyone but the owner change an ACL", PublicReadWrite, PublicReadWrite, false, Anonymous, WriteACP, false},
		{"the owner may change the ACL of a private bucket", Private, Private, false, Owner, WriteACP, true},
	}
	for _, tt := range tests {
		got := BucketAllows(tt.bucket, tt.who, tt.perm)
		if tt.onObject {
			got = ObjectAllows(tt.bucket, tt.object, tt.who, tt.perm)
		}
		if got != tt.want {
			t.Errorf("%s: allowed %v, want %v", tt.name, got, tt.want)
		}
	}
}
