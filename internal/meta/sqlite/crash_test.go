package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// crashChildEnv names the database a child process writes to until killed.
const crashChildEnv = "QUARRY_META_CRASH_CHILD_DB"

// TestKilledWriterKeepsAcknowledgedWrites runs a child process that commits
// one trash entry per Update and prints each id after its commit returns,
// kills it with SIGKILL mid-stream, and checks that every printed id is in
// the reopened database. (The OS page cache survives kill -9, so this proves
// recovery from the WAL, not survival of power loss, which synchronous=FULL
// covers.)
func TestKilledWriterKeepsAcknowledgedWrites(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		writeUntilKilled(path)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "meta.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterKeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	lines := bufio.NewScanner(out)
	for len(acked) < 100 && lines.Scan() {
		acked = append(acked, lines.Text())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) < 100 {
		t.Fatalf("child acknowledged only %d writes before exiting", len(acked))
	}

	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	err = s.View(context.Background(), func(tx meta.Tx) error {
		ids, err := tx.ListTrash(0)
		if err != nil {
			return err
		}
		have := make(map[string]bool, len(ids))
		for _, id := range ids {
			have[id] = true
		}
		for _, id := range acked {
			if !have[id] {
				t.Errorf("acknowledged write %s lost", id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeUntilKilled(path string) {
	s, err := Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		id := fmt.Sprintf("blob-%06d", i)
		if err := s.Update(context.Background(), func(tx meta.Tx) error { return tx.TrashBlobs(id) }); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(id) // unbuffered: printed only after the commit returned
	}
}
