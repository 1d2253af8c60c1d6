package decide

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The votes' storage, in bucket "decide":
//
//	voteIndex/<vote id>                      the vote's assembly id
//	a/<assembly id>/votes/<vote id>          JSON Vote
//	a/<assembly id>/vkeys/<vote id>          a secret vote's blind-signing key (PKCS#1 DER)
//	a/<assembly id>/issued/<vote id>/<member id>
//	                                         rights handed to the member for a
//	                                         secret vote (cards, signatures): uint64
//	a/<assembly id>/delegations/<member id>  JSON []storedDelegation
//	a/<assembly id>/v/<vote id>/main/<member id>
//	a/<assembly id>/v/<vote id>/objection/<member id>
//	                                         an open vote's current ballots: JSON openBallot
//	a/<assembly id>/v/<vote id>/log/<seq>    an open vote's hash-chained log: JSON logEntry
//	a/<assembly id>/v/<vote id>/notes/<seq>  consent rounds' and elections' notes: JSON note
//	a/<assembly id>/results/<vote id>        an open vote's result: JSON storedResult
//	a/<assembly id>/exports/<vote id>        its anonymised ballots (tally's JSON file)
//	box/<vote id>/tokens/<SHA-256 of token>  a secret vote's tokens: "c" a card not
//	                                         used yet, "x" spent
//	box/<vote id>/ballots/<16 random bytes>  its ballots: tally's JSON ballot, nothing else
//	box/<vote id>/result, box/<vote id>/export
//	                                         its result and anonymised ballots
//
// A secret vote's ballots live under "box", apart from the assemblies'
// buckets where members are, so that no page of the file holds a secret
// ballot beside a member: bbolt stores a small bucket inline in its
// parent's page, but never one that holds buckets, so "a/<assembly id>",
// "box" and "box/<vote id>" each have pages of their own, and the pages of
// "box/<vote id>" hold that vote's secret records only. They are stored with no time and no member, under keys
// drawn at random, so their order in the file is no arrival order.

var (
	bucketVoteIndex   = []byte("voteIndex")
	bucketVotes       = []byte("votes")
	bucketVKeys       = []byte("vkeys")
	bucketIssued      = []byte("issued")
	bucketDelegations = []byte("delegations")
	bucketV           = []byte("v")
	bucketLog         = []byte("log")
	bucketNotes       = []byte("notes")
	bucketResults     = []byte("results")
	bucketExports     = []byte("exports")
	bucketBox         = []byte("box")
	bucketTokens      = []byte("tokens")
	bucketBallots     = []byte("ballots")
	keyResult         = []byte("result")
	keyExport         = []byte("export")
)

var (
	errState     = errors.New("the vote is not open")
	errSpent     = errors.New("token already used")
	errBadToken  = errors.New("token not valid for this vote")
	errNoRights  = errors.New("no voting right left")
	errNoBallots = errors.New("no ballot in this phase")
)

// openBallot is a member's current ballot in an open vote.
type openBallot struct {
	Member  string          `json:"member"`
	Ballot  json.RawMessage `json:"ballot,omitempty"` // tally's JSON ballot, weight 1
	Nominee string          `json:"nominee,omitempty"`
	Reason  string          `json:"reason,omitempty"`
	Seq     uint64          `json:"seq"`
	Receipt string          `json:"receipt"`
}

// logEntry is one entry of an open vote's log: Hash = SHA-256(previous
// entry's Hash ‖ Leaf); the receipt code is Leaf's first 10 base32
// characters (audit.go).
type logEntry struct {
	Seq    uint64          `json:"seq"`
	Set    string          `json:"set"`
	Member string          `json:"member"`
	Ballot json.RawMessage `json:"ballot,omitempty"`
	Extra  string          `json:"extra,omitempty"` // nominee and reason
	Leaf   []byte          `json:"leaf"`
	Hash   []byte          `json:"hash"`
}

// note is a member's question, reaction or objection in a consent round.
type note struct {
	Seq    uint64    `json:"seq"`
	Phase  string    `json:"phase"`
	Member string    `json:"member"`
	Name   string    `json:"name"`
	Text   string    `json:"text"`
	Time   time.Time `json:"time"`
}

// storedDelegation is one delegation as a member gave it.
type storedDelegation struct {
	To      string    `json:"to"` // empty: to nobody
	Scope   string    `json:"scope"`
	Subject string    `json:"subject,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitzero"`
}

