package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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
	root.SetFlagErrorFunc(flagError)
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

// flagError words a flag that could not be parsed for people (pflag's
// own words name the Go function that refused the value, such as
// strconv.ParseBool), with the command's usage line.
func flagError(cmd *cobra.Command, err error) error {
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) {
		f := invalid.GetFlag()
		name, value := "--"+f.Name, invalid.GetValue()
		var want string
		switch f.Value.Type() {
		case "bool":
			err = fmt.Errorf("%s takes no value (got %q): give %s alone, or %s=false", name, value, name, name)
		case "int", "int32", "int64", "uint", "uint32", "uint64":
			want = "a whole number"
		case "duration":
			want = "a duration such as 90s, 30m or 720h"
		default:
			want = f.Usage
		}
		if want != "" {
			err = fmt.Errorf("%s %q: want %s", name, value, want)
		}
	}
	return fmt.Errorf("%w (usage: %s; see %s --help)", err, cmd.UseLine(), cmd.CommandPath())
}
