package s3api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// emptyHeader in a routing case sends the header with an empty value.
const emptyHeader = "\x00empty"

func TestRouteRequest(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		target     string
		host       string
		copySource string
		want       route
	}{
		{"GET on the root lists buckets", "GET", "/", "", "", route{op: opListBuckets}},
		{"PUT on the root is not allowed", "PUT", "/", "", "", route{op: opMethodNotAllowed}},
		{"PUT on a bucket creates it", "PUT", "/b", "", "", route{op: opCreateBucket, bucket: "b"}},
		{"a trailing slash still names the bucket", "PUT", "/b/", "", "", route{op: opCreateBucket, bucket: "b"}},
		{"DELETE on a bucket deletes it", "DELETE", "/b", "", "", route{op: opDeleteBucket, bucket: "b"}},
		{"HEAD on a bucket heads it", "HEAD", "/b", "", "", route{op: opHeadBucket, bucket: "b"}},
		{"GET on a bucket lists objects v1", "GET", "/b", "", "", route{op: opListObjects, bucket: "b"}},
		{"list-type=2 lists objects v2", "GET", "/b?list-type=2&prefix=a", "", "", route{op: opListObjectsV2, bucket: "b"}},
		{"?versions lists versions", "GET", "/b?versions", "", "", route{op: opListObjectVersions, bucket: "b"}},
		{"?uploads on a bucket lists uploads", "GET", "/b?uploads", "", "", route{op: opListMultipartUploads, bucket: "b"}},
		{"?location gets the location", "GET", "/b?location", "", "", route{op: opGetBucketLocation, bucket: "b"}},
		{"?versioning gets versioning", "GET", "/b?versioning", "", "", route{op: opGetBucketVersioning, bucket: "b"}},
		{"?versioning puts versioning", "PUT", "/b?versioning", "", "", route{op: opPutBucketVersioning, bucket: "b"}},
		{"?tagging gets bucket tags", "GET", "/b?tagging", "", "", route{op: opGetBucketTagging, bucket: "b"}},
		{"?tagging puts bucket tags", "PUT", "/b?tagging", "", "", route{op: opPutBucketTagging, bucket: "b"}},
		{"?tagging deletes bucket tags", "DELETE", "/b?tagging", "", "", route{op: opDeleteBucketTagging, bucket: "b"}},
		{"?acl gets a bucket ACL", "GET", "/b?acl", "", "", route{op: opGetBucketACL, bucket: "b"}},
		{"?acl puts a bucket ACL", "PUT", "/b?acl", "", "", route{op: opPutBucketACL, bucket: "b"}},
		{"?acl cannot be deleted", "DELETE", "/b?acl", "", "", route{op: opMethodNotAllowed, bucket: "b"}},
		{"?policy is not implemented", "PUT", "/b?policy", "", "", route{op: opUnsupported, bucket: "b"}},
		{"?cors gets a bucket's CORS configuration", "GET", "/b?cors", "", "", route{op: opGetBucketCORS, bucket: "b"}},
		{"?cors puts one", "PUT", "/b?cors", "", "", route{op: opPutBucketCORS, bucket: "b"}},
		{"?cors deletes one", "DELETE", "/b?cors", "", "", route{op: opDeleteBucketCORS, bucket: "b"}},
		{"?cors on an object is not implemented", "GET", "/b/k?cors", "", "", route{op: opUnsupported, bucket: "b", key: "k"}},
		{"OPTIONS on an object is a preflight", "OPTIONS", "/b/k?uploadId=1", "", "", route{op: opPreflight, bucket: "b", key: "k"}},
		{"OPTIONS on a bucket is a preflight", "OPTIONS", "/b", "", "", route{op: opPreflight, bucket: "b"}},
		{"?lifecycle puts a lifecycle configuration", "PUT", "/b?lifecycle", "", "", route{op: opPutBucketLifecycle, bucket: "b"}},
		{"?lifecycle gets a lifecycle configuration", "GET", "/b?lifecycle", "", "", route{op: opGetBucketLifecycle, bucket: "b"}},
		{"?lifecycle deletes a lifecycle configuration", "DELETE", "/b?lifecycle", "", "", route{op: opDeleteBucketLifecycle, bucket: "b"}},
		{"POST ?lifecycle is not allowed", "POST", "/b?lifecycle", "", "", route{op: opMethodNotAllowed, bucket: "b"}},
		{"?lifecycle on an object is not implemented", "GET", "/b/k?lifecycle", "", "", route{op: opUnsupported, bucket: "b", key: "k"}},
		{"?object-lock is not implemented", "GET", "/b?object-lock", "", "", route{op: opUnsupported, bucket: "b"}},
		{"GET ?encryption on a bucket reads its default", "GET", "/b?encryption", "", "", route{op: opGetBucketEncryption, bucket: "b"}},
		{"PUT ?encryption on a bucket sets it", "PUT", "/b?encryption", "", "", route{op: opPutBucketEncryption, bucket: "b"}},
		{"DELETE ?encryption on a bucket removes it", "DELETE", "/b?encryption", "", "", route{op: opDeleteBucketEncryption, bucket: "b"}},
		{"POST ?encryption on a bucket is not allowed", "POST", "/b?encryption", "", "", route{op: opMethodNotAllowed, bucket: "b"}},
		{"POST ?delete deletes objects", "POST", "/b?delete", "", "", route{op: opDeleteObjects, bucket: "b"}},
		{"POST on a bucket without ?delete is a form upload", "POST", "/b", "", "", route{op: opPostObject, bucket: "b"}},
		{"PATCH on a bucket is not allowed", "PATCH", "/b", "", "", route{op: opMethodNotAllowed, bucket: "b"}},
		{"PUT on a key puts an object", "PUT", "/b/k", "", "", route{op: opPutObject, bucket: "b", key: "k"}},
		{"keys keep their slashes", "PUT", "/b/a/b//c/", "", "", route{op: opPutObject, bucket: "b", key: "a/b//c/"}},
		{"keys are percent-decoded", "GET", "/b/a%20b%2Bc", "", "", route{op: opGetObject, bucket: "b", key: "a b+c"}},
		{"dot segments are ordinary keys", "GET", "/b/../x", "", "", route{op: opGetObject, bucket: "b", key: "../x"}},
		{"a copy source makes a PUT a copy", "PUT", "/b/k", "", "src/k", route{op: opCopyObject, bucket: "b", key: "k"}},
		{"an empty copy source still makes a PUT a copy", "PUT", "/b/k", "", emptyHeader, route{op: opCopyObject, bucket: "b", key: "k"}},
		{"an empty copy source still makes a part a part copy", "PUT", "/b/k?partNumber=1&uploadId=u", "", emptyHeader, route{op: opUploadPartCopy, bucket: "b", key: "k"}},
		{"GET on a key gets it", "GET", "/b/k?versionId=3", "", "", route{op: opGetObject, bucket: "b", key: "k"}},
		{"HEAD on a key heads it", "HEAD", "/b/k", "", "", route{op: opHeadObject, bucket: "b", key: "k"}},
		{"DELETE on a key deletes it", "DELETE", "/b/k", "", "", route{op: opDeleteObject, bucket: "b", key: "k"}},
		{"?tagging gets object tags", "GET", "/b/k?tagging", "", "", route{op: opGetObjectTagging, bucket: "b", key: "k"}},
		{"?tagging puts object tags", "PUT", "/b/k?tagging", "", "", route{op: opPutObjectTagging, bucket: "b", key: "k"}},
		{"?tagging deletes object tags", "DELETE", "/b/k?tagging", "", "", route{op: opDeleteObjectTagging, bucket: "b", key: "k"}},
		{"?acl gets an object ACL", "GET", "/b/k?acl", "", "", route{op: opGetObjectACL, bucket: "b", key: "k"}},
		{"?acl puts an object ACL", "PUT", "/b/k?acl", "", "", route{op: opPutObjectACL, bucket: "b", key: "k"}},
		{"?attributes gets an object's attributes", "GET", "/b/k?attributes&versionId=3", "", "", route{op: opGetObjectAttributes, bucket: "b", key: "k"}},
		{"?attributes on an object takes only GET", "PUT", "/b/k?attributes", "", "", route{op: opMethodNotAllowed, bucket: "b", key: "k"}},
		{"?attributes on a bucket is not implemented", "GET", "/b?attributes", "", "", route{op: opUnsupported, bucket: "b"}},
		{"?retention is not implemented", "PUT", "/b/k?retention", "", "", route{op: opUnsupported, bucket: "b", key: "k"}},
		{"?encryption on an object is not implemented", "PUT", "/b/k?encryption", "", "", route{op: opUnsupported, bucket: "b", key: "k"}},
		{"?restore is not implemented", "POST", "/b/k?restore", "", "", route{op: opUnsupported, bucket: "b", key: "k"}},
		{"POST ?uploads starts an upload", "POST", "/b/k?uploads", "", "", route{op: opCreateMultipartUpload, bucket: "b", key: "k"}},
		{"PUT with part number uploads a part", "PUT", "/b/k?partNumber=1&uploadId=u", "", "", route{op: opUploadPart, bucket: "b", key: "k"}},
		{"a part with a copy source copies a part", "PUT", "/b/k?partNumber=1&uploadId=u", "", "src/k", route{op: opUploadPartCopy, bucket: "b", key: "k"}},
		{"POST with an upload id completes it", "POST", "/b/k?uploadId=u", "", "", route{op: opCompleteMultipartUpload, bucket: "b", key: "k"}},
		{"DELETE with an upload id aborts it", "DELETE", "/b/k?uploadId=u", "", "", route{op: opAbortMultipartUpload, bucket: "b", key: "k"}},
		{"GET with an upload id lists parts", "GET", "/b/k?uploadId=u", "", "", route{op: opListParts, bucket: "b", key: "k"}},
		{"presign parameters are not subresources", "GET", "/b/k?X-Amz-Signature=x&X-Amz-Date=y", "", "", route{op: opGetObject, bucket: "b", key: "k"}},
		{"a virtual host names the bucket", "GET", "/k/x", "b.s3.example.com", "", route{op: opGetObject, bucket: "b", key: "k/x"}},
		{"a virtual host with a port names the bucket", "PUT", "/", "my.bucket.s3.example.com:9000", "", route{op: opCreateBucket, bucket: "my.bucket"}},
		{"the bare domain is path style", "GET", "/b/k", "s3.example.com:9000", "", route{op: opGetObject, bucket: "b", key: "k"}},
		{"host names compare without case", "GET", "/", "B.S3.Example.COM", "", route{op: opListObjects, bucket: "b"}},
		{"other hosts are path style", "GET", "/b/k", "localhost:9000", "", route{op: opGetObject, bucket: "b", key: "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.host != "" {
				r.Host = tt.host
			}
			switch tt.copySource {
			case "":
			case emptyHeader:
				r.Header.Set("X-Amz-Copy-Source", "")
			default:
				r.Header.Set("X-Amz-Copy-Source", tt.copySource)
			}
			got := routeRequest(r, "s3.example.com")
			if got != tt.want {
				t.Errorf("routeRequest(%s %s, host %q) = %+v, want %+v", tt.method, tt.target, tt.host, got, tt.want)
			}
		})
	}
}

func TestVirtualHostBucketNeedsADomain(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/b/k", nil)
	r.Host = "x.s3.example.com"
	if got := routeRequest(r, ""); got.bucket != "b" || got.key != "k" {
		t.Errorf("without a domain, got bucket %q key %q, want path style b/k", got.bucket, got.key)
	}
}
