package meeting

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The room's storage, inside a meeting's bucket meeting/m/<meeting id>/:
//
//	room/settings            JSON RoomSettings; the bucket's sequence
//	                         numbers every record of the room below
//	questions/<seq>          JSON Question
//	proposals/<seq>          JSON Proposal
//	arguments/<seq>          JSON Argument (its proposal's id inside)
//	checks/<seq>             JSON Check, with the answers by person id
//
// <seq> is 8 bytes big-endian, so a bucket lists in the order things were
// committed. An anonymous question holds no author, only the SHA-256 of
// its handle.

var (
	bucketRoom      = []byte("room")
	bucketQuestions = []byte("questions")
	bucketProposals = []byte("proposals")
	bucketArguments = []byte("arguments")
	bucketChecks    = []byte("checks")
	keySettings     = []byte("settings")
)

var errRoomEnded = errors.New("meeting ended")

// roomTx is one meeting's room inside a bbolt transaction.
type roomTx struct {
	room, questions, proposals, arguments, checks *bolt.Bucket
}

func roomKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// openRoom returns the room of meeting id in tx; errNotFound when there is
// no such meeting. With write set, its buckets are created as needed; a
// read of a meeting with no room yet gets nil buckets, which read as empty.
func openRoom(tx *bolt.Tx, id string, write bool) (*roomTx, Meeting, error) {
	var m Meeting
	if err := getJSON(tx.Bucket(bucketMeeting).Bucket(bucketMeetings), []byte(id), &m); err != nil {
		return nil, m, err
	}
	mb, err := meetingBucket(tx, id, write)
	if err != nil {
		return nil, m, err
	}
	rt := &roomTx{}
	if mb == nil {
		return rt, m, nil
	}
	for _, b := range []struct {
		name []byte
		dst  **bolt.Bucket
	}{{bucketRoom, &rt.room}, {bucketQuestions, &rt.questions}, {bucketProposals, &rt.proposals}, {bucketArguments, &rt.arguments}, {bucketChecks, &rt.checks}} {
		if write {
			if *b.dst, err = mb.CreateBucketIfNotExists(b.name); err != nil {
				return nil, m, err
			}
		} else {
			*b.dst = mb.Bucket(b.name)
		}
	}
	return rt, m, nil
}

// next is a new record id of the room.
func (rt *roomTx) next() (uint64, error) { return rt.room.NextSequence() }

func (rt *roomTx) settings() (RoomSettings, error) {
	var s RoomSettings
	if err := getJSON(rt.room, keySettings, &s); err != nil && !errors.Is(err, errNotFound) {
		return s, err
	}
	return s, nil
}

// roomGet and roomPut read and write one record by id.
func roomGet[T any](b *bolt.Bucket, id uint64) (T, error) {
	var v T
	return v, getJSON(b, roomKey(id), &v)
}

func roomPut(b *bolt.Bucket, id uint64, v any) error { return putJSON(b, roomKey(id), v) }

// roomAll lists a bucket's records in id order (a nil bucket is empty).
func roomAll[T any](b *bolt.Bucket) ([]T, error) {
	var out []T
	if b == nil {
		return out, nil
	}
	err := b.ForEach(func(k, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("record %x: %w", k, err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// roomCount is how many records a bucket holds.
func roomCount(b *bolt.Bucket) int {
	if b == nil {
		return 0
	}
	return b.Stats().KeyN
}

// roomData is the whole room of a meeting.
type roomData struct {
	Meeting   Meeting
	Settings  RoomSettings
	Questions []Question
	Proposals []Proposal
	Arguments []Argument
	Checks    []Check
}

// loadRoom reads the room of meeting id.
func (st *store) loadRoom(id string) (roomData, error) {
	var d roomData
	err := st.db.View(func(tx *bolt.Tx) error {
		rt, m, err := openRoom(tx, id, false)
		if err != nil {
			return err
		}
		d.Meeting = m
		if rt.room != nil {
			if d.Settings, err = rt.settings(); err != nil {
				return err
			}
		}
		if d.Questions, err = roomAll[Question](rt.questions); err != nil {
			return err
		}
		if d.Proposals, err = roomAll[Proposal](rt.proposals); err != nil {
			return err
		}
		if d.Arguments, err = roomAll[Argument](rt.arguments); err != nil {
			return err
		}
		d.Checks, err = roomAll[Check](rt.checks)
		return err
	})
	if err != nil {
		return d, fmt.Errorf("load room of %s: %w", id, err)
	}
	return d, nil
}

// updateRoom runs fn on meeting id's room in one write transaction; an
// ended meeting takes no change (errRoomEnded). fn's error rolls it back.
func (st *store) updateRoom(id string, fn func(rt *roomTx) error) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeeting).Bucket(bucketMeetings).Get([]byte(id)) == nil {
			return errNotFound
		}
		rt, m, err := openRoom(tx, id, true)
		if err != nil {
			return err
		}
		if m.Ended {
			return errRoomEnded
		}
		return fn(rt)
	})
}
