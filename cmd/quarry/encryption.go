package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func newEncryptionCmd(g *globalFlags) *cobra.Command {
	var mode string
	cmd := &cobra.Command{
		Use:   "encryption [--set-mode NONE|INTERNAL]",
		Short: "Show or set the server-wide encryption at rest, with its rekey events",
		Long: `Show the server-wide encryption mode and the record of its changes, or
with --set-mode change it. NONE encrypts objects whose request or bucket asks
for it (x-amz-server-side-encryption: AES256, a bucket's default
encryption); INTERNAL encrypts every new object. A change applies to new
writes only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				var info *mapiclient.EncryptionInfo
				var err error
				if cmd.Flags().Changed("set-mode") {
					info, err = c.SetEncryptionMode(cmd.Context(), mode)
				} else {
					info, err = c.Encryption(cmd.Context())
				}
				if err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), info)
				}
				return printEncryption(cmd.OutOrStdout(), info)
			})
		},
	}
	cmd.Flags().StringVar(&mode, "set-mode", "", "set the mode: NONE or INTERNAL")
	return cmd
}

func newRotateSSEKeyCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-sse-key",
		Short: "Rotate the key-encryption key that wraps every object's data key",
		Long: `Make a new key-encryption key current, rewrap every stored object's and
part's data key with it (the data is not rewritten) and delete the older
keys. It is safe while the server takes writes and returns when done; if it
is cut short, every object stays readable and running it again finishes it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				info, err := c.RotateEncryptionKey(cmd.Context())
				if err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), info)
				}
				if len(info.RekeyEvents) > 0 {
					fmt.Fprintln(cmd.OutOrStdout(), info.RekeyEvents[0].Message)
				}
				return nil
			})
		},
	}
}

// printEncryption writes the mode and the events, newest first.
func printEncryption(w io.Writer, info *mapiclient.EncryptionInfo) error {
	fmt.Fprintf(w, "Encryption mode: %s\n", info.EncryptionMode)
	if len(info.RekeyEvents) == 0 {
		fmt.Fprintln(w, "No rekey events.")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "TIME\tUSER\tCODE\tMESSAGE")
	for _, e := range info.RekeyEvents {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", time.Unix(e.Timestamp, 0).UTC().Format(time.RFC3339), e.User, e.Code, e.Message)
	}
	return tw.Flush()
}
