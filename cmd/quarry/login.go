package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func newLoginCmd(g *globalFlags) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "login --endpoint URL --user NAME",
		Short: "Log in to a Quarry management API and keep the session in ~/.config/quarry",
		Long: `Log in with a password and keep the tokens in $XDG_CONFIG_HOME/quarry/session.json
(~/.config/quarry/session.json), readable only by you. The password comes from
QUARRY_PASSWORD, else from a prompt (or one line of standard input when it is
not a terminal). Later commands use the session and refresh its tokens.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			jsonOut, err := g.jsonOutput()
			if err != nil {
				return err
			}
			store, err := sessionStore()
			if err != nil {
				return err
			}
			endpoint := g.endpoint
			if endpoint == "" {
				if saved, err := store.Load(); err == nil {
					endpoint = saved.Endpoint
				}
			}
			if endpoint == "" {
				return errors.New("--endpoint is required (or QUARRY_ENDPOINT)")
			}
			if user == "" {
				return errors.New("--user is required")
			}
			password, err := readPassword(cmd.InOrStdin(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			c := mapiclient.New(endpoint, mapiclient.Options{TokenStore: store, InsecureSkipVerify: g.insecure})
			if err := c.Login(cmd.Context(), user, password); err != nil {
				return explain(c, err)
			}
			if jsonOut {
				return printJSON(cmd.OutOrStdout(), map[string]string{"endpoint": c.Endpoint(), "username": user})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Logged in to %s as %s\n", c.Endpoint(), user)
			return nil
		},
	}
	cmd.Flags().StringVarP(&user, "user", "u", envOrDefault("QUARRY_USER", ""), "user name [QUARRY_USER]")
	return cmd
}

// readPassword takes the password from QUARRY_PASSWORD, a no-echo prompt on
// a terminal, or the first line of a non-terminal standard input.
func readPassword(in io.Reader, prompt io.Writer) (string, error) {
	if p, ok := os.LookupEnv("QUARRY_PASSWORD"); ok {
		return p, nil
	}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	p, err := readSecretLine(in)
	if err != nil {
		return "", fmt.Errorf("no password: set QUARRY_PASSWORD, or give it on the first line of standard input (%w)", err)
	}
	return p, nil
}

// errEmptyInput: standard input ended before a line.
var errEmptyInput = errors.New("standard input is empty")

// readSecretLine reads one line of in, without its line ending.
func readSecretLine(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	switch {
	case errors.Is(err, io.EOF) && line == "":
		return "", errEmptyInput
	case err != nil && !errors.Is(err, io.EOF):
		return "", fmt.Errorf("read standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
