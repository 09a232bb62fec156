-- Quarry metadata schema, version 5: usernames unique regardless of case,
-- and the server-side state of refresh tokens.
--
-- Same portable conventions as 0001: times are INTEGER unix nanoseconds.
-- lower() folds ASCII letters in SQLite and PostgreSQL alike, and usernames
-- are ASCII only ([A-Za-z0-9._@-]).

-- "Admin" and "admin" must not both exist. A database from before this rule
-- may hold such a pair: every user but the oldest of a folded name is
-- renamed to name-id (still a valid username), so that the index below can
-- be built and no account is lost.
UPDATE users SET username = username || '-' || id
WHERE EXISTS (
	SELECT 1 FROM users AS older
	WHERE lower(older.username) = lower(users.username) AND older.id < users.id
);

-- Lookups by name ask lower(username) = lower(?), which this index serves.
CREATE UNIQUE INDEX users_username_folded ON users (lower(username));

-- One row per login (password grant): the chain of refresh tokens that
-- login's tokens were rotated through. A refresh token names its family and
-- its generation; only the current generation is accepted, and using it
-- moves the family on. A token of an older generation means the chain was
-- copied: the family is deleted, which ends every token of it.
CREATE TABLE refresh_families (
	id          TEXT    PRIMARY KEY,
	user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	client_id   TEXT    NOT NULL,
	generation  INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	-- When the current refresh token expires; each rotation moves it on.
	expires_at  INTEGER NOT NULL
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);
CREATE INDEX refresh_families_expiry ON refresh_families (expires_at);