func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// subBucket walks (creating when create is set) a path of buckets.
func subBucket(b *bolt.Bucket, create bool, path ...[]byte) (*bolt.Bucket, error) {
	for _, name := range path {
		if b == nil {
			return nil, errNotFound
		}
		if create {
			var err error
			if b, err = b.CreateBucketIfNotExists(name); err != nil {
				return nil, err
			}
		} else {
			b = b.Bucket(name)
		}
	}
	if b == nil {
		return nil, errNotFound
	}
	return b, nil
}

// voteTx finds a vote in tx: its assembly bucket and its record.
func voteTx(tx *bolt.Tx, id string) (*bolt.Bucket, Vote, error) {
	var v Vote
	index := tx.Bucket(bucketDecide).Bucket(bucketVoteIndex)
	if index == nil {
		return nil, v, errNotFound
	}
	aid := index.Get([]byte(id))
	if aid == nil {
		return nil, v, errNotFound
	}
	a, _ := assemblyBucket(tx, string(aid), false)
	votes, err := subBucket(a, false, bucketVotes)
	if err != nil {
		return nil, v, err
	}
	if err := getJSON(votes, []byte(id), &v); err != nil {
		return nil, v, err
	}
	return a, v, nil
}

func (st *store) createVote(v *Vote) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, v.AssemblyID, false)
		if a == nil {
			return errNotFound
		}
		votes, err := subBucket(a, true, bucketVotes)
		if err != nil {
			return err
		}
		if v.Seq, err = votes.NextSequence(); err != nil {
			return err
		}
		index, err := tx.Bucket(bucketDecide).CreateBucketIfNotExists(bucketVoteIndex)
		if err != nil {
			return err
		}
		if err := index.Put([]byte(v.ID), []byte(v.AssemblyID)); err != nil {
			return err
		}
		return putJSON(votes, []byte(v.ID), v)
	})
}

func (st *store) vote(id string) (Vote, error) {
	var v Vote
	err := st.db.View(func(tx *bolt.Tx) error {
		var err error
		_, v, err = voteTx(tx, id)
		return err
	})
	return v, err
}

func (st *store) votesOf(assemblyID string) ([]Vote, error) {
	var out []Vote
	err := st.db.View(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, assemblyID, false)
		if a == nil {
			return errNotFound
		}
		votes := a.Bucket(bucketVotes)
		if votes == nil {
			return nil
		}
		return votes.ForEach(func(k, raw []byte) error {
			var v Vote
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("vote %s: %w", k, err)
			}
			out = append(out, v)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b Vote) int { return int(a.Seq) - int(b.Seq) })
	return out, err
}

// updateVote changes a vote in one transaction; fn sees the assembly's
// bucket to store what goes with the change.
func (st *store) updateVote(id string, fn func(tx *bolt.Tx, a *bolt.Bucket, v *Vote) error) (Vote, error) {
	var v Vote
	err := st.db.Update(func(tx *bolt.Tx) error {
		a, cur, err := voteTx(tx, id)
		if err != nil {
			return err
		}
		v = cur
		if err := fn(tx, a, &v); err != nil {
			return err
		}
		return putJSON(a.Bucket(bucketVotes), []byte(id), v)
	})
	return v, err
}

func (st *store) signingKey(v Vote) ([]byte, error) {
	var der []byte
	err := st.db.View(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, v.AssemblyID, false)
		b, err := subBucket(a, false, bucketVKeys)
		if err != nil {
			return err
		}
		if der = slices.Clone(b.Get([]byte(v.ID))); der == nil {
			return errNotFound
		}
		return nil
	})
	return der, err
}

// castOpen stores a member's ballot of an open vote, replacing their
// previous one of the same set, and appends it to the vote's log.
func (st *store) castOpen(id string, memberID string, set string, ob openBallot) (string, error) {
	var receipt string
	err := st.db.Batch(func(tx *bolt.Tx) error {
		a, v, err := voteTx(tx, id)
		if err != nil {
			return err
		}
		if v.State != StateOpen {
			return errState
		}
		if ballotSet(&v) != set {
			return errNoBallots
		}
		vb, err := subBucket(a, true, bucketV, []byte(id))
		if err != nil {
			return err
		}
		ballots, err := vb.CreateBucketIfNotExists([]byte(set))
		if err != nil {
			return err
		}
		log, err := vb.CreateBucketIfNotExists(bucketLog)
		if err != nil {
			return err
		}
		seq, err := log.NextSequence()
		if err != nil {
			return err
		}
		prev := chainStart(id)
		if k, last := log.Cursor().Last(); k != nil {
			var e logEntry
			if err := json.Unmarshal(last, &e); err != nil {
				return fmt.Errorf("log of %s: %w", id, err)
			}
			prev = e.Hash
		}
		extra := ""
		if ob.Nominee != "" || ob.Reason != "" {
			extra = ob.Nominee + "\n" + ob.Reason
		}
		leaf := leafHash(id, fmt.Sprintf("%s:%s:%d", set, memberID, seq), append(slices.Clone([]byte(ob.Ballot)), extra...))
		e := logEntry{Seq: seq, Set: set, Member: memberID, Ballot: ob.Ballot, Extra: extra, Leaf: leaf, Hash: chainNext(prev, leaf)}
		if err := putJSON(log, seqKey(seq), e); err != nil {
			return err
		}
		ob.Member, ob.Seq, ob.Receipt = memberID, seq, receiptCode(leaf)
		receipt = ob.Receipt
		return putJSON(ballots, []byte(memberID), ob)
	})
	return receipt, err
}

