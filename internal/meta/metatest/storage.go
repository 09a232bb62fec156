package metatest

import (
	"bytes"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testStorageComponents(t *testing.T, open func(t *testing.T) meta.Store) {
	component := func(label string, state meta.StorageState) meta.StorageComponent {
		return meta.StorageComponent{Label: label, StorageType: "HCPS_S3", State: state, ClassID: 7,
			FaultDomainID: "fd-1", Config: []byte(`{"host":"` + label + `"}`), SecretsEnc: []byte("sealed " + label),
			CustomMetadata: []byte(`{}`), CreatedAt: at(1), UpdatedAt: at(2)}
	}
	same := func(t *testing.T, got *meta.StorageComponent, want meta.StorageComponent) {
		t.Helper()
		if got.ID != want.ID || got.Label != want.Label || got.StorageType != want.StorageType || got.State != want.State ||
			got.Verified != want.Verified || got.ClassID != want.ClassID || got.FaultDomainID != want.FaultDomainID ||
			!bytes.Equal(got.Config, want.Config) || !bytes.Equal(got.SecretsEnc, want.SecretsEnc) ||
			!bytes.Equal(got.CustomMetadata, want.CustomMetadata) || !sameTime(got.CreatedAt, want.CreatedAt) ||
			!sameTime(got.UpdatedAt, want.UpdatedAt) {
			t.Errorf("component = %+v, want %+v", *got, want)
		}
	}

	t.Run("a component reads back, lists by id and is updated", func(t *testing.T) {
		s := open(t)
		a, b := component("b-comp", meta.StorageUnverified), component("a-comp", meta.StorageInactive)
		update(t, s, func(tx meta.Tx) error {
			if err := tx.CreateStorageComponent(&a); err != nil {
				return err
			}
			return tx.CreateStorageComponent(&b)
		})
		if a.ID <= 0 || b.ID <= a.ID {
			t.Fatalf("ids %d then %d, want positive and growing", a.ID, b.ID)
		}
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetStorageComponent(a.ID)
			wantErr(t, "get", err, nil)
			same(t, got, a)
			all, err := tx.ListStorageComponents()
			wantErr(t, "list", err, nil)
			if len(all) != 2 || all[0].ID != a.ID || all[1].ID != b.ID {
				t.Errorf("list = %+v, want by id", all)
			}
			return nil
		})
		a.Label, a.State, a.Verified, a.Config, a.UpdatedAt = "renamed", meta.StorageActive, true, []byte(`{"host":"x"}`), at(9)
		update(t, s, func(tx meta.Tx) error { return tx.UpdateStorageComponent(&a) })
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetStorageComponent(a.ID)
			wantErr(t, "get updated", err, nil)
			same(t, got, a)
			return nil
		})
	})

	t.Run("labels are unique in any case and a missing component is ErrNotFound", func(t *testing.T) {
		s := open(t)
		a, b := component("Comp", meta.StorageUnverified), component("comp", meta.StorageUnverified)
		update(t, s, func(tx meta.Tx) error { return tx.CreateStorageComponent(&a) })
		wantErr(t, "create a taken label", s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateStorageComponent(&b) }), meta.ErrExists)
		other := component("other", meta.StorageUnverified)
		update(t, s, func(tx meta.Tx) error { return tx.CreateStorageComponent(&other) })
		other.Label = "COMP"
		wantErr(t, "rename to a taken label", s.Update(ctx(), func(tx meta.Tx) error { return tx.UpdateStorageComponent(&other) }), meta.ErrExists)
		wantErr(t, "get missing", s.View(ctx(), func(tx meta.Tx) error { _, err := tx.GetStorageComponent(999); return err }), meta.ErrNotFound)
		missing := component("missing", meta.StorageUnverified)
		missing.ID = 999
		wantErr(t, "update missing", s.Update(ctx(), func(tx meta.Tx) error { return tx.UpdateStorageComponent(&missing) }), meta.ErrNotFound)
	})

	t.Run("only one component is in service at a time", func(t *testing.T) {
		s := open(t)
		a, b := component("a", meta.StorageActive), component("b", meta.StorageInactive)
		update(t, s, func(tx meta.Tx) error {
			if err := tx.CreateStorageComponent(&a); err != nil {
				return err
			}
			return tx.CreateStorageComponent(&b)
		})
		for _, state := range []meta.StorageState{meta.StorageActive, meta.StorageReadOnly, meta.StoragePaused} {
			b.State = state
			wantErr(t, "put a second component in service as "+string(state),
				s.Update(ctx(), func(tx meta.Tx) error { return tx.UpdateStorageComponent(&b) }), meta.ErrExists)
		}
		c := component("c", meta.StoragePaused)
		wantErr(t, "create a second component in service",
			s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateStorageComponent(&c) }), meta.ErrExists)
		// Taking a out of service and b in, in one transaction, works.
		a.State, b.State = meta.StorageInactive, meta.StorageReadOnly
		update(t, s, func(tx meta.Tx) error {
			if err := tx.UpdateStorageComponent(&a); err != nil {
				return err
			}
			return tx.UpdateStorageComponent(&b)
		})
	})
}

