package sqlite

import (
	"errors"
	"net/url"
	"path/filepath"
)

// writerParams configure the single write connection:
//   - WAL lets readers work on a snapshot while the writer commits;
//   - synchronous FULL fsyncs the WAL on every commit, so an acknowledged
//     write survives kill -9 and power loss;
//   - _txlock=immediate takes the write lock at BEGIN, so a transaction never
//     has to upgrade a read lock (the source of SQLITE_BUSY deadlocks);
//   - busy_timeout waits out other processes (backup tools, the CLI);
//   - journal_size_limit truncates the WAL file back to 64 MiB after a
//     checkpoint, so one burst of writes does not keep its disk space.
const writerParams = "_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=journal_size_limit(67108864)" +
	"&_pragma=synchronous(FULL)" +
	"&_pragma=foreign_keys(1)" +
	"&_txlock=immediate"

// readerParams configure the read pool; query_only makes a write through a
// reader fail instead of competing with the writer for the lock.
const readerParams = "_pragma=busy_timeout(10000)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=query_only(1)"

// dsns returns the writer's and the readers' data source names for path.
// The path is made absolute and escaped into a file: URI so that '?', '#'
// and '%' in directory names cannot be read as URI syntax.
func dsns(path string) (writer, reader string, err error) {
	if path == "" || path == ":memory:" {
		return "", "", errors.New("a database file path is required")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", err
	}
	uri := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath()
	return uri + "?" + writerParams, uri + "?" + readerParams, nil
}
