package metatest

import (
	"bytes"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testCertificates(t *testing.T, open func(t *testing.T) meta.Store) {
	cert := func(key, subject string, notAfter int64) meta.Certificate {
		return meta.Certificate{DNKey: key, SubjectDN: subject, IssuerDN: "CN=issuer",
			NotBefore: at(1), NotAfter: at(notAfter), ChainPEM: []byte("chain of " + subject),
			KeyEnc: []byte("sealed key of " + subject), CreatedAt: at(2)}
	}
	same := func(t *testing.T, got *meta.Certificate, want meta.Certificate) {
		t.Helper()
		if got.DNKey != want.DNKey || got.SubjectDN != want.SubjectDN || got.IssuerDN != want.IssuerDN ||
			!sameTime(got.NotBefore, want.NotBefore) || !sameTime(got.NotAfter, want.NotAfter) ||
			!bytes.Equal(got.ChainPEM, want.ChainPEM) || !bytes.Equal(got.KeyEnc, want.KeyEnc) ||
			!sameTime(got.CreatedAt, want.CreatedAt) {
			t.Errorf("certificate = %+v, want %+v", *got, want)
		}
	}

	t.Run("a certificate reads back, lists by key and is replaced by its DN key", func(t *testing.T) {
		s := open(t)
		a, b := cert("cn=b", "CN=b", 10), cert("cn=a", "CN=a", 10)
		update(t, s, func(tx meta.Tx) error {
			if err := tx.PutCertificate(&a); err != nil {
				return err
			}
			return tx.PutCertificate(&b)
		})
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetCertificate("cn=b")
			wantErr(t, "get", err, nil)
			same(t, got, a)
			all, err := tx.ListCertificates()
			wantErr(t, "list", err, nil)
			if len(all) != 2 || all[0].DNKey != "cn=a" || all[1].DNKey != "cn=b" {
				t.Errorf("list = %+v, want cn=a then cn=b", all)
			}
			return nil
		})
		renewed := cert("cn=b", "CN=B", 20)
		update(t, s, func(tx meta.Tx) error { return tx.PutCertificate(&renewed) })
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetCertificate("cn=b")
			wantErr(t, "get renewed", err, nil)
			same(t, got, renewed)
			return nil
		})
	})

	t.Run("a missing certificate is ErrNotFound and a deleted one is gone", func(t *testing.T) {
		s := open(t)
		c := cert("cn=x", "CN=x", 10)
		update(t, s, func(tx meta.Tx) error { return tx.PutCertificate(&c) })
		update(t, s, func(tx meta.Tx) error { return tx.DeleteCertificate("cn=x") })
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetCertificate("cn=x")
			wantErr(t, "get deleted", err, meta.ErrNotFound)
			all, err := tx.ListCertificates()
			wantErr(t, "list", err, nil)
			if len(all) != 0 {
				t.Errorf("list after delete = %+v", all)
			}
			return nil
		})
		wantErr(t, "delete again", s.Update(ctx(), func(tx meta.Tx) error { return tx.DeleteCertificate("cn=x") }), meta.ErrNotFound)
	})
}
