package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func newUserCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage users and S3 credentials",
	}
	cmd.AddCommand(
		newUserCreateCmd(g),
		newUserListCmd(g),
		newUserDeleteCmd(g),
		newUserInfoCmd(g),
		newUserCredentialsCmd(g),
	)
	return cmd
}

func newUserCreateCmd(g *globalFlags) *cobra.Command {
	var (
		req           mapiclient.CreateUserRequest
		passwordStdin bool
	)
	cmd := &cobra.Command{
		Use:   "create --username NAME (--password P | --password-stdin) [--role ADMIN|USER]",
		Short: "Create a user (admin only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Username == "" {
				return errors.New("--username is required")
			}
			if passwordStdin == (req.Password != "") {
				return errors.New("give exactly one of --password and --password-stdin")
			}
			if passwordStdin {
				p, err := readSecretLine(cmd.InOrStdin())
				if err != nil {
					return fmt.Errorf("--password-stdin: %w", err)
				}
				req.Password = p
			}
			req.Role = strings.ToUpper(req.Role)
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				u, err := c.CreateUser(cmd.Context(), req)
				if err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), map[string]any{"user": u})
				}
				return printUserTable(cmd.OutOrStdout(), []mapiclient.User{*u})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Username, "username", "", "user name")
	f.StringVar(&req.Password, "password", "", "password (visible to other local users in the process list: prefer --password-stdin)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	f.StringVar(&req.Role, "role", "USER", "ADMIN or USER")
	return cmd
}

func newUserListCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users (admin only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				users, err := allUsers(cmd.Context(), c)
				if err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), mapiclient.UserPage{Users: users})
				}
				return printUserTable(cmd.OutOrStdout(), users)
			})
		},
	}
}

// allUsers reads every page of user/list.
func allUsers(ctx context.Context, c *mapiclient.Client) ([]mapiclient.User, error) {
	users := []mapiclient.User{}
	for token := ""; ; {
		page, err := c.ListUsers(ctx, 1000, token)
		if err != nil {
			return nil, err
		}
		users = append(users, page.Users...)
		if token = page.PageToken; token == "" {
			return users, nil
		}
	}
}

func newUserDeleteCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID|USERNAME",
		Short: "Delete a user (admin only); its tokens and access keys stop working",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				id, name, err := resolveUser(cmd.Context(), c, args[0])
				if err != nil {
					return err
				}
				if err := c.DeleteUser(cmd.Context(), id); err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), struct{}{})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted user %s\n", name)
				return nil
			})
		},
	}
}

// resolveUser takes a numeric id as is, and looks a user name up in the
// user list, in any case, as the server compares names.
func resolveUser(ctx context.Context, c *mapiclient.Client, arg string) (id int64, name string, err error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil && id > 0 {
		return id, arg, nil
	}
	users, err := allUsers(ctx, c)
	if err != nil {
		return 0, "", err
	}
	for _, u := range users {
		if strings.EqualFold(u.Username, arg) {
			return u.ID.ID, fmt.Sprintf("%s (id %d)", u.Username, u.ID.ID), nil
		}
	}
	return 0, "", fmt.Errorf("no user named %q", arg)
}

func newUserInfoCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Show the logged-in user",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				u, err := c.UserInfo(cmd.Context())
				if err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), u)
				}
				return printUserTable(cmd.OutOrStdout(), []mapiclient.User{*u})
			})
		},
	}
}

// revokeAll is what --revoke holds when given without a key: pflag's
// value for a flag given alone, never an access key (keys are letters and
// digits).
const revokeAll = "\x00all"

func newUserCredentialsCmd(g *globalFlags) *cobra.Command {
	var revoke string
	cmd := &cobra.Command{
		Use:   "credentials [--revoke ACCESS_KEY | --revoke]",
		Short: "Generate an S3 access key for yourself, or revoke one (or all) of yours",
		Long: `Without --revoke: generate a new S3 access key and print it with its secret
key. The secret is shown only this once.
With --revoke ACCESS_KEY (or --revoke=ACCESS_KEY): revoke that key.
With --revoke alone: revoke all your keys.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, revoking, err := revokedKey(cmd.Flags().Changed("revoke"), revoke, args)
			if err != nil {
				return fmt.Errorf("%w (usage: %s)", err, cmd.UseLine())
			}
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				out := cmd.OutOrStdout()
				if revoking {
					if err := c.RevokeCredentials(cmd.Context(), key); err != nil {
						return err
					}
					switch {
					case jsonOut:
						return printJSON(out, struct{}{})
					case key == "":
						fmt.Fprintln(out, "Revoked all your access keys")
					default:
						fmt.Fprintf(out, "Revoked access key %s\n", key)
					}
					return nil
				}
				cr, err := c.GenerateCredentials(cmd.Context())
				if err != nil {
					return err
				}
				if jsonOut {
					return printJSON(out, cr)
				}
				fmt.Fprintf(out, "Access key: %s\nSecret key: %s\n", cr.AccessKey, cr.SecretKey)
				fmt.Fprintln(cmd.ErrOrStderr(), "The secret key is shown only once: keep it now.")
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&revoke, "revoke", "", "revoke ACCESS_KEY (--revoke KEY or --revoke=KEY), or all your keys when given alone")
	cmd.Flags().Lookup("revoke").NoOptDefVal = revokeAll
	return cmd
}

// revokedKey reads --revoke: the key to revoke ("" for all of them) and
// whether to revoke at all. The key comes as the flag's value
// (--revoke=KEY) or as the argument after it (--revoke KEY: pflag takes a
// flag with an optional value to be given alone, and KEY for an argument).
func revokedKey(changed bool, value string, args []string) (key string, revoking bool, err error) {
	switch {
	case !changed && len(args) > 0:
		return "", false, fmt.Errorf("unexpected argument %q", args[0])
	case !changed:
		return "", false, nil
	case value != revokeAll && len(args) > 0:
		return "", false, fmt.Errorf("--revoke=%s and %q: give one access key", value, args[0])
	case value != revokeAll:
		key = value
	case len(args) > 0:
		key = args[0]
	default:
		return "", true, nil // --revoke alone: every key
	}
	if strings.TrimSpace(key) == "" {
		// An empty variable in a script must not revoke every key.
		return "", false, errors.New("--revoke: the access key is empty; give --revoke alone to revoke all your keys")
	}
	return key, true, nil
}
