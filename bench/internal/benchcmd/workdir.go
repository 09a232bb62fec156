package benchcmd

import (
	"fmt"
	"os"
)

// WorkDir is the throwaway directory one run keeps its servers' data (and
// any baseline files) in, so that all of it lives on one filesystem and
// goes away with the run.
type WorkDir struct {
	Path string
	keep bool
	say  func(format string, args ...any)
}

// MakeWorkDir creates a fresh directory named after pattern (as
// os.MkdirTemp) in parent. With keep, Close leaves it and tells say where
// it is, for a look at what the server wrote.
func MakeWorkDir(parent, pattern string, keep bool, say func(format string, args ...any)) (*WorkDir, error) {
	dir, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		return nil, fmt.Errorf("create work dir: %w", err)
	}
	return &WorkDir{Path: dir, keep: keep, say: say}, nil
}

// Close removes the directory, or says where it is if it is to be kept.
// Servers using it must have stopped.
func (w *WorkDir) Close() error {
	if w.keep {
		w.say("kept %s", w.Path)
		return nil
	}
	if err := os.RemoveAll(w.Path); err != nil {
		return fmt.Errorf("remove work dir: %w", err)
	}
	return nil
}
