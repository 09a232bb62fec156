package events

import (
	"context"
	"fmt"
	"time"
)

// flood is one source's window of RecordFlood.
type flood struct {
	// ends is when the window closes: until then occurrences are counted.
	ends time.Time
	// pending counts the occurrences since the last write, first and last
	// their times, event the latest of them.
	pending     int64
	first, last time.Time
	event       Event
}

func (f *flood) add(e Event) {
	if f.pending == 0 {
		f.first = e.Time
	}
	f.pending++
	f.last = e.Time
	f.event = e
}

// summary is the one event that stands for the pending occurrences.
func (f *flood) summary() Event {
	e := f.event
	e.Count, e.Time = f.pending, f.last
	if f.pending > 1 {
		e.Message = fmt.Sprintf("%s (%d times from %s to %s)", e.Message, f.pending,
			f.first.Format(time.RFC3339), f.last.Format(time.RFC3339))
	}
	return e
}

// RecordFlood records e, an occurrence from source key (a username and an
// address, say), writing at most one event per source per FloodWindow: the
// first occurrence is written at once and opens a window, and those that
// follow are counted and written as one event with their count when the
// window closes, which opens the next. A flood from one source thus costs
// one row a minute, however fast it comes, and an occurrence is never
// dropped uncounted. Past FloodKeys sources, new ones are counted together
// per event type, in events that concern no user (admins see them).
//
// Write errors are logged: the caller (a refused login) has nothing better
// to do with them.
func (l *Log) RecordFlood(ctx context.Context, key string, e Event) {
	if l == nil {
		return
	}
	now := l.now()
	e.Time = now
	l.mu.Lock()
	f, ok := l.floods[key]
	if !ok && len(l.floods) >= l.cfg.FloodKeys {
		key, e = overflow(e, l.cfg.FloodKeys)
		f, ok = l.floods[key]
	}
	var write []Event
	switch {
	case !ok:
		l.floods[key] = &flood{ends: now.Add(l.cfg.FloodWindow)}
		write = append(write, e)
	case now.Before(f.ends):
		f.add(e)
	default:
		// The window closed before Run came by: this occurrence closes it.
		f.add(e)
		write = append(write, f.summary())
		*f = flood{ends: now.Add(l.cfg.FloodWindow)}
	}
	l.mu.Unlock()
	l.write(ctx, write)
}

// overflow is the key and event that count e when too many sources are
// remembered already.
func overflow(e Event, limit int) (string, Event) {
	return fmt.Sprintf("\x00overflow/%d", e.Type.ID), Event{
		Type:    e.Type,
		Subject: "",
		Message: fmt.Sprintf("%s events from sources past the %d told apart", e.Type.Name, limit),
		Time:    e.Time,
	}
}

// flushFloods writes the pending counts of the windows closed at now (of
// every window, for the zero now), opening a next window for those that
// had any, and forgets the windows that stayed quiet.
func (l *Log) flushFloods(ctx context.Context, now time.Time) {
	var write []Event
	l.mu.Lock()
	for key, f := range l.floods {
		if !now.IsZero() && now.Before(f.ends) {
			continue
		}
		if f.pending == 0 {
			delete(l.floods, key)
			continue
		}
		write = append(write, f.summary())
		*f = flood{ends: now.Add(l.cfg.FloodWindow)}
	}
	l.mu.Unlock()
	l.write(ctx, write)
}

func (l *Log) write(ctx context.Context, es []Event) {
	for _, e := range es {
		if err := l.Record(ctx, e); err != nil {
			l.cfg.Logger.Warn("record event", "type", e.Type.Name, "subject", e.Subject, "err", err)
		}
	}
}
