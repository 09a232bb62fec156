package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func newAdminCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer the server (admin only)",
	}
	cmd.AddCommand(newMetricsTokenCmd(g), newEncryptionCmd(g), newRotateSSEKeyCmd(g))
	return cmd
}

func newMetricsTokenCmd(g *globalFlags) *cobra.Command {
	var (
		lifetime  time.Duration
		file      string
		revokeAll bool
	)
	cmd := &cobra.Command{
		Use:   "metrics-token [--lifetime D] [--file PATH] | --revoke-all",
		Short: "Make a bearer token for Prometheus to scrape /metrics, or revoke all of them",
		Long: `Make a long-lived bearer token that is good for GET /metrics and nothing else,
and print it, or with --file write it to PATH (mode 0600) for Prometheus'
bearer_token_file (authorization.credentials_file). It stops working when it
expires, when you run metrics-token --revoke-all, or when the admin who made
it is deleted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if revokeAll && (file != "" || cmd.Flags().Changed("lifetime")) {
				return errors.New("--revoke-all makes no token: leave out --file and --lifetime")
			}
			if lifetime != 0 && lifetime < time.Minute {
				return fmt.Errorf("--lifetime %s: want at least a minute", lifetime)
			}
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				out := cmd.OutOrStdout()
				if revokeAll {
					if err := c.RevokeMetricsTokens(cmd.Context()); err != nil {
						return err
					}
					if jsonOut {
						return printJSON(out, struct{}{})
					}
					fmt.Fprintln(out, "Revoked every metrics token; make new ones with quarry admin metrics-token")
					return nil
				}
				tok, err := c.CreateMetricsToken(cmd.Context(), lifetime)
				if err != nil {
					return err
				}
				if file != "" {
					if err := writePrivateFile(file, []byte(tok.Token+"\n")); err != nil {
						return fmt.Errorf("write metrics token: %w", err)
					}
				}
				switch {
				case jsonOut && file != "":
					return printJSON(out, map[string]any{"file": file, "expiresAt": tok.ExpiresAt})
				case jsonOut:
					return printJSON(out, tok)
				case file != "":
					fmt.Fprintf(out, "Wrote a metrics token valid until %s to %s\n", tok.ExpiresAt, file)
				default:
					fmt.Fprintln(out, tok.Token)
					fmt.Fprintf(cmd.ErrOrStderr(), "Valid for GET /metrics until %s.\n", tok.ExpiresAt)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.DurationVar(&lifetime, "lifetime", 0, "how long the token is good for, e.g. 720h (default: the server's, a year)")
	f.StringVar(&file, "file", "", "write the token to this file (mode 0600) instead of printing it")
	f.BoolVar(&revokeAll, "revoke-all", false, "revoke every metrics token made so far")
	return cmd
}

// writePrivateFile replaces path with data, readable by this user only,
// through a synced temporary file and a rename: Prometheus rereads the file
// on every scrape and must never see half a token.
func writePrivateFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename, there is nothing left to remove
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
