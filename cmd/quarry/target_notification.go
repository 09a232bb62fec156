package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func newNotificationTargetCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notification",
		Short: "Manage notification targets: where buckets' events are delivered",
		Long: `A notification target is where a bucket's events go: a webhook URL that
every event is POSTed to as JSON. A bucket's notification configuration
names a target by its ARN in QueueConfiguration/Queue.

A target belongs to the user who adds it. Its owner and admins may use it;
an admin may grant it to other users (--grant, --grant-all, and the access
command). A bucket sends events to a target only while the bucket's owner
may use it. Users see only the targets they may use.`,
	}
	cmd.AddCommand(
		newNotificationAddCmd(g),
		newNotificationListCmd(g),
		newAccessCmd(g, `A bucket whose owner loses the grant stops sending the target events: each
new event fails with the reason, and nothing is sent.`, notificationKind{}),
		newTargetRmCmd(g, notificationKind{}, "Remove a notification target that no bucket's notification configuration names"),
		newTargetTestCmd(g, notificationKind{}, "Send a target a test event",
			`Send a target one s3:TestEvent message. Prints "ok", or the server's reason
(unreachable, the HTTP status the webhook answered) and exits 1.`),
	)
	return cmd
}

func newNotificationAddCmd(g *globalFlags) *cobra.Command {
	var (
		req       mapiclient.CreateNotificationTargetRequest
		authStdin bool
		noTest    bool
	)
	cmd := &cobra.Command{
		Use:   "add --name N --endpoint URL [--authorization-stdin] [--insecure-skip-verify] [--grant USER,... | --grant-all] [--no-test]",
		Short: "Add a webhook notification target, tested first; prints its ARN",
		Long: `Add a webhook notification target and test it as "target notification test"
does: the webhook must take an s3:TestEvent message (answer 2xx). A target
that fails the test is removed again, and the command says why and exits 1.
With --no-test the target is kept untested (its webhook may not be up yet),
with a warning: test it later with "quarry target notification test NAME".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Name == "" {
				return errors.New("--name is required")
			}
			if req.Endpoint == "" {
				return errors.New("--endpoint is required")
			}
			if authStdin {
				if req.Authorization != "" {
					return errors.New("give at most one of --authorization and --authorization-stdin")
				}
				value, err := readStdinSecret(cmd.InOrStdin(), "--authorization-stdin")
				if err != nil {
					return err
				}
				req.Authorization = value
			}
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				t, err := c.CreateNotificationTarget(cmd.Context(), req)
				if err != nil {
					return err
				}
				if err := testNewTarget(cmd, c, notificationKind{}, t.Name, t.ARN, noTest); err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), map[string]any{"target": t})
				}
				return printNotificationTable(cmd.OutOrStdout(), []mapiclient.NotificationTarget{*t})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "a name for the target, unique on this server")
	f.StringVar(&req.Endpoint, "endpoint", "", "the webhook URL events are POSTed to, e.g. https://hooks.example.com/quarry")
	f.StringVar(&req.Authorization, "authorization", "", "Authorization header value sent with every event (visible in the process list: prefer --authorization-stdin)")
	f.BoolVar(&authStdin, "authorization-stdin", false, "read the Authorization header value from the first line of standard input")
	f.BoolVar(&req.InsecureSkipVerify, "insecure-skip-verify", false, "let the server accept any TLS certificate of the webhook")
	f.StringSliceVar(&req.Users, "grant", nil, "usernames of the users who may use the target besides you (admins only)")
	f.BoolVar(&req.AllUsers, "grant-all", false, "let every user use the target (admins only)")
	f.BoolVar(&noTest, "no-test", false, "keep the target without testing it (a warning says so)")
	return cmd
}

func newNotificationListCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List notification targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				targets, err := c.ListNotificationTargets(cmd.Context())
				if err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), map[string]any{"targets": targets})
				}
				return printNotificationTable(cmd.OutOrStdout(), targets)
			})
		},
	}
}

// notificationKind is the shared commands' view of notification targets.
type notificationKind struct{}

func (notificationKind) noun() string    { return "notification target" }
func (notificationKind) command() string { return "quarry target notification" }

func (notificationKind) test(ctx context.Context, c *mapiclient.Client, arn string) error {
	return c.TestNotificationTarget(ctx, arn)
}

func (notificationKind) remove(ctx context.Context, c *mapiclient.Client, arn string) error {
	return c.DeleteNotificationTarget(ctx, arn)
}

func notificationView(t *mapiclient.NotificationTarget) grantsView {
	return grantsView{ARN: t.ARN, Name: t.Name, Owner: t.Owner, AllUsers: t.AllUsers, Users: t.Users, JSON: t}
}

func (notificationKind) list(ctx context.Context, c *mapiclient.Client) ([]grantsView, error) {
	targets, err := c.ListNotificationTargets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]grantsView, len(targets))
	for i := range targets {
		out[i] = notificationView(&targets[i])
	}
	return out, nil
}

func (notificationKind) update(ctx context.Context, c *mapiclient.Client, arn string, access mapiclient.TargetAccess) (grantsView, error) {
	t, err := c.UpdateNotificationTargetAccess(ctx, arn, access)
	if err != nil {
		return grantsView{}, err
	}
	return notificationView(t), nil
}

func printNotificationTable(w io.Writer, targets []mapiclient.NotificationTarget) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ARN\tNAME\tTYPE\tENDPOINT\tAUTHORIZATION\tOWNER\tACCESS")
	for i := range targets {
		t := &targets[i]
		auth := "none"
		if t.HasAuthHeader {
			auth = "set"
		}
		v := notificationView(t)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ARN, t.Name, t.Type, t.Endpoint, auth, targetOwner(v), targetAccess(v))
	}
	return tw.Flush()
}
