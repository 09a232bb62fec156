package sqlite

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

// dialect is the store's statements for the meta.Tx methods it shares
// with the other SQL stores (see sqltx). SQLite stores any bytes as text,
// so it is not TextOnly.
var dialect = sqltx.Dialect{
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
