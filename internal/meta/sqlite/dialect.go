package sqlite

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

// dialect is the store's statements for the meta.Tx methods it shares
// with the other SQL stores (see sqltx). SQLite stores any bytes as text,
// so it is not TextOnly.
var dialect = sqltx.Dialect{
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
