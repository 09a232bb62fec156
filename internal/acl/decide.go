package acl

import "github.com/quarrylabs/quarry/internal/auth"

// Requester is who a request comes from, as far as an ACL cares.
type Requester int

// Requesters.
const (
	// Owner is the bucket's owner or an admin: it may do anything to the
	// bucket and to every object in it, whatever the ACLs say.
	Owner Requester = iota
	// User is any other authenticated user (AWS's AuthenticatedUsers).
	User
	// Anonymous is a request without credentials.
	Anonymous
)

func (r Requester) String() string {
	switch r {
	case Owner:
		return "owner"
	case User:
		return "user"
	}
	return "anonymous"
}

// RequesterOf is who p is to a bucket owned by ownerID.
func RequesterOf(p auth.Principal, ownerID int64) Requester {
	switch {
	case p.IsAnonymous():
		return Anonymous
	case p.CanUse(ownerID):
		return Owner
	}
	return User
}

// grants reports whether c grants perm to a requester who is not the
// owner: AllUsers grants cover anonymous requests and users alike,
// AuthenticatedUsers grants users only.
func (c Canned) grants(who Requester, perm Permission) bool {
	switch c {
	case PublicRead:
		return perm == Read
	case PublicReadWrite:
		return perm == Read || perm == Write
	case AuthenticatedRead:
		return perm == Read && who == User
	}
	return false
}

// BucketAllows reports whether who may do perm on a bucket whose ACL is
// bucket: READ lists its objects (and multipart uploads), WRITE creates,
// overwrites and deletes objects in it, READ_ACP and WRITE_ACP read and
// write its ACL. The owner may do everything.
func BucketAllows(bucket Canned, who Requester, perm Permission) bool {
	return who == Owner || bucket.grants(who, perm)
}

// ObjectAllows reports whether who may do perm on an object whose ACL is
// object, in a bucket whose ACL is bucket: READ reads its data and
// metadata, READ_ACP and WRITE_ACP its ACL. WRITE does not apply to an
// object (writing one is a WRITE on its bucket), so it is never granted.
//
// Quarry has no bucket policies, the way AWS users usually make a bucket's
// objects readable by everyone. The bucket's READ stands in for one: it
// lets who read every object of the bucket, whatever their own ACLs say.
func ObjectAllows(bucket, object Canned, who Requester, perm Permission) bool {
	switch {
	case who == Owner:
		return true
	case perm == Write:
		return false
	case perm == Read && bucket.grants(who, Read):
		return true
	}
	return object.grants(who, perm)
}
