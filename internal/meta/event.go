package meta

import "time"

// Event is one entry of the server's event log, which is also its audit
// log: what happened (a job ended, a user was created, a login was
// refused), to what, by whom, and whom it concerns. Rows are appended and
// never changed; they are removed only by retention.
type Event struct {
	// ID is set by AppendEvent; it grows with every append.
	ID   int64
	Time time.Time
	// TypeID, Category and Severity come from the event type table (see
	// package events); they are stored so that a row reads the same
	// whatever a later build's table says.
	TypeID   int
	Category string
	Severity string
	// GMS marks events of the global management layer (users, keys,
	// logins), which system/gms_events serves.
	GMS bool
	// Subject names what the event is about ("job/17", "user/alice").
	Subject string
	Message string
	// ActorID and ActorName are who did it; zero and "" for the server
	// itself or an unauthenticated client.
	ActorID   int64
	ActorName string
	// OwnerID is the user the event concerns (the owner of the bucket,
	// job, key or target, or the user itself); 0 when it concerns no one
	// user. A user who is not an admin sees only its own events.
	OwnerID int64
	// Count is how many occurrences the row stands for: 1, or more when a
	// flood of the same event (refused logins) was recorded once.
	Count int64
}

// EventFilter selects events for ListEvents. Zero fields do not filter.
type EventFilter struct {
	// Since and Until bound Time, both inclusive.
	Since, Until time.Time
	Severity     string
	Category     string
	TypeID       int
	// UserID selects events whose owner or actor is this user.
	UserID int64
	// OwnerID selects events owned by this user only (a non-admin's view).
	OwnerID int64
	// GMSOnly selects events with GMS set.
	GMSOnly bool
	Limit   int
}

// EventTx appends to and reads the event log.
type EventTx interface {
	// AppendEvent inserts e and sets e.ID. A zero Count is stored as 1.
	AppendEvent(e *Event) error
	// ListEvents lists events newest first: by Time descending, then ID
	// descending.
	ListEvents(f EventFilter) ([]Event, error)
	// DeleteEventsBefore removes up to limit events (a limit of zero or
	// less: all of them) whose Time is before t, oldest first, and
	// returns how many it removed.
	DeleteEventsBefore(t time.Time, limit int) (int, error)
}
