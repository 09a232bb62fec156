package usage_test

import (
	"testing"

	"github.com/quarrylabs/quarry/internal/job/jobtest"
)

var alice = jobtest.Alice

// harness is the job test harness, with this package's helpers as methods.
type harness struct{ *jobtest.Harness }

func newHarness(t *testing.T) *harness { return &harness{jobtest.New(t)} }
