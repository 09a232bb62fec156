package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func newJobCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "job",
		Short: "Create, follow and cancel batch jobs on buckets",
	}
	cmd.AddCommand(
		newJobCreateCmd(g),
		newJobStatusCmd(g),
		newJobListCmd(g),
		newJobCancelCmd(g),
		newJobFailuresCmd(g),
		newJobWatchCmd(g),
	)
	return cmd
}

func newJobCreateCmd(g *globalFlags) *cobra.Command {
	var (
		req    mapiclient.CreateJobRequest
		params []string
		wait   bool
	)
	cmd := &cobra.Command{
		Use:   "create --type TYPE --bucket BUCKET [--param k=v ...] [--wait]",
		Short: "Create a job: " + strings.Join(job.Types(), ", "),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.JobType == "" || req.BucketName == "" {
				return fmt.Errorf("--type and --bucket are required")
			}
			req.JobType = strings.ToUpper(req.JobType)
			var err error
			if req.JobParams, err = parseParams(params); err != nil {
				return err
			}
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				st, err := c.CreateJob(cmd.Context(), req)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if wait {
					if !jsonOut {
						fmt.Fprintf(out, "Created job %d (%s on %s)\n", st.JobID.ID, st.JobType, st.BucketName)
					}
					return watchJob(cmd.Context(), c, st.JobID.ID, out, jsonOut)
				}
				if jsonOut {
					return printJSON(out, st)
				}
				return printJobStatus(out, st)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.JobType, "type", "", "job type (jobType)")
	f.StringVar(&req.BucketName, "bucket", "", "bucket the job works on")
	f.StringArrayVar(&params, "param", nil, "job parameter k=v (repeatable), e.g. dryRun=true")
	f.BoolVar(&wait, "wait", false, "follow the job until it ends, like job watch")
	return cmd
}

// parseParams turns k=v flags into jobParams; nil when there are none.
func parseParams(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	params := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q: want key=value", kv)
		}
		params[k] = v
	}
	return params, nil
}

func newJobStatusCmd(g *globalFlags) *cobra.Command {
	return newJobIDCmd(g, "status ID", "Show a job's status", (*mapiclient.Client).JobStatus)
}

// newJobIDCmd is a command that takes a job id, makes one call and prints
// the job status the server answers.
func newJobIDCmd(g *globalFlags, use, short string, call func(*mapiclient.Client, context.Context, int32) (*mapiclient.JobStatus, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				st, err := call(c, cmd.Context(), id)
				if err != nil {
					return err
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), st)
				}
				return printJobStatus(cmd.OutOrStdout(), st)
			})
		},
	}
}

func newJobListCmd(g *globalFlags) *cobra.Command {
	var (
		req      mapiclient.ListJobsRequest
		allPages bool
	)
	cmd := &cobra.Command{
		Use:   "list [--bucket B] [--state S] [--type T] [--all-pages]",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req.JobState = strings.ToUpper(req.JobState)
			req.JobType = strings.ToUpper(req.JobType)
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				page, err := c.ListJobs(cmd.Context(), req)
				if err != nil {
					return err
				}
				for allPages && page.PageToken != "" {
					req.PageToken = page.PageToken
					next, err := c.ListJobs(cmd.Context(), req)
					if err != nil {
						return err
					}
					page.Jobs, page.PageToken = append(page.Jobs, next.Jobs...), next.PageToken
				}
				out := cmd.OutOrStdout()
				if jsonOut {
					if page.Jobs == nil {
						page.Jobs = []mapiclient.JobStatus{}
					}
					return printJSON(out, page)
				}
				if err := printJobTable(out, page.Jobs); err != nil {
					return err
				}
				if page.PageToken != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "More jobs: --all-pages, or --page-token %s\n", page.PageToken)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.BucketName, "bucket", "", "only jobs on this bucket")
	f.StringVar(&req.JobState, "state", "", "only jobs in this state (EXAMINING, PROCESSING, EXECUTING, COMPLETE, FAILED, CANCELLED)")
	f.StringVar(&req.JobType, "type", "", "only jobs of this type")
	f.IntVar(&req.PageSize, "page-size", 0, "jobs per page (server default 100, max 1000)")
	f.StringVar(&req.PageToken, "page-token", "", "page to start at, from a previous list")
	f.BoolVar(&allPages, "all-pages", false, "list every page")
	return cmd
}

func newJobCancelCmd(g *globalFlags) *cobra.Command {
	return newJobIDCmd(g, "cancel ID", "Cancel a job; it stops within seconds and keeps the stats it reached", (*mapiclient.Client).CancelJob)
}

func newJobFailuresCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "failures ID",
		Short: "List the objects a job could not handle",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				all := mapiclient.FailurePage{Failures: []mapiclient.JobFailure{}}
				for token := ""; ; {
					page, err := c.JobFailures(cmd.Context(), id, 1000, token)
					if err != nil {
						return err
					}
					all.Failures = append(all.Failures, page.Failures...)
					if token = page.PageToken; token == "" {
						break
					}
				}
				if jsonOut {
					return printJSON(cmd.OutOrStdout(), all)
				}
				return printFailureTable(cmd.OutOrStdout(), all.Failures)
			})
		},
	}
}

func newJobWatchCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "watch ID",
		Short: "Follow a job's progress until it ends; exit status 2 if it ends FAILED or CANCELLED",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			return g.withClient(func(c *mapiclient.Client, jsonOut bool) error {
				return watchJob(cmd.Context(), c, id, cmd.OutOrStdout(), jsonOut)
			})
		},
	}
}
