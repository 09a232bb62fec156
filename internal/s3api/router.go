package s3api

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Operation names, as AWS names the S3 actions. They label metrics and logs.
const (
	opListBuckets             = "ListBuckets"
	opCreateBucket            = "CreateBucket"
	opDeleteBucket            = "DeleteBucket"
	opHeadBucket              = "HeadBucket"
	opGetBucketLocation       = "GetBucketLocation"
	opGetBucketVersioning     = "GetBucketVersioning"
	opPutBucketVersioning     = "PutBucketVersioning"
	opGetBucketTagging        = "GetBucketTagging"
	opPutBucketTagging        = "PutBucketTagging"
	opDeleteBucketTagging     = "DeleteBucketTagging"
	opGetBucketNotification   = "GetBucketNotificationConfiguration"
	opPutBucketNotification   = "PutBucketNotificationConfiguration"
	opGetBucketReplication    = "GetBucketReplication"
	opPutBucketReplication    = "PutBucketReplication"
	opDeleteBucketReplication = "DeleteBucketReplication"
	opGetBucketEncryption     = "GetBucketEncryption"
	opPutBucketEncryption     = "PutBucketEncryption"
	opDeleteBucketEncryption  = "DeleteBucketEncryption"
	opGetBucketLifecycle      = "GetBucketLifecycleConfiguration"
	opPutBucketLifecycle      = "PutBucketLifecycleConfiguration"
	opDeleteBucketLifecycle   = "DeleteBucketLifecycle"
	opGetBucketACL            = "GetBucketAcl"
	opPutBucketACL            = "PutBucketAcl"
	opGetBucketCORS           = "GetBucketCors"
	opPutBucketCORS           = "PutBucketCors"
	opDeleteBucketCORS        = "DeleteBucketCors"
	opListObjects             = "ListObjects"
	opListObjectsV2           = "ListObjectsV2"
	opListObjectVersions      = "ListObjectVersions"
	opListMultipartUploads    = "ListMultipartUploads"
	opDeleteObjects           = "DeleteObjects"
	opPostObject              = "PostObject"
	opPutObject               = "PutObject"
	opCopyObject              = "CopyObject"
	opGetObject               = "GetObject"
	opHeadObject              = "HeadObject"
	opDeleteObject            = "DeleteObject"
	opGetObjectTagging        = "GetObjectTagging"
	opPutObjectTagging        = "PutObjectTagging"
	opDeleteObjectTagging     = "DeleteObjectTagging"
	opGetObjectACL            = "GetObjectAcl"
	opPutObjectACL            = "PutObjectAcl"
	opGetObjectAttributes     = "GetObjectAttributes"
	opCreateMultipartUpload   = "CreateMultipartUpload"
	opUploadPart              = "UploadPart"
	opUploadPartCopy          = "UploadPartCopy"
	opCompleteMultipartUpload = "CompleteMultipartUpload"
	opAbortMultipartUpload    = "AbortMultipartUpload"
	opListParts               = "ListParts"
	// opPreflight is a CORS preflight (OPTIONS): answered from the
	// bucket's CORS rules, without authentication.
	opPreflight = "PreflightOptions"
	// opUnsupported is a request for a feature Quarry does not have (a
	// bucket policy, a website, ...): 501 NotImplemented.
	opUnsupported = "Unsupported"
	// opMethodNotAllowed is a method the addressed resource has no
	// operation for: 405 MethodNotAllowed.
	opMethodNotAllowed = "MethodNotAllowed"
)

// unsupportedSubresources are the S3 subresources Quarry does not
// implement (encryption: on objects, a bucket's is served; attributes: on
// buckets, an object's is served). A request
// naming one gets 501 rather than being mistaken for a plain object or
// bucket operation (a PUT ?policy must not create an object called "").
var unsupportedSubresources = []string{
	"accelerate", "analytics", "attributes", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "logging",
	"metadataConfiguration", "metrics", "object-lock",
	"ownershipControls", "policy", "policyStatus", "publicAccessBlock",
	"renameObject", "requestPayment", "restore", "retention",
	"select", "session", "torrent", "website",
}

// route is where a request goes: the operation and the bucket and key it
// addresses (empty when absent).
type route struct {
	op     string
	bucket string
	key    string
}

// routeRequest selects the operation of r. Buckets are addressed by path
// (/bucket/key) or, when domain is set, by host (bucket.domain/key).
func routeRequest(r *http.Request, domain string) route {
	bucket, key := bucketAndKey(r, domain)
	q := r.URL.Query()
	rt := route{bucket: bucket, key: key}
	switch {
	case r.Method == http.MethodOptions:
		rt.op = opPreflight
	case bucket == "":
		rt.op = serviceOp(r.Method)
	case key == "":
		rt.op = bucketOp(r.Method, q)
	default:
		rt.op = objectOp(r.Method, q, r.Header)
	}
	return rt
}