func testStorageClasses(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("classes read back, page by id, are renamed and keep one default", func(t *testing.T) {
		s := open(t)
		classes := []meta.StorageClass{
			{Name: "STANDARD", DataCount: 1, ParityCount: 0, Default: true, CreatedAt: at(1)},
			{Name: "Cold", DataCount: 4, ParityCount: 2, CreatedAt: at(2)},
			{Name: "warm", DataCount: 2, ParityCount: 1, CreatedAt: at(3)},
		}
		update(t, s, func(tx meta.Tx) error {
			for i := range classes {
				if err := tx.CreateStorageClass(&classes[i]); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetStorageClass(classes[1].ID)
			wantErr(t, "get", err, nil)
			if *got != (meta.StorageClass{ID: classes[1].ID, Name: "Cold", DataCount: 4, ParityCount: 2, CreatedAt: got.CreatedAt}) ||
				!sameTime(got.CreatedAt, at(2)) {
				t.Errorf("class = %+v", *got)
			}
			first, err := tx.ListStorageClasses(0, 2)
			wantErr(t, "list", err, nil)
			if len(first) != 2 || first[0].ID != classes[0].ID || first[1].ID != classes[1].ID {
				t.Errorf("first page = %+v", first)
			}
			rest, err := tx.ListStorageClasses(first[1].ID, 2)
			wantErr(t, "list rest", err, nil)
			if len(rest) != 1 || rest[0].ID != classes[2].ID {
				t.Errorf("second page = %+v", rest)
			}
			_, err = tx.GetStorageClass(classes[2].ID + 100)
			wantErr(t, "get missing", err, meta.ErrNotFound)
			return nil
		})
		dup := meta.StorageClass{Name: "cold", DataCount: 1}
		wantErr(t, "create a taken name", s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateStorageClass(&dup) }), meta.ErrExists)
		second := classes[2]
		second.Default = true
		wantErr(t, "a second default", s.Update(ctx(), func(tx meta.Tx) error { return tx.UpdateStorageClass(&second) }), meta.ErrExists)
		classes[0].Default, classes[2].Default, classes[2].Name = false, true, "Warm"
		update(t, s, func(tx meta.Tx) error {
			if err := tx.UpdateStorageClass(&classes[0]); err != nil {
				return err
			}
			return tx.UpdateStorageClass(&classes[2])
		})
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetStorageClass(classes[2].ID)
			wantErr(t, "get renamed", err, nil)
			if got.Name != "Warm" || !got.Default {
				t.Errorf("renamed default class = %+v", *got)
			}
			return nil
		})
		missing := meta.StorageClass{ID: 999, Name: "x"}
		wantErr(t, "update missing", s.Update(ctx(), func(tx meta.Tx) error { return tx.UpdateStorageClass(&missing) }), meta.ErrNotFound)
	})
}

func testStorageFaultDomains(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("fault domains read back, page by id and are renamed", func(t *testing.T) {
		s := open(t)
		domains := []meta.StorageFaultDomain{
			{ID: "bbbb", Name: "Second", Tags: "t2", CreatedAt: at(2)},
			{ID: "aaaa", Name: "First", Tags: "t1", CreatedAt: at(1)},
		}
		update(t, s, func(tx meta.Tx) error {
			for i := range domains {
				if err := tx.CreateStorageFaultDomain(&domains[i]); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.GetStorageFaultDomain("bbbb")
			wantErr(t, "get", err, nil)
			if got.Name != "Second" || got.Tags != "t2" || !sameTime(got.CreatedAt, at(2)) {
				t.Errorf("domain = %+v", *got)
			}
			page, err := tx.ListStorageFaultDomains("", 1)
			wantErr(t, "list", err, nil)
			if len(page) != 1 || page[0].ID != "aaaa" {
				t.Errorf("first page = %+v", page)
			}
			page, err = tx.ListStorageFaultDomains("aaaa", 0)
			wantErr(t, "list rest", err, nil)
			if len(page) != 1 || page[0].ID != "bbbb" {
				t.Errorf("second page = %+v", page)
			}
			_, err = tx.GetStorageFaultDomain("cccc")
			wantErr(t, "get missing", err, meta.ErrNotFound)
			return nil
		})
		for _, d := range []meta.StorageFaultDomain{{ID: "cccc", Name: "FIRST"}, {ID: "aaaa", Name: "Third"}} {
			wantErr(t, "create "+d.ID+" "+d.Name, s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateStorageFaultDomain(&d) }), meta.ErrExists)
		}
		domains[0].Name, domains[0].Tags = "Renamed", "new"
		update(t, s, func(tx meta.Tx) error { return tx.UpdateStorageFaultDomain(&domains[0]) })
		renameTaken := domains[0]
		renameTaken.Name = "first"
		wantErr(t, "rename to a taken name", s.Update(ctx(), func(tx meta.Tx) error { return tx.UpdateStorageFaultDomain(&renameTaken) }), meta.ErrExists)
		missing := meta.StorageFaultDomain{ID: "zzzz", Name: "z"}
		wantErr(t, "update missing", s.Update(ctx(), func(tx meta.Tx) error { return tx.UpdateStorageFaultDomain(&missing) }), meta.ErrNotFound)
	})
}
