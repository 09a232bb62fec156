package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func newTargetCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "target",
		Short: "Manage the targets buckets replicate to and send events to",
	}
	cmd.AddCommand(newReplicationTargetCmd(g), newNotificationTargetCmd(g))
	return cmd
}

func newReplicationTargetCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replication",
		Short: "Manage replication targets: buckets on remote S3 endpoints",
		Long: `A replication target is a bucket on a remote S3 endpoint (another Quarry,
or any S3-compatible store) with the credentials to write to it. A bucket's
replication configuration names a target by its ARN in Destination/Bucket.

A target belongs to the user who adds it. Its owner and admins may use it;
an admin may grant it to other users (--grant, --grant-all, and the access
command). A bucket replicates to a target only while the bucket's owner may
use it. Users see only the targets they may use.`,
	}
	cmd.AddCommand(
		newTargetAddCmd(g),
		newTargetListCmd(g),
		newAccessCmd(g, `A bucket whose owner loses the grant stops replicating to the target: each
new copy fails with the reason, and nothing is written there.`, replicationKind{}),
		newTargetRmCmd(g, replicationKind{}, "Remove a replication target that no bucket's replication configuration names"),
		newTargetTestCmd(g, replicationKind{},
			"Check that a target's endpoint answers, accepts its credentials and has its bucket",
			`Check that a target's endpoint answers, accepts its credentials and has
its bucket. Prints "ok", or the server's reason and exits 1.`),
	)
	return cmd
}

