package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// python runs a Python script with boto3 against the shared server, with
// root's keys in the environment and no configuration of the machine, and
// returns its stdout. It skips t when python3 or boto3 is missing (Debian:
// apt-get install -y python3-boto3).
func python(t *testing.T, script string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: this test drives boto3")
	}
	if out, err := exec.Command(bin, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Skipf("boto3 is not installed (apt-get install -y python3-boto3): %s", out)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "script.py")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{path, sharedSrv.S3URL}, args...)...)
	cmd.Env = cleanAWSEnv(dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), tail(stderr.String(), 4000))
	}
	return stdout.String()
}

// cleanAWSEnv is an environment with root's keys and a HOME of its own, so
// that no ~/.aws or AWS_* setting of the machine takes part.
func cleanAWSEnv(home string) []string {
	return []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8",
		"AWS_ACCESS_KEY_ID=" + rootAccessKey, "AWS_SECRET_ACCESS_KEY=" + rootSecretKey,
		"AWS_DEFAULT_REGION=" + testRegion, "AWS_REGION=" + testRegion,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
	}
}

// boto3SigV2Script drives S3 with signature_version 's3' (SigV2): every
// call is a SigV2 header-signed request. It prints a presigned URL.
const boto3SigV2Script = `
import sys
import boto3
from botocore.config import Config

endpoint, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint,
                  config=Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
s3.create_bucket(Bucket=bucket)
key = "docs/a b+c.txt"
s3.put_object(Bucket=bucket, Key=key, Body=b"from boto3 with SigV2", ContentType="text/plain", Metadata={"reviewer": "joe"})
got = s3.get_object(Bucket=bucket, Key=key)
assert got["Body"].read() == b"from boto3 with SigV2", "get_object body"
assert {k.lower(): v for k, v in got["Metadata"].items()} == {"reviewer": "joe"}, got["Metadata"]
assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == [key]
assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="docs/")["Contents"]] == [key]
s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == [{"Key": "k", "Value": "v"}]
up = s3.create_multipart_upload(Bucket=bucket, Key="multi")
part = s3.upload_part(Bucket=bucket, Key="multi", UploadId=up["UploadId"], PartNumber=1, Body=b"m" * 1000)
s3.complete_multipart_upload(Bucket=bucket, Key="multi", UploadId=up["UploadId"],
                             MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})
assert s3.head_object(Bucket=bucket, Key="multi")["ContentLength"] == 1000
s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "multi"}]})
s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
s3.delete_object(Bucket=bucket, Key="gone")
try:
    s3.head_object(Bucket=bucket, Key="gone")
    raise SystemExit("gone is still there")
except s3.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "404", e.response
print(s3.generate_presigned_url("get_object", ExpiresIn=300,
      Params={"Bucket": bucket, "Key": key, "ResponseContentDisposition": 'attachment; filename="a b.txt"'}))
`

func TestBoto3WithSignatureVersion2(t *testing.T) {
	t.Parallel()
	bucket := bucketName(t)
	url := strings.TrimSpace(python(t, boto3SigV2Script, bucket))
	if !strings.Contains(url, "AWSAccessKeyId=") || !strings.Contains(url, "Signature=") {
		t.Fatalf("boto3 presigned %q, want a SigV2 URL", url)
	}
	got, _ := mustGet(t, rootClient(), bucket, "docs/a b+c.txt", "")
	if string(got) != "from boto3 with SigV2" {
		t.Errorf("the SDK reads %q", got)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := send(t, req)
	if r.Status != http.StatusOK || string(r.Body) != "from boto3 with SigV2" ||
		r.Header.Get("Content-Disposition") != `attachment; filename="a b.txt"` {
		t.Errorf("GET of boto3's SigV2 presigned URL: %s, Content-Disposition %q", r, r.Header.Get("Content-Disposition"))
	}
}

func TestAwsCLIv1PresignsWithSigV2(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	home := t.TempDir()
	version, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Skipf("aws --version: %v: %s", err, version)
	}
	if !strings.HasPrefix(string(version), "aws-cli/1.") {
		t.Skipf("%s presigns with SigV4; the SigV2 presign case is covered with boto3", strings.TrimSpace(string(version)))
	}
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "cli/x y.txt", []byte("presigned by the aws CLI"))
	cmd := exec.CommandContext(t.Context(), bin, "--endpoint-url", sharedSrv.S3URL, "s3", "presign", "s3://"+bucket+"/cli/x y.txt", "--expires-in", "300")
	cmd.Env = cleanAWSEnv(home)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws s3 presign: %v", err)
	}
	url := strings.TrimSpace(string(out))
	if !strings.Contains(url, "AWSAccessKeyId=") {
		t.Fatalf("aws s3 presign printed %q, want a SigV2 URL", url)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := send(t, req); r.Status != http.StatusOK || string(r.Body) != "presigned by the aws CLI" {
		t.Errorf("GET of the aws CLI's presigned URL: %s", r)
	}
}

// boto3PresignedPostScript prints generate_presigned_post's url and fields
// as JSON, signed with the given signature version.
const boto3PresignedPostScript = `
import json, sys
import boto3
from botocore.config import Config

endpoint, bucket, version = sys.argv[1], sys.argv[2], sys.argv[3]
s3 = boto3.client("s3", endpoint_url=endpoint, config=Config(signature_version=version, s3={"addressing_style": "path"}))
post = s3.generate_presigned_post(bucket, "uploads/${filename}",
    Fields={"success_action_status": "201", "Content-Type": "text/plain", "x-amz-meta-origin": "boto3"},
    Conditions=[{"success_action_status": "201"}, {"Content-Type": "text/plain"}, {"x-amz-meta-origin": "boto3"},
                ["starts-with", "$key", "uploads/"], ["content-length-range", 1, 1024]],
    ExpiresIn=300)
print(json.dumps(post))
`

func TestBoto3PresignedPostUploads(t *testing.T) {
	t.Parallel()
	c := rootClient()
	for _, version := range []string{"s3v4", "s3"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			bucket := newBucket(t, c)
			var post struct {
				URL    string            `json:"url"`
				Fields map[string]string `json:"fields"`
			}
			if err := json.Unmarshal([]byte(python(t, boto3PresignedPostScript, bucket, version)), &post); err != nil {
				t.Fatal(err)
			}
			if _, v4 := post.Fields["x-amz-signature"]; v4 != (version == "s3v4") {
				t.Fatalf("boto3 %s signed the form with fields %v", version, post.Fields)
			}
			var fields []formField
			for name, value := range post.Fields {
				fields = append(fields, formField{name, value})
			}
			file := []byte("uploaded by a form boto3 signed")
			r := postForm(t, post.URL, fields, "note.txt", file)
			if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), "<Key>uploads/note.txt</Key>") {
				t.Fatalf("POST of boto3's form: %s", r)
			}
			got, head := mustGet(t, c, bucket, "uploads/note.txt", "")
			if !bytes.Equal(got, file) || aws.ToString(head.ContentType) != "text/plain" || head.Metadata["origin"] != "boto3" {
				t.Errorf("stored %q, type %q, metadata %v", got, aws.ToString(head.ContentType), head.Metadata)
			}
			r = postForm(t, post.URL, fields, "big.txt", bytes.Repeat([]byte("x"), 2000))
			wantRaw(t, "a file over the policy's range", r, http.StatusBadRequest, "EntityTooLarge")
			_, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/big.txt")})
			wantErr(t, "HeadObject of the refused upload", err, http.StatusNotFound, "")
		})
	}
}
