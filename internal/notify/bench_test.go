package notify_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/job/jobtest"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/notify"
	"github.com/quarrylabs/quarry/internal/notify/webhook"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/storetest"
)

// BenchmarkBackFill times a TRIGGER_RECONCILIATION ALL per event, to a
// receiver in this process that answers at once: the job's own cost.
func BenchmarkBackFill(b *testing.B) {
	const objects = 5000
	b.StopTimer()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()
	store, blobs := storetest.Open(b)
	svc := notify.NewService(notify.ServiceConfig{Meta: store, Sealer: storetest.Sealer(b),
		Types: map[string]notify.TargetType{"webhook": webhook.Type{}}, Logger: quiet()})
	err := store.Update(b.Context(), func(tx meta.Tx) error {
		if err := tx.CreateBucket(&meta.Bucket{Name: "photos", OwnerID: 1, CreatedAt: time.Now()}); err != nil {
			return err
		}
		for i := range objects {
			v := &meta.Version{Bucket: "photos", Key: fmt.Sprintf("k%06d", i), VersionID: meta.NullVersion, IsLatest: true,
				Size: 10, ETag: "e", LastModified: time.Now(), Segments: []meta.Segment{{BlobID: "x", Size: 10}}}
			if err := tx.PutVersion(v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	tg, err := svc.CreateTarget(b.Context(), alice, notify.TargetInput{Name: "hook", Endpoint: recv.URL})
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.PutBucketNotification(b.Context(), alice, "photos", &notify.Config{Queues: []notify.Queue{
		{ID: "all", TargetARN: tg.ARN, Events: []string{"s3:ObjectCreated:*"}}}}); err != nil {
		b.Fatal(err)
	}
	sig := jobtest.NewSignals()
	e := job.New(job.Config{Meta: store, Blobs: blobs, Objects: object.New(object.Config{Meta: store, Blobs: blobs}),
		Logger: quiet(), Signal: sig.Record, Poll: 10 * time.Millisecond},
		notify.NewReconciliation(notify.ReconConfig{Service: svc}))
	ctx := b.Context()
	go func() { _ = e.Run(ctx) }()
	b.StartTimer()
	for b.Loop() {
		j, err := e.Create(ctx, jobtest.Admin, job.TypeTriggerReconciliation, "photos", map[string]string{"mode": "ALL"})
		if err != nil {
			b.Fatal(err)
		}
		for {
			got, err := e.Get(ctx, jobtest.Admin, j.ID)
			if err != nil {
				b.Fatal(err)
			}
			if got.State.Terminal() {
				if got.Stats.Processed != objects {
					b.Fatalf("job %s processed %d", got.State, got.Stats.Processed)
				}
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*objects), "ns/event")
}
