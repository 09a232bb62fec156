package job

import (
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// jobEvent is the event of type t about j, done by actor (the zero Actor:
// the engine itself). It concerns the bucket's owner, who may see the job.
func jobEvent(t events.Type, j *meta.Job, actor events.Actor, now time.Time, what string) events.Event {
	return events.Event{
		Type:    t,
		Subject: fmt.Sprintf("job/%d", j.ID),
		Message: fmt.Sprintf("%s job %d on bucket %s %s", j.Type, j.ID, j.Bucket, what),
		Actor:   actor,
		OwnerID: j.OwnerID,
		Time:    now,
	}
}

// endedEvent is the event of a job that reached its terminal state.
func endedEvent(j *meta.Job, actor events.Actor, now time.Time) events.Event {
	s := j.Stats
	switch j.State {
	case meta.JobComplete:
		return jobEvent(events.JobCompleted, j, actor, now, fmt.Sprintf(
			"ended COMPLETE: processed %d, failed %d, skipped %d of %d", s.Processed, s.Failed, s.Skipped, s.Total))
	case meta.JobFailed:
		return jobEvent(events.JobFailed, j, actor, now, "ended FAILED: "+j.Message)
	}
	what := "ended CANCELLED"
	if actor.Name != "" {
		what += ", cancelled by " + actor.Name
	}
	return jobEvent(events.JobCancelled, j, actor, now, what)
}