// bucketAndKey extracts the addressed bucket and key. r.URL.Path is already
// percent-decoded; it is not cleaned, so "a//b" and "../x" stay keys.
func bucketAndKey(r *http.Request, domain string) (bucket, key string) {
	path := r.URL.Path
	if b := virtualHostBucket(r.Host, domain); b != "" {
		return b, strings.TrimPrefix(path, "/")
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// virtualHostBucket returns the bucket named by a Host header of the form
// "<bucket>.<domain>[:port]", or "" for any other host.
func virtualHostBucket(host, domain string) string {
	if domain == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	suffix := "." + strings.ToLower(strings.TrimSuffix(domain, "."))
	if !strings.HasSuffix(host, suffix) {
		return ""
	}
	return strings.TrimSuffix(host, suffix)
}

func serviceOp(method string) string {
	if method == http.MethodGet {
		return opListBuckets
	}
	return opMethodNotAllowed
}

func bucketOp(method string, q url.Values) string {
	has := func(name string) bool { _, ok := q[name]; return ok }
	if has("acl") {
		return aclOp(method, opGetBucketACL, opPutBucketACL)
	}
	if has("encryption") {
		return bucketEncryptionOp(method) // a bucket subresource only
	}
	for _, name := range unsupportedSubresources {
		if has(name) {
			return opUnsupported
		}
	}
	if has("cors") {
		return bucketCORSOp(method)
	}
	if has("replication") {
		return bucketReplicationOp(method)
	}
	if has("notification") {
		return bucketNotificationOp(method)
	}
	if has("lifecycle") {
		return bucketLifecycleOp(method)
	}
	switch method {
	case http.MethodGet:
		switch {
		case has("location"):
			return opGetBucketLocation
		case has("versioning"):
			return opGetBucketVersioning
		case has("tagging"):
			return opGetBucketTagging
		case has("versions"):
			return opListObjectVersions
		case has("uploads"):
			return opListMultipartUploads
		case q.Get("list-type") == "2":
			return opListObjectsV2
		default:
			return opListObjects
		}
	case http.MethodHead:
		return opHeadBucket
	case http.MethodPut:
		switch {
		case has("versioning"):
			return opPutBucketVersioning
		case has("tagging"):
			return opPutBucketTagging
		default:
			return opCreateBucket
		}
	case http.MethodDelete:
		if has("tagging") {
			return opDeleteBucketTagging
		}
		return opDeleteBucket
	case http.MethodPost:
		if has("delete") {
			return opDeleteObjects
		}
		// A browser form upload (POST Object), whatever its content type:
		// postObject refuses anything but multipart/form-data as AWS does.
		return opPostObject
	}
	return opMethodNotAllowed
}

// bucketNotificationOp routes ?notification on a bucket. S3 has no
// DeleteBucketNotification: an empty configuration removes every trigger.
func bucketNotificationOp(method string) string {
	switch method {
	case http.MethodGet:
		return opGetBucketNotification
	case http.MethodPut:
		return opPutBucketNotification
	}
	return opMethodNotAllowed
}

// bucketReplicationOp routes ?replication on a bucket.
func bucketReplicationOp(method string) string {
	switch method {
	case http.MethodGet:
		return opGetBucketReplication
	case http.MethodPut:
		return opPutBucketReplication
	case http.MethodDelete:
		return opDeleteBucketReplication
	}
	return opMethodNotAllowed
}

// aclOp routes ?acl on a bucket or an object.
func aclOp(method, get, put string) string {
	switch method {
	case http.MethodGet:
		return get
	case http.MethodPut:
		return put
	}
	return opMethodNotAllowed
}

// bucketCORSOp routes ?cors on a bucket.
func bucketCORSOp(method string) string {
	switch method {
	case http.MethodGet:
		return opGetBucketCORS
	case http.MethodPut:
		return opPutBucketCORS
	case http.MethodDelete:
		return opDeleteBucketCORS
	}
	return opMethodNotAllowed
}

// bucketLifecycleOp routes ?lifecycle on a bucket.
func bucketLifecycleOp(method string) string {
	switch method {
	case http.MethodGet:
		return opGetBucketLifecycle
	case http.MethodPut:
		return opPutBucketLifecycle
	case http.MethodDelete:
		return opDeleteBucketLifecycle
	}
	return opMethodNotAllowed
}

func objectOp(method string, q url.Values, h http.Header) string {
	has := func(name string) bool { _, ok := q[name]; return ok }
	if has("acl") {
		return aclOp(method, opGetObjectACL, opPutObjectACL)
	}
	if has("attributes") { // an object subresource only: a bucket's is unsupported
		if method == http.MethodGet {
			return opGetObjectAttributes
		}
		return opMethodNotAllowed
	}
	for _, name := range unsupportedSubresources {
		if has(name) {
			return opUnsupported
		}
	}
	if has("replication") || has("notification") || has("lifecycle") || has("cors") {
		return opUnsupported // bucket subresources only
	}
	// The header's presence, not its value, makes a copy: an empty
	// x-amz-copy-source is a malformed copy (InvalidArgument), never a
	// plain PUT that would store the body instead.
	_, copySource := h["X-Amz-Copy-Source"]
	switch method {
	case http.MethodGet:
		switch {
		case has("uploadId"):
			return opListParts
		case has("tagging"):
			return opGetObjectTagging
		default:
			return opGetObject
		}
	case http.MethodHead:
		return opHeadObject
	case http.MethodPut:
		switch {
		case has("uploadId") || has("partNumber"):
			if copySource {
				return opUploadPartCopy
			}
			return opUploadPart
		case has("tagging"):
			return opPutObjectTagging
		case copySource:
			return opCopyObject
		default:
			return opPutObject
		}
	case http.MethodDelete:
		switch {
		case has("uploadId"):
			return opAbortMultipartUpload
		case has("tagging"):
			return opDeleteObjectTagging
		default:
			return opDeleteObject
		}
	case http.MethodPost:
		switch {
		case has("uploads"):
			return opCreateMultipartUpload
		case has("uploadId"):
			return opCompleteMultipartUpload
		default:
			return opUnsupported
		}
	}
	return opMethodNotAllowed
}