// openBallots reads an open vote's current ballots of a set.
func openBallotsTx(a *bolt.Bucket, id, set string) ([]openBallot, error) {
	var out []openBallot
	b, err := subBucket(a, false, bucketV, []byte(id), []byte(set))
	if err != nil {
		return nil, nil
	}
	err = b.ForEach(func(k, raw []byte) error {
		var ob openBallot
		if err := json.Unmarshal(raw, &ob); err != nil {
			return fmt.Errorf("ballot %s: %w", k, err)
		}
		out = append(out, ob)
		return nil
	})
	return out, err
}

func (st *store) openBallots(id, set string) ([]openBallot, error) {
	var out []openBallot
	err := st.db.View(func(tx *bolt.Tx) error {
		a, _, err := voteTx(tx, id)
		if err != nil {
			return err
		}
		out, err = openBallotsTx(a, id, set)
		return err
	})
	return out, err
}

// countBallots is the live participation: members who voted (open) or
// ballots in the box (secret).
func (st *store) countBallots(v Vote) (int, error) {
	n := 0
	err := st.db.View(func(tx *bolt.Tx) error {
		var b *bolt.Bucket
		if v.Secret {
			b, _ = subBucket(tx.Bucket(bucketDecide), false, bucketBox, []byte(v.ID), bucketBallots)
		} else {
			a, _ := assemblyBucket(tx, v.AssemblyID, false)
			set := ballotSet(&v)
			if set == "" {
				set = setMain
			}
			b, _ = subBucket(a, false, bucketV, []byte(v.ID), []byte(set))
		}
		if b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}

// castSecret spends a token and stores its ballot in one transaction: a
// token used twice, even at the same instant, counts once. card says the
// token must be a printed card's; otherwise its signature was checked and
// any unspent token goes.
func (st *store) castSecret(id string, tokenHash []byte, card bool, ballot []byte, key []byte) error {
	return st.db.Batch(func(tx *bolt.Tx) error {
		_, v, err := voteTx(tx, id)
		if err != nil {
			return err
		}
		if v.State != StateOpen {
			return errState
		}
		box, err := subBucket(tx.Bucket(bucketDecide), true, bucketBox, []byte(id))
		if err != nil {
			return err
		}
		tokens, err := box.CreateBucketIfNotExists(bucketTokens)
		if err != nil {
			return err
		}
		switch string(tokens.Get(tokenHash)) {
		case "x":
			return errSpent
		case "c":
		default:
			if card {
				return errBadToken
			}
		}
		if err := tokens.Put(tokenHash, []byte("x")); err != nil {
			return err
		}
		ballots, err := box.CreateBucketIfNotExists(bucketBallots)
		if err != nil {
			return err
		}
		if ballots.Get(key) != nil {
			return errConflict // 2^-128: the caller draws another key
		}
		return ballots.Put(key, ballot)
	})
}

// addCards stores the hashes of freshly printed cards' tokens.
func (st *store) addCards(id string, hashes [][]byte) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		if _, _, err := voteTx(tx, id); err != nil {
			return err
		}
		tokens, err := subBucket(tx.Bucket(bucketDecide), true, bucketBox, []byte(id), bucketTokens)
		if err != nil {
			return err
		}
		for _, h := range hashes {
			if tokens.Get(h) != nil {
				return errConflict
			}
			if err := tokens.Put(h, []byte("c")); err != nil {
				return err
			}
		}
		return nil
	})
}

