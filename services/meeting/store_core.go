package meeting

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The core's storage, in the meeting's own bucket:
//
//	meeting/m/<meeting id>/core    JSON Core: agenda, queue, speeches,
//	                               profiles, the projector's view
//
// One value per meeting, rewritten whole at every change: its size is
// bounded (maxItems, maxQueue, maxSpeeches, maxProfiles), and a meeting's
// changes come one at a time under its lock.

var keyCore = []byte("core")

// Bounds of one meeting and of the box.
const (
	maxMeetings = 1000
	maxItems    = 50
	maxQueue    = 300
	maxSpeeches = 5000
	maxProfiles = 2000
)

// createMeeting stores a new meeting, refused past maxMeetings.
func (st *store) createMeeting(m Meeting) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		ms := tx.Bucket(bucketMeeting).Bucket(bucketMeetings)
		if ms.Stats().KeyN >= maxMeetings {
			return errTooMany
		}
		if _, err := meetingBucket(tx, m.ID, true); err != nil {
			return err
		}
		if err := putJSON(ms, []byte(m.ID), m); err != nil {
			return fmt.Errorf("store meeting %s: %w", m.ID, err)
		}
		return nil
	})
}

// core reads a meeting's core state; an empty one when none was stored.
func (st *store) core(id string) (Core, error) {
	var c Core
	err := st.db.View(func(tx *bolt.Tx) error {
		b, err := meetingBucket(tx, id, false)
		if err != nil {
			return err
		}
		return getJSON(b, keyCore, &c)
	})
	if err == errNotFound {
		err = nil
	}
	return c, err
}

// saveCore writes the meeting and its core state in one transaction.
func (st *store) saveCore(m Meeting, c Core) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		b, err := meetingBucket(tx, m.ID, true)
		if err != nil {
			return err
		}
		if err := putJSON(b, keyCore, c); err != nil {
			return fmt.Errorf("store core of %s: %w", m.ID, err)
		}
		return putJSON(tx.Bucket(bucketMeeting).Bucket(bucketMeetings), []byte(m.ID), m)
	})
}
