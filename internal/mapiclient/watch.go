package mapiclient

import (
	"context"
	"time"
)

// WatchJob polls the job's status every interval, calls fn with each
// status (the first at once), and returns the status in which the job
// ended. It stops early with ctx's error or the first failed poll.
func (c *Client) WatchJob(ctx context.Context, id int32, interval time.Duration, fn func(*JobStatus)) (*JobStatus, error) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		st, err := c.JobStatus(ctx, id)
		if err != nil {
			return nil, err
		}
		if fn != nil {
			fn(st)
		}
		if st.Terminal() {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ticker.C:
		}
	}
}
