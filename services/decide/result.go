package decide

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coopbox/coopbox/services/decide/liquid"
	"github.com/coopbox/coopbox/services/decide/tally"
	bolt "go.etcd.io/bbolt"
)

// storedResult is a closed vote's result, stored in the transaction that
// closes it and never changed after.
type storedResult struct {
	VoteID string        `json:"voteId"`
	Method tally.Method  `json:"method"`
	Tally  *tally.Result `json:"tally,omitempty"`
	// Objection counts a consent round's consent ballots or an election's
	// objection round (options: consent, objection, stand aside).
	Objection   *tally.Result `json:"objection,omitempty"`
	Nominations []nomination  `json:"nominations,omitempty"`
	Proposal    string        `json:"proposal,omitempty"` // an election's proposed member, by name
	// Outcome: adopted, rejected (yes/no); winner, tie (choices);
	// consent, no_consent (consent); elected, not_elected, no_proposal
	// (election); none when nothing was cast.
	Outcome string   `json:"outcome"`
	Winners []string `json:"winners,omitempty"`
	// Ballots counts the ballots (members who voted, on an open vote);
	// Issued the rights handed out on a secret vote.
	Ballots int   `json:"ballots"`
	Issued  int64 `json:"issued,omitempty"`
	// Weights tells where every member's weight went (open votes).
	Weights   *weightsReport    `json:"weights,omitempty"`
	Published []publishedBallot `json:"published"`
	ChainHead string            `json:"chainHead"`
	Dropped   []string          `json:"dropped,omitempty"` // ballots of members no longer entitled, by name
}

// nomination is the weight nominating one member, and the reasons given.
type nomination struct {
	Name    string   `json:"name"`
	Weight  int64    `json:"weight"`
	Reasons []string `json:"reasons,omitempty"`
}

// publishedBallot is one line of the list a voter checks a receipt against.
type publishedBallot struct {
	Receipt string          `json:"receipt"`
	Set     string          `json:"set,omitempty"`
	Voter   string          `json:"voter,omitempty"` // open votes only
	Ballot  json.RawMessage `json:"ballot,omitempty"`
	Extra   string          `json:"extra,omitempty"`
	Weight  int64           `json:"weight"`
	// Counted is false for an open ballot its voter replaced later.
	Counted bool `json:"counted"`
}

// weightsReport is liquid.Result with names, for the results page.
type weightsReport struct {
	Total   int64       `json:"total"`
	Cast    int64       `json:"cast"`
	Lost    liquid.Lost `json:"lost"`
	Casts   []castLine  `json:"casts"`
	Losses  []lossLine  `json:"losses,omitempty"`
	Cycles  [][]string  `json:"cycles,omitempty"`
	Chains  []chainLine `json:"chains,omitempty"`
	Ignored []string    `json:"ignored,omitempty"`
}

type castLine struct {
	Voter     string   `json:"voter"`
	Weight    int64    `json:"weight"`
	Own       int64    `json:"own"`
	Proxy     int64    `json:"proxy"`
	Proxies   []string `json:"proxies,omitempty"`
	Delegated int64    `json:"delegated"`
	Capped    int64    `json:"capped,omitempty"`
	Via       []string `json:"via,omitempty"`
}

type lossLine struct {
	Member string `json:"member"`
	Weight int64  `json:"weight"`
	Reason string `json:"reason"`
	End    string `json:"end,omitempty"`
}

// chainLine is one delegator's chain, names from the delegator to where
// the weight was cast or lost.
type chainLine struct {
	Chain  []string `json:"chain"`
	CastBy string   `json:"castBy,omitempty"`
	Lost   string   `json:"lost,omitempty"`
}

