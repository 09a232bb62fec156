package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
)

// scannedSetting names the setting that records the last lifecycle day a
// bucket's scan was started for.
func scannedSetting(bucket string) string { return "lifecycle.scanned." + bucket }

// ScannerConfig configures a Scanner.
type ScannerConfig struct {
	Meta meta.Store
	// Day is the length of a lifecycle day (default DefaultDay).
	Day time.Duration
	// Wake, if set, is called after jobs were scheduled (the job engine's
	// Wake), so they start at once rather than at the engine's next poll.
	Wake func()
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// Scanner applies every bucket's lifecycle rules once a lifecycle day: at
// the start of each day it schedules a LIFECYCLE_UPDATE job for each
// bucket with a configuration (a configuration put during a day is first
// applied the next day, as S3 does). The jobs are ordinary durable jobs, so the
// scan of a bucket is checkpointed (a crash resumes it where it stopped),
// is run by one node at a time (the job's lease), can be watched and
// cancelled like any job, and shows what it did. A bucket is scheduled
// once per day across every node sharing the metadata store: the day is
// recorded in the transaction that creates the job.
type Scanner struct {
	cfg ScannerConfig
}

// NewScanner returns a Scanner.
func NewScanner(cfg ScannerConfig) *Scanner {
	if cfg.Day <= 0 {
		cfg.Day = DefaultDay
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Scanner{cfg: cfg}
}

// tick is how often the scanner looks for buckets to schedule: often
// enough to start a day's scan soon after the day begins.
func (s *Scanner) tick() time.Duration {
	return min(max(s.cfg.Day/20, 50*time.Millisecond), time.Minute)
}

// Run schedules scans until ctx ends.
func (s *Scanner) Run(ctx context.Context) error {
	t := time.NewTicker(s.tick())
	defer t.Stop()
	for {
		if _, err := s.ScheduleDue(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("lifecycle scanner", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// dayOf numbers the lifecycle day t falls in, counted from the Unix epoch
// (so with 24-hour days a day starts at midnight UTC).
func (s *Scanner) dayOf(t time.Time) int64 { return t.UnixNano() / int64(s.cfg.Day) }

// ScheduleDue schedules today's scan of every bucket with a lifecycle
// configuration that has none yet, and returns how many it scheduled. A
// bucket whose LIFECYCLE_UPDATE job is still active is left for the next
// tick: that job is doing the work.
func (s *Scanner) ScheduleDue(ctx context.Context) (int, error) {
	today := s.dayOf(s.cfg.Now())
	var buckets []meta.Bucket
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		buckets, err = tx.ListBuckets(0)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("list buckets: %w", err)
	}
	scheduled := 0
	for _, b := range buckets {
		if len(b.Lifecycle) == 0 {
			continue
		}
		ok, err := s.schedule(ctx, b.Name, today)
		if err != nil {
			return scheduled, fmt.Errorf("schedule lifecycle scan of %s: %w", b.Name, err)
		}
		if ok {
			scheduled++
		}
	}
	if scheduled > 0 && s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	return scheduled, nil
}

// schedule creates the day's job for bucket unless one was created for
// that day already, in one transaction with the record of the day.
func (s *Scanner) schedule(ctx context.Context, bucket string, day int64) (bool, error) {
	var created *meta.Job
	err := s.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		created = nil
		last, err := tx.GetSetting(scannedSetting(bucket))
		switch {
		case errors.Is(err, meta.ErrNotFound):
			// A configuration first seen today is applied from the next
			// day on, as S3 applies new rules at the next midnight; a
			// LIFECYCLE_UPDATE job applies it at once.
			return tx.PutSetting(scannedSetting(bucket), strconv.FormatInt(day, 10))
		case err != nil:
			return err
		default:
			if n, err := strconv.ParseInt(last, 10, 64); err == nil && n >= day {
				return nil
			}
		}
		b, err := tx.GetBucket(bucket)
		if errors.Is(err, meta.ErrNotFound) || err == nil && len(b.Lifecycle) == 0 {
			return nil // deleted or unconfigured since the listing
		}
		if err != nil {
			return err
		}
		j := &meta.Job{
			Type: job.TypeLifecycleUpdate, Bucket: bucket, OwnerID: b.OwnerID,
			Params: map[string]string{}, State: meta.JobExamining, CreatedAt: s.cfg.Now().UTC(),
			Message: fmt.Sprintf("started by the lifecycle scanner for lifecycle day %d", day),
		}
		if err := tx.CreateJob(j); err != nil {
			return err
		}
		created = j
		return tx.PutSetting(scannedSetting(bucket), strconv.FormatInt(day, 10))
	})
	var active *meta.ActiveJobError
	if errors.As(err, &active) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if created != nil {
		s.cfg.Logger.Info("lifecycle scan scheduled", "bucket", bucket, "job", created.ID, "day", day)
	}
	return created != nil, nil
}
