package sqlite

// How values sit in columns is shared with the PostgreSQL store (package
// metasql); only booleans are SQLite's own.

// Booleans are INTEGER 0/1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
