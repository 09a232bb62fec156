package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func newEventsCmd(g *globalFlags) *cobra.Command {
	var (
		since, start, end, eventType, user string
		q                                  mapiclient.EventQuery
	)
	cmd := &cobra.Command{
		Use:   "events [--since 1h | --start TIME --end TIME] [--severity S] [--category C] [--type T] [--user NAME|ID] [--count N] [--gms]",
		Short: "Show the event log (the audit log): jobs, users, keys, targets, bucket configurations, logins",
		Long: `Show the server's events, newest first: jobs created, ended and cancelled,
users and S3 keys created and deleted, replication targets and bucket
configurations changed, logins refused and lockouts. An admin sees every
event; any other user those about itself, its buckets, jobs, keys and
targets.

Times are RFC 3339 (2026-03-01T12:00:00Z, or with an offset), a date
(2026-03-01), or without a zone (UTC). --since takes a duration back from
now: 90m, 1h, 7d.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if q.Start, q.End, err = eventWindow(since, start, end, time.Now()); err != nil {
				return err
			}
			if q.EventTypeID, err = eventTypeID(eventType); err != nil {
				return err
			}
			if q.Count < 0 || q.Count > 1000 {
				return fmt.Errorf("--count %d: want 1 to 1000", q.Count)
			}
			q.Severity, q.Category = strings.ToUpper(q.Severity), strings.ToUpper(q.Category)
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				if user != "" {
					if q.UserID, err = eventUser(cmd.Context(), c, user); err != nil {
						return err
					}
				}
				evs, err := c.Events(cmd.Context(), q)
				if err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), map[string]any{"events": evs})
				}
				return printEventTable(cmd.OutOrStdout(), evs)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "only events of the last DURATION (90m, 1h, 7d)")
	f.StringVar(&start, "start", "", "only events at or after TIME")
	f.StringVar(&end, "end", "", "only events at or before TIME")
	f.StringVar(&q.Severity, "severity", "", "only events of this severity: INFO, WARNING, SEVERE")
	f.StringVar(&q.Category, "category", "", "only events of this category: JOB, USER, CREDENTIALS, REPLICATION, BUCKET, SECURITY, CERTIFICATE")
	f.StringVar(&eventType, "type", "", "only events of this type: its id (20101) or name (JOB_CREATED)")
	f.StringVar(&user, "user", "", "only events about or by this user (a name or an id; another user's: admins only)")
	f.IntVar(&q.Count, "count", 0, "how many events at most (server default 100, max 1000)")
	f.BoolVar(&q.GMS, "gms", false, "only the management layer's events (system/gms_events): users, keys, logins")
	return cmd
}

// eventWindow turns --since, or --start and --end, into the times asked.
func eventWindow(since, start, end string, now time.Time) (from, to time.Time, err error) {
	if since != "" {
		if start != "" || end != "" {
			return from, to, fmt.Errorf("--since goes with neither --start nor --end")
		}
		d, err := parseSince(since)
		if err != nil {
			return from, to, err
		}
		return now.Add(-d), time.Time{}, nil
	}
	if from, err = parseCLITime("--start", start); err != nil {
		return from, to, err
	}
	if to, err = parseCLITime("--end", end); err != nil {
		return from, to, err
	}
	if !from.IsZero() && !to.IsZero() && from.After(to) {
		return from, to, fmt.Errorf("--start %s is after --end %s", start, end)
	}
	return from, to, nil
}

// parseSince reads a duration back from now: Go's (90m, 1h30m) or days (7d).
func parseSince(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("--since %q: want a positive duration such as 90m, 1h or 7d", s)
}

// parseCLITime reads --start or --end; the zero time when empty.
func parseCLITime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: want a time such as 2026-03-01T12:00:00Z or a date such as 2026-03-01", flag, s)
}

// eventTypeID reads --type: an id, or a type's name in any case.
func eventTypeID(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	if id, err := strconv.Atoi(s); err == nil && id > 0 {
		return id, nil
	}
	for _, t := range events.Types() {
		if strings.EqualFold(t.Name, s) {
			return t.ID, nil
		}
	}
	return 0, fmt.Errorf("--type %q: want an event type id or name such as JOB_CREATED (see docs/MAPI.md)", s)
}

// eventUser reads --user: an id as is; a name is the caller's own, or
// (for admins, who may list users) looked up.
func eventUser(ctx context.Context, c *mapiclient.Client, arg string) (int64, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	me, err := c.UserInfo(ctx)
	if err != nil {
		return 0, err
	}
	if strings.EqualFold(me.Username, arg) {
		return me.ID.ID, nil
	}
	id, _, err := resolveUser(ctx, c, arg)
	return id, err
}

// printEventTable writes events one per line, newest first.
func printEventTable(w io.Writer, evs []mapiclient.Event) error {
	names := map[string]string{}
	for _, t := range events.Types() {
		names[strconv.Itoa(t.ID)] = t.Name
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "TIME\tSEVERITY\tTYPE\tSUBJECT\tBY\tMESSAGE")
	for _, e := range evs {
		typ := e.EventTypeID
		if name, ok := names[typ]; ok {
			typ = name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Timestamp, e.Severity, typ, e.Subject, orDash(e.Actor), e.Message)
	}
	return tw.Flush()
}
