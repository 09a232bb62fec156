package mapicall

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeMAPI answers the login steps for root/secret and, on every other
// endpoint, checks the bearer token and CSRF pair before calling next.
func fakeMAPI(t *testing.T, setCookie bool, next http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ui/auth/realms/vsp-object/protocol/openid-connect/token", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("grant_type") != "password" || r.FormValue("username") != "root" || r.FormValue("password") != "secret" {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"tok-1"}`))
	})
	mux.HandleFunc("GET /mapi/v1/csrf", func(w http.ResponseWriter, r *http.Request) {
		if setCookie {
			http.SetCookie(w, &http.Cookie{Name: "XSRF-TOKEN", Value: "xsrf-1"})
		}
	})
	mux.HandleFunc("POST /mapi/v1/", func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie("XSRF-TOKEN")
		if r.Header.Get("Authorization") != "Bearer tok-1" || err != nil || ck.Value != "xsrf-1" ||
			r.Header.Get("X-XSRF-TOKEN") != "xsrf-1" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "not authenticated", http.StatusForbidden)
			return
		}
		next(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestPostSendsTheTokenAndCSRFPairAndDecodesTheAnswer(t *testing.T) {
	srv := fakeMAPI(t, true, func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"echo":"` + r.URL.Path + " " + in["name"] + `"}`))
	})
	c, err := Login(context.Background(), srv.Client(), srv.URL, "root", "secret")
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Echo string }
	if err := c.Post(context.Background(), "thing/create", map[string]string{"name": "b1"}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Echo != "/mapi/v1/thing/create b1" {
		t.Errorf("answer = %q, want the endpoint and the body's name", out.Echo)
	}
}

func TestErrorsSayWhichStepFailedAndCarryTheBody(t *testing.T) {
	srv := fakeMAPI(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"bucket not found"}`, http.StatusNotFound)
	})
	ctx := context.Background()
	if _, err := Login(ctx, srv.Client(), srv.URL, "root", "wrong"); err == nil || !strings.Contains(err.Error(), "token: 401") {
		t.Errorf("login with a wrong password = %v; want a token error with the status", err)
	}
	c, err := Login(ctx, srv.Client(), srv.URL, "root", "secret")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Post(ctx, "jobs/create", map[string]any{}, nil)
	if err == nil || !strings.Contains(err.Error(), "jobs/create: 404 Not Found") || !strings.Contains(err.Error(), "bucket not found") {
		t.Errorf("Post to a failing endpoint = %v; want the endpoint, status and body", err)
	}
}

func TestLoginFailsWithoutAnXSRFCookie(t *testing.T) {
	srv := fakeMAPI(t, false, nil)
	if _, err := Login(context.Background(), srv.Client(), srv.URL, "root", "secret"); err == nil || !strings.Contains(err.Error(), "no XSRF-TOKEN cookie") {
		t.Errorf("Login = %v; want it to say the cookie is missing", err)
	}
}

func TestWaitJobPollsUntilTheJobEndsAndShowsEveryStatus(t *testing.T) {
	states := []string{"EXAMINING", "RUNNING", "COMPLETE", "RUNNING"}
	var polls atomic.Int32
	srv := fakeMAPI(t, true, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/mapi/v1/jobs/create":
			_, _ = w.Write([]byte(`{"jobStatus":{"jobId":{"id":7},"jobState":"EXAMINING"}}`))
		case "/mapi/v1/jobs/status":
			var in struct {
				JobID struct{ ID int32 } `json:"jobId"`
			}
			_ = json.NewDecoder(r.Body).Decode(&in)
			if in.JobID.ID != 7 {
				http.Error(w, "no such job", http.StatusNotFound)
				return
			}
			state := states[polls.Add(1)-1]
			_, _ = w.Write([]byte(`{"status":{"jobId":{"id":7},"jobState":"` + state + `","jobStats":{"processed":3,"skipped":1}}}`))
		}
	})
	ctx := context.Background()
	c, err := Login(ctx, srv.Client(), srv.URL, "root", "secret")
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateJob(ctx, "BATCH_REPLICATE", "b1")
	if err != nil || created.JobID.ID != 7 {
		t.Fatalf("CreateJob = %+v, %v; want job 7", created, err)
	}
	var seen []string
	st, err := c.WaitJob(ctx, created.JobID.ID, time.Millisecond, func(s JobStatus) { seen = append(seen, s.JobState) })
	if err != nil {
		t.Fatal(err)
	}
	if st.JobState != "COMPLETE" || st.JobStats.Processed != 3 || st.JobStats.Skipped != 1 {
		t.Errorf("final status = %+v; want COMPLETE with 3 processed, 1 skipped", st)
	}
	if got := strings.Join(seen, " "); got != "EXAMINING RUNNING COMPLETE" {
		t.Errorf("seen %q; want every status up to the end and no poll after it", got)
	}
}

func TestWaitJobStopsWhenTheContextEnds(t *testing.T) {
	srv := fakeMAPI(t, true, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"status":{"jobState":"RUNNING"}}`))
	})
	c, err := Login(context.Background(), srv.Client(), srv.URL, "root", "secret")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.WaitJob(ctx, 1, 5*time.Millisecond, nil); err == nil {
		t.Error("WaitJob on a job that never ends returned without an error")
	}
}
