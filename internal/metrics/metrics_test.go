package metrics

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

func TestScrapeShowsRequestsJobsAndBucketUsage(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.Update(ctx, func(tx meta.Tx) error {
		if err := tx.CreateBucket(&meta.Bucket{Name: "photos", OwnerID: 1, CreatedAt: time.Now()}); err != nil {
			return err
		}
		if err := tx.AddUsage("photos", meta.Usage{Objects: 3, Bytes: 300, Versions: 4, VersionBytes: 400}); err != nil {
			return err
		}
		return tx.CreateJob(&meta.Job{Type: "METRIC_RECONCILIATION", Bucket: "photos", OwnerID: 1, State: meta.JobExamining, CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}

	m := New(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	m.ObserveS3("PutObject", 200, 3*time.Millisecond)
	m.ObserveMAPI("jobs/create", 409, time.Millisecond)
	m.JobProgress("METRIC_RECONCILIATION", 7, 2)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`quarry_s3_requests_total{operation="PutObject",status="200"} 1`,
		`quarry_s3_request_duration_seconds_count{operation="PutObject",status="200"} 1`,
		`quarry_mapi_requests_total{operation="jobs/create",status="409"} 1`,
		`quarry_job_objects_total{outcome="processed",type="METRIC_RECONCILIATION"} 7`,
		`quarry_job_objects_total{outcome="failed",type="METRIC_RECONCILIATION"} 2`,
		`quarry_jobs{state="EXAMINING",type="METRIC_RECONCILIATION"} 1`,
		`quarry_bucket_objects{bucket="photos"} 3`,
		`quarry_bucket_bytes{bucket="photos"} 300`,
		`quarry_bucket_versions{bucket="photos"} 4`,
		`quarry_bucket_version_bytes{bucket="photos"} 400`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}