// issue records that a member received n more rights (cards or
// signatures) for a secret vote, at most max in all; it returns how many
// they have received.
func (st *store) issue(v Vote, memberID string, n, max int64) (int64, error) {
	var total int64
	err := st.db.Update(func(tx *bolt.Tx) error {
		a, cur, err := voteTx(tx, v.ID)
		if err != nil {
			return err
		}
		if cur.State == StateClosed {
			return errState
		}
		b, err := subBucket(a, true, bucketIssued, []byte(v.ID))
		if err != nil {
			return err
		}
		var had int64
		if raw := b.Get([]byte(memberID)); len(raw) == 8 {
			had = int64(binary.BigEndian.Uint64(raw))
		}
		if had+n > max {
			return errNoRights
		}
		total = had + n
		return b.Put([]byte(memberID), binary.BigEndian.AppendUint64(nil, uint64(total)))
	})
	return total, err
}

// issued is how many rights each member received for a secret vote.
func (st *store) issued(v Vote) (map[string]int64, error) {
	out := map[string]int64{}
	err := st.db.View(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, v.AssemblyID, false)
		b, err := subBucket(a, false, bucketIssued, []byte(v.ID))
		if err != nil {
			return nil
		}
		return b.ForEach(func(k, raw []byte) error {
			if len(raw) == 8 {
				out[string(k)] = int64(binary.BigEndian.Uint64(raw))
			}
			return nil
		})
	})
	return out, err
}

func (st *store) addNote(id string, n note) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		a, v, err := voteTx(tx, id)
		if err != nil {
			return err
		}
		if v.State != StateOpen || !notePhases[v.Phase] {
			return errState
		}
		b, err := subBucket(a, true, bucketV, []byte(id), bucketNotes)
		if err != nil {
			return err
		}
		if n.Seq, err = b.NextSequence(); err != nil {
			return err
		}
		n.Phase = v.Phase
		return putJSON(b, seqKey(n.Seq), n)
	})
}

func (st *store) notes(id string) ([]note, error) {
	var out []note
	err := st.db.View(func(tx *bolt.Tx) error {
		a, _, err := voteTx(tx, id)
		if err != nil {
			return err
		}
		b, _ := subBucket(a, false, bucketV, []byte(id), bucketNotes)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, raw []byte) error {
			var n note
			if err := json.Unmarshal(raw, &n); err != nil {
				return err
			}
			out = append(out, n)
			return nil
		})
	})
	return out, err
}

func (st *store) delegations(assemblyID string) (map[string][]storedDelegation, error) {
	out := map[string][]storedDelegation{}
	err := st.db.View(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, assemblyID, false)
		if a == nil {
			return errNotFound
		}
		b := a.Bucket(bucketDelegations)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, raw []byte) error {
			var ds []storedDelegation
			if err := json.Unmarshal(raw, &ds); err != nil {
				return fmt.Errorf("delegations of %s: %w", k, err)
			}
			out[string(k)] = ds
			return nil
		})
	})
	return out, err
}

// setDelegation replaces the member's delegation of the same scope and
// subject (to nobody included); remove deletes it instead.
func (st *store) setDelegation(assemblyID, memberID string, d storedDelegation, remove bool) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, assemblyID, false)
		if a == nil {
			return errNotFound
		}
		b, err := a.CreateBucketIfNotExists(bucketDelegations)
		if err != nil {
			return err
		}
		var ds []storedDelegation
		if raw := b.Get([]byte(memberID)); raw != nil {
			if err := json.Unmarshal(raw, &ds); err != nil {
				return err
			}
		}
		ds = slices.DeleteFunc(ds, func(x storedDelegation) bool { return x.Scope == d.Scope && x.Subject == d.Subject })
		if !remove {
			ds = append(ds, d)
		}
		if len(ds) > 200 {
			return invalid("at most 200 delegations per member")
		}
		return putJSON(b, []byte(memberID), ds)
	})
}

// chainStart is the hash before a vote's first log entry.
func chainStart(voteID string) []byte {
	h := sha256.Sum256([]byte("coopbox decide log\x00" + voteID))
	return h[:]
}

func chainNext(prev, leaf []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(leaf)
	return h.Sum(nil)
}

// leafHash is one ballot's hash: its vote, its key (random for a secret
// ballot; set, member and log sequence for an open one) and its bytes.
func leafHash(voteID, key string, ballot []byte) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "coopbox decide ballot\x00%s\x00%s\x00", voteID, key)
	h.Write(ballot)
	return h.Sum(nil)
}

// receiptCode is what a voter keeps: the first 10 base32 characters of
// their ballot's leaf hash (50 bits).
func receiptCode(leaf []byte) string {
	return base32.StdEncoding.EncodeToString(leaf)[:10]
}
