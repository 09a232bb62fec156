package main

import (
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "quarry",
		Short:         "Quarry: an S3-compatible object store with a VSP One Object management API and job engine",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	var g globalFlags
	pf := root.PersistentFlags()
	pf.StringVar(&g.endpoint, "endpoint", envOrDefault("QUARRY_ENDPOINT", ""), "management API endpoint (default: the one last logged in to) [QUARRY_ENDPOINT]")
	pf.StringVarP(&g.output, "output", "o", outputTable, "output format: table or json")
	pf.BoolVar(&g.insecure, "insecure", false, "accept any TLS certificate of the management API")
	root.AddCommand(newServerCmd())
	root.AddCommand(newLoginCmd(&g), newJobCmd(&g), newUserCmd(&g))
	root.AddCommand(newTargetCmd(&g))
	root.AddCommand(newAdminCmd(&g))
	root.AddCommand(newEventsCmd(&g))
	return root
}
