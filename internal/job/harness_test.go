package job_test

import (
	"testing"

	"github.com/quarrylabs/quarry/internal/job/jobtest"
)

var (
	alice = jobtest.Alice
	bob   = jobtest.Bob
	admin = jobtest.Admin
)

type harness = jobtest.Harness

func newHarness(t *testing.T) *harness { return jobtest.New(t) }

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	jobtest.WantErr(t, err, want)
}
