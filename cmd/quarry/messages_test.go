package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func TestRevokeTakesTheKeyAsValueOrArgument(t *testing.T) {
	tests := []struct {
		name     string
		args     []string // after "user credentials"
		wantKey  string
		revoking bool
		wantErr  string
	}{
		{"no flag generates a key", nil, "", false, ""},
		{"--revoke KEY", []string{"--revoke", "AKIA1"}, "AKIA1", true, ""},
		{"--revoke=KEY", []string{"--revoke=AKIA1"}, "AKIA1", true, ""},
		{"--revoke alone revokes every key", []string{"--revoke"}, "", true, ""},
		{"an empty key is refused", []string{"--revoke", ""}, "", false, "the access key is empty"},
		{"an empty --revoke= is refused", []string{"--revoke="}, "", false, "the access key is empty"},
		{"two keys are refused", []string{"--revoke=AKIA1", "AKIA2"}, "", false, "give one access key"},
		{"an argument without --revoke is refused", []string{"AKIA1"}, "", false, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := newUserCredentialsCmd(&globalFlags{})
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatalf("ParseFlags(%q): %v", tt.args, err)
			}
			value, _ := cmd.Flags().GetString("revoke")
			key, revoking, err := revokedKey(cmd.Flags().Changed("revoke"), value, cmd.Flags().Args())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || key != tt.wantKey || revoking != tt.revoking {
				t.Errorf("= %q, %v, %v; want %q, %v", key, revoking, err, tt.wantKey, tt.revoking)
			}
		})
	}
}

func TestFlagErrorsSayWhatTheFlagWants(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"user", "credentials", "--wait=yes"}, "unknown flag: --wait"},
		{[]string{"job", "create", "--wait=yes"}, `--wait takes no value (got "yes")`},
		{[]string{"job", "list", "--page-size", "ten"}, `--page-size "ten": want a whole number`},
		{[]string{"admin", "metrics-token", "--lifetime", "a year"}, `--lifetime "a year": want a duration`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			root := newRootCmd()
			root.SetArgs(tt.args)
			root.SetOut(&bytes.Buffer{})
			err := root.Execute()
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "usage: quarry ") {
				t.Fatalf("err = %v, want one saying %q with the usage", err, tt.want)
			}
			for _, raw := range []string{"strconv.", "ParseBool", "ParseInt", "time: "} {
				if strings.Contains(err.Error(), raw) {
					t.Errorf("the message shows Go's %q: %v", raw, err)
				}
			}
		})
	}
}

func TestATargetIsFoundByNameOrRefusedWithTheARNsItCouldBe(t *testing.T) {
	targets := []grantsView{
		{ARN: "arn:quarry:replication:us-east-1:1:photos-dr", Name: "dr"},
		{ARN: "arn:quarry:replication:us-east-1:2:logs", Name: "Logs"},
		{ARN: "arn:quarry:replication:us-east-1:3:logs", Name: "LOGS"},
		{ARN: "arn:quarry:replication:us-east-1:4:x", Name: "x"},
		{ARN: "arn:quarry:replication:us-east-1:5:x", Name: "X"},
	}
	tests := []struct{ name, arg, want, wantErr string }{
		{"an exact name", "dr", "arn:quarry:replication:us-east-1:1:photos-dr", ""},
		{"a name in another case", "DR", "arn:quarry:replication:us-east-1:1:photos-dr", ""},
		{"an exact name wins over names in other cases", "X", "arn:quarry:replication:us-east-1:5:x", ""},
		{"a name two targets answer to", "logs", "", "2 replication targets are named \"logs\"; give one of their ARNs: arn:quarry:replication:us-east-1:2:logs, arn:quarry:replication:us-east-1:3:logs"},
		{"no such name", "nope", "", `no replication target named "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := targetNamed(targets, replicationKind{}, tt.arg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("= %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestANotificationTargetNotFoundByNameSaysWhichCommandListsThem(t *testing.T) {
	hooks := []grantsView{{ARN: "arn:quarry:sqs:us-east-1:1:webhook", Name: "hooks"}}
	if got, err := targetNamed(hooks, notificationKind{}, "HOOKS"); err != nil || got != hooks[0].ARN {
		t.Errorf("HOOKS = %q, %v; want %s", got, err, hooks[0].ARN)
	}
	_, err := targetNamed(hooks, notificationKind{}, "nope")
	if want := `no notification target named "nope" (quarry target notification list shows`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestClientErrorsAreExplained(t *testing.T) {
	s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Server", "Quarry")
		w.Header().Set("X-Amz-Request-Id", "8DDA6AAA189C9ABC")
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
	}))
	defer s3.Close()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "<html><body>welcome</body></html>")
	}))
	defer html.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name     string
		endpoint string
		want     []string
	}{
		{"a login to the S3 port", s3.URL, []string{s3.URL + " is Quarry's S3 endpoint", "log in to the management API endpoint (default port 9001)"}},
		{"a web server that is not a MAPI", html.URL, []string{"did not answer as a Quarry management API does", "check --endpoint"}},
		{"nothing listening", closed.URL, []string{"cannot reach " + closed.URL, "connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mapiclient.New(tt.endpoint, mapiclient.Options{})
			err := explain(c, c.Login(t.Context(), "root", "secret"))
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to say %q", err, w)
				}
			}
			if err != nil && strings.Contains(err.Error(), "HTTP 403 Forbidden") {
				t.Errorf("the message is the bare status: %v", err)
			}
		})
	}
}

func TestADeletedUsersSessionIsExplainedAsSuch(t *testing.T) {
	c := mapiclient.New("http://127.0.0.1:9001", mapiclient.Options{})
	gone := &mapiclient.APIError{Status: 401, Code: "UNAUTHORIZED", Message: "Access was denied due to invalid credentials.",
		Details: "the token's user no longer exists"}
	err := explain(c, fmt.Errorf("jobs/list: %w", gone))
	if err == nil || !strings.Contains(err.Error(), "no longer exists") || strings.Contains(err.Error(), "expired") {
		t.Errorf("err = %v, want it to say the user no longer exists", err)
	}
	if !errors.Is(gone, mapiclient.ErrUserGone) {
		t.Error("the 401 of a deleted user's token is not an ErrUserGone")
	}
}

func TestJobStatusShowsThePhaseTheJobReports(t *testing.T) {
	var st mapiclient.JobStatus
	raw := `{"jobId":{"id":3},"jobState":"EXECUTING","jobType":"METRIC_RECONCILIATION","jobStats":{"processed":10,"failed":0,"total":10},
		"bucketName":"photos","result":{"phase":{"state":"EXECUTING","step":"checking blobs","unit":"blobs","done":4500,"total":10000,"estimated":true}}}`
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := printJobStatus(&out, &st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "PHASE      checking blobs: 4500 of ~10000 blobs\n") {
		t.Errorf("job status:\n%s", out.String())
	}
}

func TestSecretsReadFromStandardInputSayWhatIsMissing(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"a line", "s3cret\n", "s3cret", ""},
		{"a line without its end", "s3cret", "s3cret", ""},
		{"a Windows line end", "s3cret\r\n", "s3cret", ""},
		{"nothing at all", "", "", "standard input is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readSecretLine(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("= %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Setenv("QUARRY_PASSWORD", "")
	os.Unsetenv("QUARRY_PASSWORD")
	if _, err := readPassword(strings.NewReader(""), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "set QUARRY_PASSWORD") {
		t.Errorf("readPassword of nothing: %v", err)
	}
}
