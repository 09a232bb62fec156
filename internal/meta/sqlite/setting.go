package sqlite

import "fmt"

const (
	qGetSetting = `SELECT value FROM settings WHERE name = ?`
	qPutSetting = `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`
)

func (t *tx) GetSetting(name string) (string, error) {
	var v string
	if err := t.queryRow(qGetSetting, name).Scan(&v); err != nil {
		return "", fmt.Errorf("get setting %s: %w", name, classify(err))
	}
	return v, nil
}

func (t *tx) PutSetting(name, value string) error {
	if _, err := t.exec(qPutSetting, name, value); err != nil {
		return fmt.Errorf("put setting %s: %w", name, err)
	}
	return nil
}
