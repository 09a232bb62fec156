package postgres

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

// dialect is the store's statements for the meta.Tx methods it shares
// with the other SQL stores (see sqltx). PostgreSQL's text columns refuse
// what is not valid UTF-8 or holds a NUL byte, so it is TextOnly (see
// text.go).
var dialect = sqltx.Dialect{
	TextOnly:     true,
	Bucket:       bucketQueries,
	Version:      versionQueries,
	Upload:       uploadQueries,
	SSE:          sseQueries,
	Storage:      storageQueries,
	User:         userQueries,
	Refresh:      refreshQueries,
	Certificate:  certificateQueries,
	Target:       targetQueries,
	Notification: notificationQueries,
	Outbox:       outboxQueries,
	Job:          jobQueries,
	JobFailure:   jobFailureQueries,
	Event:        eventQueries,
	Trash:        trashQueries,
}
