package sqltx

import (
	"slices"
	"testing"
)

// Statements feeds SQLite's statement cache, so a statement it misses would
// be prepared again on every use: it must find those in nested structs and
// lists, and skip the ones a dialect leaves empty.
func TestStatementsFindsEveryStatementOfADialect(t *testing.T) {
	d := &Dialect{
		SSE:    SSEQueries{AddKey: "add key"},
		User:   UserQueries{Get: "get user", DeleteOwned: []string{"owned 1", "owned 2"}},
		Target: TargetQueries{Grants: GrantQueries{Add: "add grant"}},
	}
	got := Statements(d)
	slices.Sort(got)
	want := []string{"add grant", "add key", "get user", "owned 1", "owned 2"}
	if !slices.Equal(got, want) {
		t.Errorf("Statements = %q, want %q", got, want)
	}
}