// closeVote takes the snapshot, weighs, counts and stores the result and
// the closed state in one transaction. Ballots that arrive meanwhile wait
// for the transaction and then find the vote closed.
func (s *Service) closeVote(id string) (Vote, error) {
	v, err := s.st.vote(id)
	if err != nil {
		return v, err
	}
	roll, err := s.rollOf(v.AssemblyID)
	if err != nil {
		return v, fmt.Errorf("roll of %s: %w", v.AssemblyID, err)
	}
	snap := roll.Snapshot()
	total := roll.Total()
	members, err := s.membersOf(v.AssemblyID)
	if err != nil {
		return v, err
	}
	names := map[string]string{}
	for _, m := range members {
		names[m.ID] = m.Name
	}
	var dels map[string][]storedDelegation
	if v.Delegation && !v.Secret {
		if dels, err = s.st.delegations(v.AssemblyID); err != nil {
			return v, err
		}
	}
	now := s.opts.Now()
	return s.st.updateVote(id, func(tx *bolt.Tx, a *bolt.Bucket, v *Vote) error {
		if v.State != StateOpen && v.State != StatePaused {
			return errState
		}
		var res *storedResult
		var export []byte
		var err error
		if v.Secret {
			res, export, err = countSecret(tx, v, total)
		} else {
			res, export, err = countOpen(a, v, snap, total, dels, names, now)
		}
		if err != nil {
			return fmt.Errorf("count %s: %w", v.ID, err)
		}
		v.State, v.Phase = StateClosed, closedPhase(v)
		v.Closed = now
		var rb, eb *bolt.Bucket
		if v.Secret {
			box, err := subBucket(tx.Bucket(bucketDecide), true, bucketBox, []byte(v.ID))
			if err != nil {
				return err
			}
			rb, eb = box, box
			if err := putJSON(rb, keyResult, res); err != nil {
				return err
			}
			return eb.Put(keyExport, export)
		}
		if rb, err = a.CreateBucketIfNotExists(bucketResults); err != nil {
			return err
		}
		if eb, err = a.CreateBucketIfNotExists(bucketExports); err != nil {
			return err
		}
		if err := putJSON(rb, []byte(v.ID), res); err != nil {
			return err
		}
		return eb.Put([]byte(v.ID), export)
	})
}

func closedPhase(v *Vote) string { return v.Phase }

// result reads a closed vote's result and its export.
func (st *store) result(v Vote) (*storedResult, []byte, error) {
	var res storedResult
	var export []byte
	err := st.db.View(func(tx *bolt.Tx) error {
		if v.Secret {
			box, err := subBucket(tx.Bucket(bucketDecide), false, bucketBox, []byte(v.ID))
			if err != nil {
				return err
			}
			export = slices.Clone(box.Get(keyExport))
			return getJSON(box, keyResult, &res)
		}
		a, _ := assemblyBucket(tx, v.AssemblyID, false)
		rb, err := subBucket(a, false, bucketResults)
		if err != nil {
			return err
		}
		if eb, _ := subBucket(a, false, bucketExports); eb != nil {
			export = slices.Clone(eb.Get([]byte(v.ID)))
		}
		return getJSON(rb, []byte(v.ID), &res)
	})
	return &res, export, err
}