func newTargetAddCmd(g *globalFlags) *cobra.Command {
	var (
		req         mapiclient.CreateReplicationTargetRequest
		secretStdin bool
		noTest      bool
	)
	cmd := &cobra.Command{
		Use:   "add --name N --endpoint URL --bucket B --access-key AK (--secret-key SK | --secret-key-stdin) [--region R] [--insecure-skip-verify] [--grant USER,... | --grant-all] [--no-test]",
		Short: "Add a replication target, tested first; prints its ARN",
		Long: `Add a replication target and test it as "target replication test" does: its
endpoint must answer, accept the credentials and have the bucket. A target
that fails the test is removed again, and the command says why and exits 1.
With --no-test the target is kept untested (its endpoint may not be up
yet), with a warning: test it later with "quarry target replication test NAME".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []struct{ flag, value string }{
				{"--name", req.Name}, {"--endpoint", req.Endpoint}, {"--bucket", req.Bucket}, {"--access-key", req.AccessKey},
			} {
				if f.value == "" {
					return fmt.Errorf("%s is required", f.flag)
				}
			}
			if secretStdin == (req.SecretKey != "") {
				return errors.New("give exactly one of --secret-key and --secret-key-stdin")
			}
			if secretStdin {
				secret, err := readStdinSecret(cmd.InOrStdin(), "--secret-key-stdin")
				if err != nil {
					return err
				}
				req.SecretKey = secret
			}
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				t, err := c.CreateReplicationTarget(cmd.Context(), req)
				if err != nil {
					return err
				}
				if err := testNewTarget(cmd, c, replicationKind{}, t.Name, t.ARN, noTest); err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), map[string]any{"target": t})
				}
				return printTargetTable(cmd.OutOrStdout(), []mapiclient.ReplicationTarget{*t})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "a name for the target, unique on this server")
	f.StringVar(&req.Endpoint, "endpoint", "", "URL of the remote S3 endpoint, e.g. https://s3.example.com")
	f.StringVar(&req.Bucket, "bucket", "", "the bucket at the remote endpoint")
	f.StringVar(&req.Region, "region", "", "the remote endpoint's region (default us-east-1)")
	f.StringVar(&req.AccessKey, "access-key", "", "access key of the remote endpoint")
	f.StringVar(&req.SecretKey, "secret-key", "", "secret key of the remote endpoint (visible to other local users in the process list: prefer --secret-key-stdin)")
	f.BoolVar(&secretStdin, "secret-key-stdin", false, "read the secret key from the first line of standard input")
	f.BoolVar(&req.InsecureSkipVerify, "insecure-skip-verify", false, "let the server accept any TLS certificate of the remote endpoint")
	f.StringSliceVar(&req.Users, "grant", nil, "usernames of the users who may use the target besides you (admins only)")
	f.BoolVar(&req.AllUsers, "grant-all", false, "let every user use the target (admins only)")
	f.BoolVar(&noTest, "no-test", false, "keep the target without testing it (a warning says so)")
	return cmd
}

// testNewTarget tests a target of kind just added and, when the test
// fails, removes it again: a target whose endpoint refuses it (wrong
// credentials, no bucket, no webhook listening) would only make every
// delivery to it fail later. With noTest it only warns that the target is
// untested.
func testNewTarget(cmd *cobra.Command, c *mapiclient.Client, kind targetKind, name, arn string, noTest bool) error {
	noun, ctx := kind.noun(), cmd.Context()
	if noTest {
		fmt.Fprintf(cmd.ErrOrStderr(), "Warning: %s %s was not tested; test it with %s test %s\n", noun, name, kind.command(), name)
		return nil
	}
	testErr := kind.test(ctx, c, arn)
	if testErr == nil {
		return nil
	}
	var apiErr *mapiclient.APIError
	if !errors.As(testErr, &apiErr) || apiErr.Status != http.StatusBadRequest {
		// Not the test's verdict (the MAPI could not be asked): the
		// target stays, since nothing says it is wrong.
		return fmt.Errorf("%s %s (%s) was added, but it could not be tested: %w", noun, name, arn, explain(c, testErr))
	}
	if err := kind.remove(ctx, c, arn); err != nil {
		return fmt.Errorf("%s %s failed its test (%v), and removing it again failed too: %w; remove it with %s rm %s",
			noun, name, testErr, explain(c, err), kind.command(), arn)
	}
	return fmt.Errorf("%s %s was not added: %v (to keep it anyway, add it with --no-test)", noun, name, testErr)
}

// readStdinSecret reads the secret a --...-stdin flag (named by flag)
// takes from the first line of in; an empty one is refused.
func readStdinSecret(in io.Reader, flag string) (string, error) {
	secret, err := readSecretLine(in)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	if secret == "" {
		return "", fmt.Errorf("%s: the first line of standard input is empty", flag)
	}
	return secret, nil
}

func newTargetListCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List replication targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				targets, err := c.ListReplicationTargets(cmd.Context())
				if err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), map[string]any{"targets": targets})
				}
				return printTargetTable(cmd.OutOrStdout(), targets)
			})
		},
	}
}

// resolveTarget finds the ARN a command's argument means: an ARN as is,
// else the name of a target of the kind the caller may use (exactly, or
// else in any case). A name that several targets answer to is refused
// with their ARNs.
func resolveTarget(ctx context.Context, c *mapiclient.Client, kind targetKind, arg string) (string, error) {
	if strings.HasPrefix(arg, "arn:") {
		return arg, nil
	}
	targets, err := kind.list(ctx, c)
	if err != nil {
		return "", err
	}
	return targetNamed(targets, kind, arg)
}

// targetNamed picks the target named name among targets of kind.
func targetNamed(targets []grantsView, kind targetKind, name string) (string, error) {
	var exact, folded []string
	for _, t := range targets {
		switch {
		case t.Name == name:
			exact = append(exact, t.ARN)
		case strings.EqualFold(t.Name, name):
			folded = append(folded, t.ARN)
		}
	}
	matches := exact
	if len(matches) == 0 {
		matches = folded
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("no %s named %q (%s list shows the names and ARNs you may use)", kind.noun(), name, kind.command())
	case 1:
		return matches[0], nil
	}
	return "", fmt.Errorf("%d %ss are named %q; give one of their ARNs: %s", len(matches), kind.noun(), name, strings.Join(matches, ", "))
}

func newTargetRmCmd(g *globalFlags, kind targetKind, short string) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME|ARN",
		Short: short,
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				arn, err := resolveTarget(cmd.Context(), c, kind, args[0])
				if err != nil {
					return err
				}
				if err := kind.remove(cmd.Context(), c, arn); err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), struct{}{})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Removed %s %s\n", kind.noun(), arn)
				return nil
			})
		},
	}
}

func newTargetTestCmd(g *globalFlags, kind targetKind, short, long string) *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME|ARN",
		Short: short,
		Long:  long,
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				arn, err := resolveTarget(cmd.Context(), c, kind, args[0])
				if err != nil {
					return err
				}
				if err := kind.test(cmd.Context(), c, arn); err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), map[string]bool{"ok": true})
				}
				fmt.Fprintln(cmd.OutOrStdout(), "ok")
				return nil
			})
		},
	}
}

// accessFlags are the changes the access command makes to a target's
// grants.
type accessFlags struct {
	grant, revoke       []string
	grantAll, revokeAll bool
}

func (f *accessFlags) changes() bool {
	return len(f.grant) > 0 || len(f.revoke) > 0 || f.grantAll || f.revokeAll
}

// apply returns the grants of t changed as the flags say. t's grants are
// those the server showed (it shows them to the owner and admins, the
// only ones who may change them).
func (f *accessFlags) apply(t grantsView) (mapiclient.TargetAccess, error) {
	if f.grantAll && f.revokeAll {
		return mapiclient.TargetAccess{}, errors.New("give at most one of --grant-all and --revoke-all")
	}
	for _, u := range f.grant {
		if slices.Contains(f.revoke, u) {
			return mapiclient.TargetAccess{}, fmt.Errorf("%s is both granted and revoked", u)
		}
	}
	var access mapiclient.TargetAccess
	if t.AllUsers != nil {
		access.AllUsers = *t.AllUsers
	}
	for _, u := range t.Users {
		if u.Username != "" {
			access.Users = append(access.Users, u.Username)
		}
	}
	if f.revokeAll {
		access = mapiclient.TargetAccess{}
	}
	for _, u := range f.revoke {
		i := slices.Index(access.Users, u)
		if i < 0 {
			return mapiclient.TargetAccess{}, fmt.Errorf("%s is not granted %s", u, t.ARN)
		}
		access.Users = slices.Delete(access.Users, i, i+1)
	}
	for _, u := range f.grant {
		if u = strings.TrimSpace(u); u != "" && !slices.Contains(access.Users, u) {
			access.Users = append(access.Users, u)
		}
	}
	if f.grantAll {
		access.AllUsers = true
	}
	return access, nil
}

// grantsView is a target as the access commands see it: its name and
// who may use it, as the server showed them.
type grantsView struct {
	ARN      string
	Name     string
	Owner    *mapiclient.TargetUser
	AllUsers *bool
	Users    []mapiclient.TargetUser
	// JSON is the target as the server sent it, for --json.
	JSON any
}

// targetKind is what the commands shared by both kinds of target (the
// test after add, rm, test, access, and names for ARNs) need of one kind.
type targetKind interface {
	// noun names the kind in messages ("replication target").
	noun() string
	// command is the kind's command, for messages that say what to run
	// ("quarry target replication").
	command() string
	test(ctx context.Context, c *mapiclient.Client, arn string) error
	remove(ctx context.Context, c *mapiclient.Client, arn string) error
	list(ctx context.Context, c *mapiclient.Client) ([]grantsView, error)
	update(ctx context.Context, c *mapiclient.Client, arn string, access mapiclient.TargetAccess) (grantsView, error)
}

// replicationKind is the shared commands' view of replication targets.
type replicationKind struct{}

func (replicationKind) noun() string    { return "replication target" }
func (replicationKind) command() string { return "quarry target replication" }

func (replicationKind) test(ctx context.Context, c *mapiclient.Client, arn string) error {
	return c.TestReplicationTarget(ctx, arn)
}

func (replicationKind) remove(ctx context.Context, c *mapiclient.Client, arn string) error {
	return c.DeleteReplicationTarget(ctx, arn)
}

func replicationView(t *mapiclient.ReplicationTarget) grantsView {
	return grantsView{ARN: t.ARN, Name: t.Name, Owner: t.Owner, AllUsers: t.AllUsers, Users: t.Users, JSON: t}
}

func (replicationKind) list(ctx context.Context, c *mapiclient.Client) ([]grantsView, error) {
	targets, err := c.ListReplicationTargets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]grantsView, len(targets))
	for i := range targets {
		out[i] = replicationView(&targets[i])
	}
	return out, nil
}

func (replicationKind) update(ctx context.Context, c *mapiclient.Client, arn string, access mapiclient.TargetAccess) (grantsView, error) {
	t, err := c.UpdateReplicationTargetAccess(ctx, arn, access)
	if err != nil {
		return grantsView{}, err
	}
	return replicationView(t), nil
}

// newAccessCmd is the access command of one kind of target; effect says
// what losing a grant does.
func newAccessCmd(g *globalFlags, effect string, kind targetKind) *cobra.Command {
	var f accessFlags
	noun := kind.noun()
	cmd := &cobra.Command{
		Use:   "access NAME|ARN [--grant USER,...] [--revoke USER,...] [--grant-all | --revoke-all]",
		Short: "Show or change who may use a " + noun,
		Long: `Show who may use a ` + noun + `, or change it (the target's owner or
an admin; only admins may grant a target to other users).

  --grant USER,...   let these users use it too
  --revoke USER,...  stop letting these users use it
  --grant-all        let every user use it
  --revoke-all       withdraw every grant: only its owner and admins may use
                     it (with --grant: exactly the users given)

` + effect,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			arn := args[0]
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				targets, err := kind.list(cmd.Context(), c)
				if err != nil {
					return err
				}
				if !strings.HasPrefix(arn, "arn:") {
					if arn, err = targetNamed(targets, kind, arn); err != nil {
						return err
					}
				}
				var t *grantsView
				for i := range targets {
					if targets[i].ARN == arn {
						t = &targets[i]
					}
				}
				if !f.changes() {
					if t == nil {
						return fmt.Errorf("%s %s does not exist", noun, arn)
					}
					return printTargetAccess(cmd.OutOrStdout(), *t, jsonOut)
				}
				if t == nil {
					// Not listed: the server says why (404).
					t = &grantsView{ARN: arn}
				}
				access, err := f.apply(*t)
				if err != nil {
					return err
				}
				updated, err := kind.update(cmd.Context(), c, arn, access)
				if err != nil {
					return err
				}
				return printTargetAccess(cmd.OutOrStdout(), updated, jsonOut)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.grant, "grant", nil, "usernames of users to let use the target")
	fl.StringSliceVar(&f.revoke, "revoke", nil, "usernames of users to stop letting use the target")
	fl.BoolVar(&f.grantAll, "grant-all", false, "let every user use the target")
	fl.BoolVar(&f.revokeAll, "revoke-all", false, "withdraw every grant before --grant applies")
	return cmd
}

// printTargetAccess writes a target and who may use it.
func printTargetAccess(w io.Writer, t grantsView, jsonOut bool) error {
	if jsonOut {
		return printJSON(w, map[string]any{"target": t.JSON})
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "ARN\t%s\n", t.ARN)
	fmt.Fprintf(tw, "NAME\t%s\n", t.Name)
	fmt.Fprintf(tw, "OWNER\t%s\n", targetOwner(t))
	fmt.Fprintf(tw, "ACCESS\t%s\n", targetAccess(t))
	return tw.Flush()
}

func printTargetTable(w io.Writer, targets []mapiclient.ReplicationTarget) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ARN\tNAME\tENDPOINT\tREGION\tBUCKET\tOWNER\tACCESS")
	for _, t := range targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ARN, t.Name, t.Endpoint, orDash(t.Region), t.Bucket,
			targetOwner(replicationView(&t)), targetAccess(replicationView(&t)))
	}
	return tw.Flush()
}

// targetOwner names the owner of t, "-" when the server did not say (the
// caller does not manage t).
func targetOwner(t grantsView) string {
	if t.Owner == nil {
		return "-"
	}
	return userName(*t.Owner)
}

// targetAccess says who besides its owner and admins may use t: "all
// users", the users granted, "owner only", or "-" when the server did not
// say.
func targetAccess(t grantsView) string {
	switch {
	case t.Owner == nil:
		return "-"
	case t.AllUsers != nil && *t.AllUsers:
		return "all users"
	case len(t.Users) == 0:
		return "owner only"
	}
	names := make([]string, len(t.Users))
	for i, u := range t.Users {
		names[i] = userName(u)
	}
	return strings.Join(names, ",")
}

func userName(u mapiclient.TargetUser) string {
	if u.Username == "" {
		return fmt.Sprintf("#%d (deleted)", u.ID.ID)
	}
	return u.Username
}
