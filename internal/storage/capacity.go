package storage

import (
	"context"
	"encoding/json"

	blobs3 "github.com/quarrylabs/quarry/internal/blob/s3"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Capacity is what get_capacity reports. A figure that cannot be known is
// -1: an S3 bucket has no size to ask for, so a component reports the
// dataClaimCapacity it was given, or -1.
type Capacity struct {
	Total, Used, Available, WarnThreshold int64
}

// warnShare is the share of the total past which capacity warns.
const warnShare = 0.8

// Capacity reports the store in use: the local disk's file system, or
// the component's claimed capacity. Used is the bytes of every stored
// object version, from the usage counters: small objects kept inline in
// the metadata database count too, as what the buckets hold is what an
// operator sizes for, wherever Quarry keeps it.
func (s *Service) Capacity(ctx context.Context) (Capacity, error) {
	c := Capacity{Total: -1, Available: -1, WarnThreshold: -1}
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		buckets, err := tx.ListBuckets(0)
		if err != nil {
			return err
		}
		for _, b := range buckets {
			u, err := tx.GetUsage(b.Name)
			if err != nil {
				return err
			}
			c.Used += u.VersionBytes
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	s.mu.Lock()
	using := s.using
	s.mu.Unlock()
	switch {
	case using != nil:
		var set Settings
		if err := json.Unmarshal(using.Config, &set); err == nil && set.DataClaimCapacity != "" {
			if n, err := parseCapacity(set.DataClaimCapacity); err == nil {
				c.Total = n
			}
		}
	case s.cfg.Fixed != nil:
		if _, ok := s.cfg.Fixed.(*blobs3.Store); !ok && s.cfg.LocalDir != "" {
			c.Total, c.Available = diskCapacity(s.cfg.LocalDir)
		}
	case s.cfg.LocalDir != "":
		c.Total, c.Available = diskCapacity(s.cfg.LocalDir)
	}
	if c.Total >= 0 {
		if c.Available < 0 {
			c.Available = max(c.Total-c.Used, 0)
		}
		c.WarnThreshold = int64(float64(c.Total) * warnShare)
	}
	return c, nil
}
