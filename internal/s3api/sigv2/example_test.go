package sigv2

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// date parses the dates of AWS's examples.
func date(t *testing.T, s string) time.Time {
	t.Helper()
	when, err := time.Parse(time.RFC1123Z, s)
	if err != nil {
		t.Fatal(err)
	}
	return when
}

// TestAWSExamplesVerify runs the authentication examples of AWS's page
// "Signing and authenticating REST requests" (Signature Version 2) with
// their exact signatures. The page now names the bucket awsexamplebucket1,
// but its signatures were computed for the bucket of its first edition,
// johnsmith, which they match; that is the bucket used here.
func TestAWSExamplesVerify(t *testing.T) {
	cases := []struct {
		name         string
		request      []string
		stringToSign string
		now          string
	}{
		{
			name: "Object GET",
			request: []string{
				"GET /photos/puppy.jpg HTTP/1.1",
				"Host: johnsmith.s3.amazonaws.com",
				"Date: Tue, 27 Mar 2007 19:36:42 +0000",
				"Authorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
			},
			stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
			now:          "Tue, 27 Mar 2007 19:36:42 +0000",
		},
		{
			name: "Object PUT",
			request: []string{
				"PUT /photos/puppy.jpg HTTP/1.1",
				"Content-Type: image/jpeg",
				"Content-Length: 94328",
				"Host: johnsmith.s3.amazonaws.com",
				"Date: Tue, 27 Mar 2007 21:15:45 +0000",
				"Authorization: AWS AKIAIOSFODNN7EXAMPLE:MyyxeRY7whkBe+bq8fHCL/2kKUg=",
			},
			stringToSign: "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
			now:          "Tue, 27 Mar 2007 21:15:45 +0000",
		},
		{
			name: "List",
			request: []string{
				"GET /?prefix=photos&max-keys=50&marker=puppy HTTP/1.1",
				"User-Agent: Mozilla/5.0",
				"Host: johnsmith.s3.amazonaws.com",
				"Date: Tue, 27 Mar 2007 19:42:41 +0000",
				"Authorization: AWS AKIAIOSFODNN7EXAMPLE:htDYFYduRNen8P9ZfE/s9SuKy0U=",
			},
			stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
			now:          "Tue, 27 Mar 2007 19:42:41 +0000",
		},
		{
			name: "Fetch",
			request: []string{
				"GET /?acl HTTP/1.1",
				"Host: johnsmith.s3.amazonaws.com",
				"Date: Tue, 27 Mar 2007 19:44:46 +0000",
				"Authorization: AWS AKIAIOSFODNN7EXAMPLE:c2WLPFtWHVgbEmeEG93a4cG37dM=",
			},
			stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
			now:          "Tue, 27 Mar 2007 19:44:46 +0000",
		},
		{
			name: "Delete",
			request: []string{
				"DELETE /johnsmith/photos/puppy.jpg HTTP/1.1",
				"User-Agent: dotnet",
				"Host: s3.amazonaws.com",
				"Date: Tue, 27 Mar 2007 21:20:27 +0000",
				"x-amz-date: Tue, 27 Mar 2007 21:20:26 +0000",
				"Authorization: AWS AKIAIOSFODNN7EXAMPLE:lx3byBScXR6KzyMaifNkardMwNk=",
			},
			// The example signs x-amz-date's value in the Date position.
			stringToSign: "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg",
			now:          "Tue, 27 Mar 2007 21:20:27 +0000",
		},
		{
			name: "Upload",
			request: []string{
				"PUT /db-backup.dat.gz HTTP/1.1",
				"User-Agent: curl/7.15.5",
				"Host: static.johnsmith.net:8080",
				"Date: Tue, 27 Mar 2007 21:06:08 +0000",
				"x-amz-acl: public-read",
				"content-type: application/x-download",
				"Content-MD5: 4gJE4saaMU4BqNR0kLY+lw==",
				"X-Amz-Meta-ReviewedBy: joe@johnsmith.net",
				"X-Amz-Meta-ReviewedBy: jane@johnsmith.net",
				"X-Amz-Meta-FileChecksum: 0x02661779",
				"X-Amz-Meta-ChecksumAlgorithm: crc32",
				"Content-Disposition: attachment; filename=database.dat",
				"Content-Encoding: gzip",
				"Content-Length: 5913339",
				"Authorization: AWS AKIAIOSFODNN7EXAMPLE:ilyl83RwaSoYIEdixDQcA4OnAnc=",
			},
			stringToSign: "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n" +
				"x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n" +
				"x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz",
			now: "Tue, 27 Mar 2007 21:06:08 +0000",
		},
		{
			name: "List all my buckets",
			request: []string{
				"GET / HTTP/1.1",
				"Host: s3.amazonaws.com",
				"Date: Wed, 28 Mar 2007 01:29:59 +0000",
				"Authorization: AWS AKIAIOSFODNN7EXAMPLE:qGdzdERIC03wnaRNKh6OqZehG9s=",
			},
			stringToSign: "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
			now:          "Wed, 28 Mar 2007 01:29:59 +0000",
		},
		{
			name: "Unicode keys",
			request: []string{
				"GET /dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re HTTP/1.1",
				"Host: s3.amazonaws.com",
				"Date: Wed, 28 Mar 2007 01:49:49 +0000",
				"Authorization: AWS AKIAIOSFODNN7EXAMPLE:DNEZGsoieTZ92F3bUfSPQcbGmlM=",
			},
			stringToSign: "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
			now:          "Wed, 28 Mar 2007 01:49:49 +0000",
		},
		{
			name: "Query string request authentication",
			request: []string{
				"GET /photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620 HTTP/1.1",
				"Host: johnsmith.s3.amazonaws.com",
			},
			stringToSign: "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg",
			now:          "Thu, 29 Mar 2007 03:40:20 +0000", // the second it expires
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := date(t, tc.now)
			r := wireRequest(t, tc.request...)
			if !Claims(r) {
				t.Fatal("Claims = false for a SigV2 request")
			}
			res, err := testVerifier(now).Verify(r)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.AccessKey != exampleAccessKey {
				t.Errorf("access key %q, want %q", res.AccessKey, exampleAccessKey)
			}
			q := parseQuery(r.URL.RawQuery)
			var got []string
			if res.Presigned {
				expires, _ := q.get(queryExpires)
				got = candidates(r, exampleHostBucket(r.Host), q, expires, "", amzHeaders(r.Header, q))
			} else {
				_, d, dh, err := requestDate(r.Header)
				if err != nil {
					t.Fatal(err)
				}
				got = candidates(r, exampleHostBucket(r.Host), q, d, dh, amzHeaders(r.Header, nil))
			}
			if !slices.Contains(got, tc.stringToSign) {
				t.Errorf("strings to sign %q do not include AWS's %q", got, tc.stringToSign)
			}
		})
	}
}

func TestAWSExampleWithAnotherSignatureReportsItsStringToSign(t *testing.T) {
	r := wireRequest(t,
		"GET /photos/puppy.jpg HTTP/1.1",
		"Host: johnsmith.s3.amazonaws.com",
		"Date: Tue, 27 Mar 2007 19:36:42 +0000",
		"Authorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMV=",
	)
	_, err := testVerifier(date(t, "Tue, 27 Mar 2007 19:36:42 +0000")).Verify(r)
	var mismatch *MismatchError
	if !errors.As(err, &mismatch) || !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("Verify = %v, want a SignatureDoesNotMatch MismatchError", err)
	}
	want := MismatchError{
		AccessKey:         exampleAccessKey,
		StringToSign:      "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
		SignatureProvided: "bWq2s1WEIj+Ydj0vQ697zp+IXMV=",
	}
	if *mismatch != want {
		t.Errorf("mismatch %+v, want %+v", *mismatch, want)
	}
	if got, wantBytes := mismatch.StringToSignBytes(), "47 45 54 0a 0a 0a 54 75 65"; got[:len(wantBytes)] != wantBytes {
		t.Errorf("StringToSignBytes starts %q, want %q", got[:len(wantBytes)], wantBytes)
	}
}
