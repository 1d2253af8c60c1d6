package appliance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/coopbox/coopbox/services/decide"
	"github.com/coopbox/coopbox/services/meeting"
	"github.com/coopbox/coopbox/services/pads"
	pagekit "github.com/coopbox/coopbox/services/page"
	bolt "go.etcd.io/bbolt"
)

// mounts is the list of the box's services: adding a service is writing its
// package and one line here. Routes, body limits, the landing page, the
// schema checks of start and restore, and closing before a restore all loop
// over it.
func mounts() []pagekit.Mount {
	return []pagekit.Mount{
		pads.Mount(),
		decide.Mount(),
		meeting.Mount(),
	}
}

// running is a service opened on the current database.
type running struct {
	pagekit.Mount
	svc    pagekit.Service
	cancel context.CancelFunc // ends its Run
	done   sync.WaitGroup
}

// errServiceSchema means a service's bucket was written by a newer coopbox.
var errServiceSchema = errors.New("a service's data was written by a newer coopbox")

// checkMounts refuses a set of mounts that would collide: one name is one
// URL and one bucket, so two services may not share it, and "box" is the
// appliance's own bucket.
func checkMounts(ms []pagekit.Mount) error {
	seen := map[string]bool{"box": true, "api": true, "static": true}
	for _, m := range ms {
		if m.Name == "" || seen[m.Name] || m.Open == nil || m.Schema < 1 {
			return fmt.Errorf("service %q: a unique name, an Open function and a schema version ≥ 1 are needed", m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}

// serviceSchema reads the schema version of the service's bucket: 0 when the
// bucket is missing, 1 when it predates versioning (a bucket written by
// coopbox before this key existed).
func serviceSchema(tx *bolt.Tx, name string) (int, error) {
	bk := tx.Bucket([]byte(name))
	if bk == nil {
		return 0, nil
	}
	v := bk.Get(keySchema)
	if v == nil {
		return 1, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("service %s: schema version %q", name, v)
	}
	return n, nil
}

// checkServiceSchemas checks, without writing, that this coopbox reads every
// service's bucket of a database: at start and on a backup before restoring it.
func checkServiceSchemas(tx *bolt.Tx, ms []pagekit.Mount) error {
	for _, m := range ms {
		n, err := serviceSchema(tx, m.Name)
		if err != nil {
			return err
		}
		if n > m.Schema {
			return fmt.Errorf("%w (%s: schema %d, this one reads up to %d)", errServiceSchema, m.Name, n, m.Schema)
		}
	}
	return nil
}

// initServiceBuckets creates each service's bucket with its schema version,
// and stamps the version on a bucket that predates it.
func initServiceBuckets(tx *bolt.Tx, ms []pagekit.Mount) error {
	if err := checkServiceSchemas(tx, ms); err != nil {
		return err
	}
	for _, m := range ms {
		bk, err := tx.CreateBucketIfNotExists([]byte(m.Name))
		if err != nil {
			return fmt.Errorf("service %s: %w", m.Name, err)
		}
		if bk.Get(keySchema) == nil {
			if err := bk.Put(keySchema, []byte(strconv.Itoa(m.Schema))); err != nil {
				return err
			}
		}
	}
	return nil
}

// openServices opens every mounted service on db and starts the background
// work of those that have some. On error, the ones already open are closed.
func (b *Box) openServices(db *bolt.DB) ([]*running, error) {
	if err := db.Update(func(tx *bolt.Tx) error { return initServiceBuckets(tx, b.mounts) }); err != nil {
		return nil, err
	}
	var out []*running
	peer := func(name string) pagekit.Service {
		for _, r := range out {
			if r.Name == name {
				return r.svc
			}
		}
		return nil
	}
	for _, m := range b.mounts {
		svc, err := m.Open(pagekit.Env{DB: db, Log: b.log.With("service", m.Name), Now: b.clock.Now,
			Limit: b.create.limit, Catalog: b.catalog, BoxName: b.boxName, Peer: peer})
		if err != nil {
			stopServices(out, b.log.Warn)
			return nil, fmt.Errorf("open %s: %w", m.Name, err)
		}
		rs := &running{Mount: m, svc: svc, cancel: func() {}}
		if r, ok := svc.(pagekit.Runner); ok {
			ctx, cancel := context.WithCancel(context.Background())
			rs.cancel = cancel
			rs.done.Go(func() { r.Run(ctx) })
		}
		out = append(out, rs)
	}
	return out, nil
}

// stopServices ends the services' background work, then closes them: their
// connections end and what they hold in memory is written.
func stopServices(rs []*running, warn func(string, ...any)) {
	for _, s := range rs {
		s.cancel()
		s.done.Wait()
		if err := s.svc.Close(); err != nil {
			warn("close service", "service", s.Name, "err", err)
		}
	}
}

// mountServices routes /Name/, /api/Name and /api/Name/ to each service.
func mountServices(mux *http.ServeMux, rs []*running) {
	for _, s := range rs {
		mux.Handle("/"+s.Name+"/", s.svc)
		mux.Handle("/api/"+s.Name, s.svc)
		mux.Handle("/api/"+s.Name+"/", s.svc)
	}
}

// bodyLimits are the routes allowed bodies over the default 64 KiB: the
// box's restore upload and what the services ask for.
func bodyLimits(ms []pagekit.Mount) map[string]int64 {
	out := map[string]int64{"/admin/restore": maxRestoreUpload + 1<<20}
	for _, m := range ms {
		for path, n := range m.BodyLimits {
			out[path] = n
		}
	}
	return out
}