// countSecret counts a secret vote's ballots, one right each, and builds
// its log over the ballots sorted by their random keys.
func countSecret(tx *bolt.Tx, v *Vote, members int64) (*storedResult, []byte, error) {
	tv, err := v.tallyVote()
	if err != nil {
		return nil, nil, err
	}
	res := &storedResult{VoteID: v.ID}
	var ballots []tally.Ballot
	head := chainStart(v.ID)
	if b, _ := subBucket(tx.Bucket(bucketDecide), false, bucketBox, []byte(v.ID), bucketBallots); b != nil {
		err := b.ForEach(func(k, raw []byte) error {
			bl, err := tally.DecodeBallot(&tv, raw)
			if err != nil {
				return fmt.Errorf("stored ballot: %w", err)
			}
			ballots = append(ballots, bl)
			leaf := leafHash(v.ID, base64.RawURLEncoding.EncodeToString(k), raw)
			head = chainNext(head, leaf)
			res.Published = append(res.Published, publishedBallot{Receipt: receiptCode(leaf), Ballot: slices.Clone(raw), Weight: 1, Counted: true})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	if a, _ := assemblyBucket(tx, v.AssemblyID, false); a != nil {
		if b, _ := subBucket(a, false, bucketIssued, []byte(v.ID)); b != nil {
			b.ForEach(func(_, raw []byte) error {
				if len(raw) == 8 {
					res.Issued += int64(beUint64(raw))
				}
				return nil
			})
		}
	}
	res.ChainHead = hex.EncodeToString(head)
	res.Ballots = len(ballots)
	if err := res.count(v, tv, ballots, members); err != nil {
		return nil, nil, err
	}
	export, err := exportFile(v, tv, ballots)
	return res, export, err
}

// countOpen weighs and counts an open vote's current ballots, set by set.
func countOpen(a *bolt.Bucket, v *Vote, snap liquid.Snapshot, total int64, dels map[string][]storedDelegation, names map[string]string, now time.Time) (*storedResult, []byte, error) {
	res := &storedResult{VoteID: v.ID}
	// The log: every ballot ever cast, in arrival order; only the last of
	// each member and set is counted.
	current := map[string]uint64{}
	sets := []string{setMain}
	if v.Type == TypeElection {
		sets = append(sets, setObjection)
	}
	bySet := map[string][]openBallot{}
	for _, set := range sets {
		obs, err := openBallotsTx(a, v.ID, set)
		if err != nil {
			return nil, nil, err
		}
		bySet[set] = obs
		for _, ob := range obs {
			current[set+"/"+ob.Member] = ob.Seq
		}
	}
	head := chainStart(v.ID)
	if log, _ := subBucket(a, false, bucketV, []byte(v.ID), bucketLog); log != nil {
		err := log.ForEach(func(k, raw []byte) error {
			var e logEntry
			if err := json.Unmarshal(raw, &e); err != nil {
				return err
			}
			head = e.Hash
			res.Published = append(res.Published, publishedBallot{Receipt: receiptCode(e.Leaf), Set: e.Set, Voter: names[e.Member], Ballot: e.Ballot, Extra: e.Extra, Counted: current[e.Set+"/"+e.Member] == e.Seq})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	res.ChainHead = hex.EncodeToString(head)

	voting := map[string]bool{}
	for _, m := range snap.Members {
		voting[string(m.ID)] = m.Voting
	}
	var lds []liquid.Delegation
	for from, ds := range dels {
		for _, d := range ds {
			lds = append(lds, liquid.Delegation{From: liquid.MemberID(from), To: liquid.MemberID(d.To), Scope: scopeOf(d.Scope), Subject: d.Subject, Created: d.Created, Expires: d.Expires})
		}
	}
	// Delegations in a stable order: Weigh breaks equal times by order.
	slices.SortFunc(lds, func(x, y liquid.Delegation) int {
		return cmp.Or(cmp.Compare(x.From, y.From), x.Created.Compare(y.Created), cmp.Compare(x.Scope, y.Scope), cmp.Compare(x.Subject, y.Subject))
	})
	policy := liquid.Policy{MaxDelegated: v.Settings.DelegationCap, MaxAge: time.Duration(v.Settings.DelegationMaxAgeHours) * time.Hour}
	weigh := func(obs []openBallot) ([]openBallot, *liquid.Result, error) {
		var keep []openBallot
		s := snap
		s.Delegations, s.Question, s.Topic, s.Now = lds, v.ID, v.Topic, now
		for _, ob := range obs {
			if !voting[ob.Member] {
				res.Dropped = append(res.Dropped, cmp.Or(names[ob.Member], ob.Member))
				continue
			}
			keep = append(keep, ob)
			s.Voters = append(s.Voters, liquid.MemberID(ob.Member))
		}
		lr, err := liquid.Weigh(s, policy)
		return keep, lr, err
	}

	mainBallots, lr, err := weigh(bySet[setMain])
	if err != nil {
		return nil, nil, err
	}
	res.Weights = report(lr, lds, names)
	res.Ballots = len(mainBallots)
	weightOf := map[string]int64{}
	for _, c := range lr.Casts {
		weightOf[string(c.Voter)] = c.Weight
	}
	for i := range res.Published {
		if p := &res.Published[i]; p.Counted && p.Set == setMain {
			for _, ob := range mainBallots {
				if names[ob.Member] == p.Voter {
					p.Weight = weightOf[ob.Member]
				}
			}
		}
	}

	switch v.Type {
	case TypeElection:
		return countElection(res, v, mainBallots, lr, bySet[setObjection], weigh, names, total)
	}
	tv, err := v.tallyVote()
	if err != nil {
		return nil, nil, err
	}
	ballots := make([]tally.Ballot, 0, len(mainBallots))
	for _, ob := range mainBallots {
		b, err := tally.DecodeBallot(&tv, ob.Ballot)
		if err != nil {
			return nil, nil, fmt.Errorf("stored ballot of %s: %w", ob.Member, err)
		}
		b.Weight = lr.Weight(liquid.MemberID(ob.Member))
		ballots = append(ballots, b)
	}
	if err := res.count(v, tv, ballots, total); err != nil {
		return nil, nil, err
	}
	export, err := exportFile(v, tv, ballots)
	return res, export, err
}

// countElection counts nominations (a plurality over the nominees) and
// the objection round on the proposal.
func countElection(res *storedResult, v *Vote, noms []openBallot, lr *liquid.Result, objs []openBallot, weigh func([]openBallot) ([]openBallot, *liquid.Result, error), names map[string]string, total int64) (*storedResult, []byte, error) {
	var nominees []string
	for _, ob := range noms {
		if ob.Nominee != "" && !slices.Contains(nominees, ob.Nominee) {
			nominees = append(nominees, ob.Nominee)
		}
	}
	slices.SortFunc(nominees, func(a, b string) int { return cmp.Compare(names[a], names[b]) })
	if len(nominees) > tally.MaxOptions {
		nominees = nominees[:tally.MaxOptions]
	}
	tv := tally.Vote{Kind: tally.Single}
	for _, n := range nominees {
		tv.Options = append(tv.Options, cmp.Or(names[n], n))
	}
	var ballots []tally.Ballot
	byName := map[string]*nomination{}
	for _, n := range nominees {
		res.Nominations = append(res.Nominations, nomination{Name: cmp.Or(names[n], n)})
	}
	for i := range res.Nominations {
		byName[res.Nominations[i].Name] = &res.Nominations[i]
	}
	for _, ob := range noms {
		i := slices.Index(nominees, ob.Nominee)
		if i < 0 {
			continue
		}
		w := lr.Weight(liquid.MemberID(ob.Member))
		ballots = append(ballots, tally.Ballot{Weight: w, Choice: i})
		n := byName[tv.Options[i]]
		n.Weight += w
		if ob.Reason != "" {
			n.Reasons = append(n.Reasons, ob.Reason)
		}
	}
	if len(tv.Options) > 0 {
		r, err := tally.Count(tv, ballots, tally.Plurality, tally.Config{})
		if err != nil {
			return nil, nil, err
		}
		res.Tally, res.Method = r, tally.Plurality
	}
	res.Proposal = names[v.Proposal]
	kept, olr, err := weigh(objs)
	if err != nil {
		return nil, nil, err
	}
	ov := objectionVote()
	var oballots []tally.Ballot
	for _, ob := range kept {
		b, err := tally.DecodeBallot(&ov, ob.Ballot)
		if err != nil {
			return nil, nil, err
		}
		b.Weight = olr.Weight(liquid.MemberID(ob.Member))
		oballots = append(oballots, b)
	}
	or, err := tally.Count(ov, oballots, tally.YesNoCount, tally.Config{})
	if err != nil {
		return nil, nil, err
	}
	res.Objection = or
	switch {
	case v.Proposal == "":
		res.Outcome = "no_proposal"
	case or.Decision.No == 0 && or.Decision.Yes > 0:
		res.Outcome, res.Winners = "elected", []string{res.Proposal}
	default:
		res.Outcome = "not_elected"
	}
	export, err := exportFile(v, ov, oballots)
	return res, export, err
}

// count runs tally on a vote's weighed ballots and says the outcome.
func (res *storedResult) count(v *Vote, tv tally.Vote, ballots []tally.Ballot, members int64) error {
	m, err := v.method()
	if err != nil {
		return err
	}
	var cfg tally.Config
	if v.Type == TypeYesNo {
		if cfg.Majority, err = v.majority(members); err != nil {
			return err
		}
	}
	r, err := tally.Count(tv, ballots, m, cfg)
	if err != nil {
		return err
	}
	res.Method = m
	if v.Type == TypeConsent {
		res.Objection = r
		if r.Decision.No == 0 && r.Decision.Yes > 0 {
			res.Outcome = "consent"
		} else {
			res.Outcome = "no_consent"
		}
		return nil
	}
	res.Tally = r
	switch {
	case r.Weight == 0:
		res.Outcome = "none"
	case v.Type == TypeYesNo && r.Decision.Adopted:
		res.Outcome = "adopted"
	case v.Type == TypeYesNo:
		res.Outcome = "rejected"
	case len(r.Winners) > 1:
		res.Outcome = "tie"
	default:
		res.Outcome = "winner"
	}
	if v.Type != TypeYesNo && r.Weight > 0 {
		for _, w := range r.Winners {
			res.Winners = append(res.Winners, tv.Options[w])
		}
	}
	return nil
}

// report names the members of a liquid result.
func report(lr *liquid.Result, lds []liquid.Delegation, names map[string]string) *weightsReport {
	name := func(id liquid.MemberID) string { return cmp.Or(names[string(id)], string(id)) }
	namesOf := func(ids []liquid.MemberID) []string {
		var out []string
		for _, id := range ids {
			out = append(out, name(id))
		}
		return out
	}
	wr := &weightsReport{Total: lr.Total, Cast: lr.Cast, Lost: lr.Lost}
	for _, c := range lr.Casts {
		wr.Casts = append(wr.Casts, castLine{Voter: name(c.Voter), Weight: c.Weight, Own: c.Own, Proxy: c.Proxy, Proxies: namesOf(c.Proxies), Delegated: c.Delegated, Capped: c.Capped, Via: namesOf(c.Via)})
	}
	for _, l := range lr.Losses {
		ll := lossLine{Member: name(l.Member), Weight: l.Weight, Reason: l.Reason.String()}
		if l.End != "" {
			ll.End = name(l.End)
		}
		wr.Losses = append(wr.Losses, ll)
	}
	for _, c := range lr.Cycles {
		wr.Cycles = append(wr.Cycles, namesOf(c))
	}
	for _, ig := range lr.Ignored {
		d := lds[ig.Delegation]
		wr.Ignored = append(wr.Ignored, fmt.Sprintf("%s → %s (%s): %s", name(d.From), name(d.To), d.Scope, ig.Reason))
	}
	// The chains of every member whose weight left them by delegation.
	seen := map[liquid.MemberID]bool{}
	var from []liquid.MemberID
	for _, c := range lr.Casts {
		for _, id := range c.Via {
			if !seen[id] {
				seen[id] = true
				from = append(from, id)
			}
		}
	}
	for _, l := range lr.Losses {
		if (l.Reason == liquid.ReasonChainEnd || l.Reason == liquid.ReasonCycle) && !seen[l.Member] {
			seen[l.Member] = true
			from = append(from, l.Member)
		}
	}
	for _, id := range from {
		t, err := lr.Trace(id)
		if err != nil {
			continue
		}
		cl := chainLine{}
		for _, st := range t.Chain {
			cl.Chain = append(cl.Chain, name(st.Member))
		}
		if t.CastBy != "" {
			cl.CastBy = name(t.CastBy)
		} else {
			cl.Lost = t.Lost.String()
		}
		wr.Chains = append(wr.Chains, cl)
	}
	return wr
}

func scopeOf(s string) liquid.Scope {
	switch s {
	case "question":
		return liquid.ScopeQuestion
	case "topic":
		return liquid.ScopeTopic
	}
	return liquid.ScopeGlobal
}

// exportFile writes the counted ballots, without voters, as tally's JSON
// ballot file, in an order that tells nothing of arrival: sorted by their
// bytes.
func exportFile(v *Vote, tv tally.Vote, ballots []tally.Ballot) ([]byte, error) {
	type enc struct {
		raw []byte
		b   tally.Ballot
	}
	var sorted []enc
	for _, b := range ballots {
		raw, err := tally.EncodeBallot(&tv, &b)
		if err != nil {
			return nil, err
		}
		sorted = append(sorted, enc{raw, b})
	}
	slices.SortFunc(sorted, func(x, y enc) int { return bytes.Compare(x.raw, y.raw) })
	e := &tally.Election{Title: v.Title, Vote: tv}
	for _, s := range sorted {
		e.Ballots = append(e.Ballots, s.b)
	}
	var buf bytes.Buffer
	if err := tally.WriteJSON(&buf, e); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func beUint64(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

var errNoResult = errors.New("no result yet")

// visible says whether a vote's result may be seen now. Hidden means
// hidden from facilitators too: their screen is often the projector's.
func visible(v Vote, _ bool) bool {
	return v.State == StateClosed || (!v.HideResult && !v.Secret)
}

// trimmed is a short, safe form of free text.
func trimmed(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = s[:n]
	}
	return s
}
