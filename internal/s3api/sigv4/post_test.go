package sigv4

import (
	"context"
	"errors"
	"testing"
)

// TestVerifyPostAcceptsAWSsExample checks the worked example of AWS's
// "Example: Browser-Based Upload using HTTP POST (Using AWS Signature
// Version 4)": its policy, credential and signature.
func TestVerifyPostAcceptsAWSsExample(t *testing.T) {
	const (
		policy    = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
		signature = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
	)
	v := &Verifier{
		Region: "us-east-1",
		Lookup: func(_ context.Context, ak string) (string, error) {
			if ak != "AKIAIOSFODNN7EXAMPLE" {
				return "", ErrInvalidAccessKeyID
			}
			return "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", nil
		},
	}
	form := PostForm{
		Algorithm:  "AWS4-HMAC-SHA256",
		Credential: "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
		Date:       "20151229T000000Z",
		Signature:  signature,
		Policy:     policy,
	}
	ctx := context.Background()
	if ak, err := v.VerifyPost(ctx, form); err != nil || ak != "AKIAIOSFODNN7EXAMPLE" {
		t.Fatalf("VerifyPost = %q, %v", ak, err)
	}

	edit := func(f func(*PostForm)) PostForm { g := form; f(&g); return g }
	cases := []struct {
		name string
		form PostForm
		want error
	}{
		{"another policy", edit(func(f *PostForm) { f.Policy = policy[:len(policy)-4] }), ErrSignatureDoesNotMatch},
		{"a signature that is not hex", edit(func(f *PostForm) { f.Signature = "zz" + signature[2:] }), ErrSignatureDoesNotMatch},
		{"another region", edit(func(f *PostForm) { f.Credential = "AKIAIOSFODNN7EXAMPLE/20151229/eu-west-1/s3/aws4_request" }), ErrAuthorizationHeaderMalformed},
		{"a date of another day", edit(func(f *PostForm) { f.Date = "20151230T000000Z" }), ErrAuthorizationHeaderMalformed},
		{"a date that is not ISO 8601", edit(func(f *PostForm) { f.Date = "yesterday" }), ErrAuthorizationHeaderMalformed},
		{"another algorithm", edit(func(f *PostForm) { f.Algorithm = "AWS4-ECDSA-P256-SHA256" }), ErrUnsupportedAlgorithm},
		{"an unknown access key", edit(func(f *PostForm) { f.Credential = "AKIAUNKNOWN/20151229/us-east-1/s3/aws4_request" }), ErrInvalidAccessKeyID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := v.VerifyPost(ctx, tc.form); !errors.Is(err, tc.want) {
				t.Errorf("VerifyPost = %v, want %v", err, tc.want)
			}
		})
	}
}
