package postgres

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

// dialect is the store's statements for the meta.Tx methods it shares
// with the other SQL stores (see sqltx). PostgreSQL's text columns refuse
// what is not valid UTF-8 or holds a NUL byte, so it is TextOnly (see
// text.go).
var dialect = sqltx.Dialect{
	TextOnly:     true,
	SSE:          sseQueries,
	Upload:       uploadQueries,
	Storage:      storageQueries,
	User:         userQueries,
	Certificate:  certificateQueries,
	Trash:        trashQueries,
	Event:        eventQueries,
	JobFailure:   jobFailureQueries,
	Target:       targetQueries,
	Notification: notificationQueries,
	Refresh:      refreshQueries,
	Version:      versionQueries,
	Job:          jobQueries,
	Outbox:       outboxQueries,
	Bucket:       bucketQueries,
}
