package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func newTargetCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "target",
		Short: "Manage the targets buckets replicate to",
	}
	cmd.AddCommand(newReplicationTargetCmd(g))
	return cmd
}

func newReplicationTargetCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replication",
		Short: "Manage replication targets: buckets on remote S3 endpoints (admin only)",
		Long: `A replication target is a bucket on a remote S3 endpoint (another Quarry,
or any S3-compatible store) with the credentials to write to it. A bucket's
replication configuration names a target by its ARN in Destination/Bucket.`,
	}
	cmd.AddCommand(
		newTargetAddCmd(g),
		newTargetListCmd(g),
		newTargetRmCmd(g),
		newTargetTestCmd(g),
	)
	return cmd
}

func newTargetAddCmd(g *globalFlags) *cobra.Command {
	var (
		req         mapiclient.CreateReplicationTargetRequest
		secretStdin bool
	)
	cmd := &cobra.Command{
		Use:   "add --name N --endpoint URL --bucket B --access-key AK (--secret-key SK | --secret-key-stdin) [--region R] [--insecure-skip-verify]",
		Short: "Add a replication target; prints its ARN",
		Args:  cobra.NoArgs,
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
				secret, err := readSecretKey(cmd.InOrStdin())
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
	return cmd
}

// readSecretKey reads the secret key from the first line of in.
func readSecretKey(in io.Reader) (string, error) {
	secret, err := readSecretLine(in)
	if err != nil {
		return "", fmt.Errorf("--secret-key-stdin: %w", err)
	}
	if secret == "" {
		return "", errors.New("--secret-key-stdin: the first line of standard input is empty")
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

func newTargetRmCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "rm ARN",
		Short: "Remove a replication target that no bucket's replication configuration names",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				if err := c.DeleteReplicationTarget(cmd.Context(), args[0]); err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), struct{}{})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Removed replication target %s\n", args[0])
				return nil
			})
		},
	}
}

func newTargetTestCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "test ARN",
		Short: "Check that a target's endpoint answers, accepts its credentials and has its bucket",
		Long: `Check that a target's endpoint answers, accepts its credentials and has
its bucket. Prints "ok", or the server's reason and exits 1.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				if err := c.TestReplicationTarget(cmd.Context(), args[0]); err != nil {
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

func printTargetTable(w io.Writer, targets []mapiclient.ReplicationTarget) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ARN\tNAME\tENDPOINT\tREGION\tBUCKET")
	for _, t := range targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ARN, t.Name, t.Endpoint, orDash(t.Region), t.Bucket)
	}
	return tw.Flush()
}
