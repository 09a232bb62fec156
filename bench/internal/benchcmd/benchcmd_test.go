package benchcmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestReleaseKeepsTheFirstError(t *testing.T) {
	runErr, stopErr := errors.New("run failed"), errors.New("stop failed")
	tests := []struct {
		name       string
		before     error
		releaseErr error
		want       error
	}{
		{"a good run and a good release stay good", nil, nil, nil},
		{"a failed release fails a good run", nil, stopErr, stopErr},
		{"the run's error wins over the release's", runErr, stopErr, runErr},
		{"a good release keeps the run's error", runErr, nil, runErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err, called := tt.before, false
			Release(&err, func() error { called = true; return tt.releaseErr })
			if !called {
				t.Error("release was not called")
			}
			if err != tt.want {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWorkDirCloseRemovesItUnlessKept(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep %v", keep), func(t *testing.T) {
			var said []string
			w, err := MakeWorkDir(t.TempDir(), "quarry-test-", keep, func(format string, args ...any) {
				said = append(said, fmt.Sprintf(format, args...))
			})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(filepath.Base(w.Path), "quarry-test-") {
				t.Errorf("work dir %s is not named after the pattern", w.Path)
			}
			if err := os.WriteFile(filepath.Join(w.Path, "meta.db"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(w.Path)
			if exists := statErr == nil; exists != keep {
				t.Errorf("after Close the directory exists: %v; want %v", exists, keep)
			}
			if wantSaid := keep; (len(said) == 1 && said[0] == "kept "+w.Path) != wantSaid {
				t.Errorf("said %q; want %q only when kept", said, "kept "+w.Path)
			}
		})
	}
}

func TestMakeWorkDirFailsInAMissingParent(t *testing.T) {
	if _, err := MakeWorkDir(filepath.Join(t.TempDir(), "missing"), "x-", false, nil); err == nil {
		t.Error("MakeWorkDir in a directory that does not exist succeeded")
	}
}

func TestLoadAverageIsThreeFiguresOnLinux(t *testing.T) {
	got := LoadAverage("unknown")
	if runtime.GOOS != "linux" {
		if got != "unknown" {
			t.Errorf("LoadAverage off Linux = %q, want the fallback", got)
		}
		return
	}
	if !regexp.MustCompile(`^\d+\.\d+ \d+\.\d+ \d+\.\d+$`).MatchString(got) {
		t.Errorf("LoadAverage = %q, want three decimal figures", got)
	}
}
