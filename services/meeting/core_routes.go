package meeting

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coopbox/coopbox/services/locale"
	"github.com/coopbox/coopbox/services/page"
	"github.com/coopbox/coopbox/services/person"
)

// coreRoutes registers the facilitators' tools: meetings, the agenda, the
// speakers' queue, the projector and the minutes (PROTOCOL.md).
func (s *Service) coreRoutes() {
	s.core = &coreState{byID: map[string]*liveMeeting{}}
	fac := func(h http.HandlerFunc) http.Handler { return page.FacilitatorsOnly(h) }
	part := func(h http.HandlerFunc) http.Handler { return page.ParticipantsOnly(h) }
	limited := func(h http.HandlerFunc) http.Handler { return page.ParticipantsOnly(s.opts.Limit(h)) }

	s.mux.HandleFunc("GET /meeting/{$}", s.home)
	s.mux.Handle("GET /meeting/m/{id}/{$}", part(s.phonePage))
	s.mux.Handle("GET /meeting/m/{id}/control", fac(s.controlPage))
	s.mux.Handle("GET /meeting/m/{id}/projector", part(s.projectorPage))

	s.mux.Handle("POST /api/meeting/meetings", page.FacilitatorsOnly(s.opts.Limit(http.HandlerFunc(s.createMeeting))))
	s.mux.Handle("GET /api/meeting/m/{id}", part(s.getState))
	s.mux.Handle("GET /api/meeting/m/{id}/balance", fac(s.getBalance))
	s.mux.Handle("GET /api/meeting/m/{id}/votes", fac(s.listVotes))
	s.mux.Handle("POST /api/meeting/m/{id}/items", fac(s.addItem))
	s.mux.Handle("POST /api/meeting/m/{id}/items/order", fac(s.orderItems))
	s.mux.Handle("POST /api/meeting/m/{id}/items/{item}/{action}", fac(s.itemAction))
	s.mux.Handle("POST /api/meeting/m/{id}/queue", limited(s.askToSpeak))
	s.mux.Handle("POST /api/meeting/m/{id}/queue/order", fac(s.orderQueue))
	s.mux.Handle("POST /api/meeting/m/{id}/queue/{rid}/withdraw", limited(s.withdraw))
	s.mux.Handle("POST /api/meeting/m/{id}/speaker", fac(s.callSpeaker))
	s.mux.Handle("POST /api/meeting/m/{id}/speaker/end", fac(s.endSpeaker))
	s.mux.Handle("POST /api/meeting/m/{id}/settings", fac(s.settings))
	s.mux.Handle("POST /api/meeting/m/{id}/projector", fac(s.setProjector))
	s.mux.Handle("POST /api/meeting/m/{id}/profile", limited(s.setProfile))
	s.mux.Handle("POST /api/meeting/m/{id}/end", fac(s.endMeeting))
}

// What the core asks of its peers (page.Env.Peer), asserted at each use:
// the box reopens peers after a restore.
type padsPeer interface {
	CreateFromMarkdown(who *person.Person, title, markdown string) (string, error)
	Markdown(id string) (string, error)
}

type decidePeer interface {
	VoteSummary(voteID, lang string) (title, url string, lines []string, err error)
	AssemblyPresence(assemblyID, lang string) (title string, lines []string, err error)
	AssemblyVotes(assemblyID string) (ids, titles []string, err error)
	Assemblies() (ids, titles []string, err error)
}

func (s *Service) pads() padsPeer {
	p, _ := s.opts.Peer("pads").(padsPeer)
	return p
}

func (s *Service) decide() decidePeer {
	p, _ := s.opts.Peer("decide").(decidePeer)
	return p
}

// coreState keeps each meeting's live state in memory, loaded from
// storage at first use. Locking: mu guards byID only; each liveMeeting's
// mu is held for a whole change, its commit and its publication.
type coreState struct {
	mu   sync.Mutex
	byID map[string]*liveMeeting
}

type liveMeeting struct {
	mu     sync.Mutex
	loaded bool
	m      Meeting
	c      Core
	// The running stretches of the current item and speaker (monotonic).
	// After a restart a running item resumes from its load: the time the
	// box was down is not counted.
	item, speaker stopwatch
}

// apiError is an answer refused: its status and code; the message is the
// catalog's "meeting.err.<code>" in the asker's language.
type apiError struct {
	status int
	code   string
}

func (e *apiError) Error() string { return e.code }

func refuse(status int, code string) error { return &apiError{status, code} }

var errTooMany = refuse(http.StatusConflict, "too_many")

// fail answers err: a refusal with its message, anything else logged and
// answered 500.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		p := s.opts.Catalog.Printer(locale.Choose(r))
		page.JSONError(w, ae.status, ae.code, p.T("meeting.err."+ae.code))
		return
	}
	s.opts.Log.Error("meeting", "path", r.URL.Path, "err", err)
	page.JSONError(w, http.StatusInternalServerError, "internal", "internal error")
}

// decode reads a JSON body of at most 16 KiB into v.
func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 16<<10)).Decode(v); err != nil {
		return refuse(http.StatusBadRequest, "bad_json")
	}
	return nil
}

// text trims s and checks its length in characters (and that it is valid
// UTF-8 without control characters).
func text(s string, minLen, maxLen int, code string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) || n < minLen || n > maxLen || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", refuse(http.StatusBadRequest, code)
	}
	return s, nil
}

// load returns the live meeting id, loaded; errNoMeeting when absent.
func (s *Service) load(id string) (*liveMeeting, error) {
	s.core.mu.Lock()
	lm := s.core.byID[id]
	if lm == nil {
		lm = &liveMeeting{}
		s.core.byID[id] = lm
	}
	s.core.mu.Unlock()
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if lm.loaded {
		return lm, nil
	}
	m, err := s.st.meeting(id)
	if errors.Is(err, errNotFound) {
		s.core.mu.Lock()
		delete(s.core.byID, id)
		s.core.mu.Unlock()
		return nil, refuse(http.StatusNotFound, "no_meeting")
	}
	if err != nil {
		return nil, fmt.Errorf("load meeting %s: %w", id, err)
	}
	c, err := s.st.core(id)
	if err != nil {
		return nil, fmt.Errorf("load meeting %s: %w", id, err)
	}
	lm.m, lm.c, lm.loaded = m, c, true
	now := s.opts.Now()
	if it := c.item(c.Current); it != nil && it.Status == StatusRunning {
		lm.item.start(now)
		if c.Speaker != nil {
			lm.speaker.start(now)
		}
	}
	return lm, nil
}

// change applies fn to meeting id under its lock, commits, and tells every
// stream; nothing changes when fn or the commit fails.
func (s *Service) change(id string, fn func(lm *liveMeeting, now time.Time) error) error {
	lm, err := s.load(id)
	if err != nil {
		return err
	}
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if lm.m.Ended {
		return refuse(http.StatusConflict, "ended")
	}
	m, c, item, speaker := lm.m, lm.c.clone(), lm.item, lm.speaker
	now := s.opts.Now()
	if err := fn(lm, now); err != nil {
		lm.m, lm.c, lm.item, lm.speaker = m, c, item, speaker
		return err
	}
	if err := s.st.saveCore(lm.m, lm.c); err != nil {
		lm.m, lm.c, lm.item, lm.speaker = m, c, item, speaker
		return fmt.Errorf("commit meeting %s: %w", id, err)
	}
	s.live.Publish(id, "state", s.view(lm, now))
	return nil
}

func (c Core) clone() Core {
	raw, _ := json.Marshal(c)
	var out Core
	json.Unmarshal(raw, &out)
	return out
}

// stateView is the "state" event and GET /api/meeting/m/{id}: what every
// participant may see. Times are durations at the moment of sending; the
// pages add their own monotonic clock's progress (performance.now()).
type stateView struct {
	Meeting     Meeting      `json:"meeting"`
	Items       []itemView   `json:"items"`
	Current     string       `json:"current,omitempty"`
	Running     bool         `json:"running"`
	DeltaMs     int64        `json:"deltaMs"` // behind (+) or ahead (−) of the plan
	Speaker     *speakerView `json:"speaker"`
	LimitSec    int          `json:"limitSec"`
	Queue       []Request    `json:"queue"`
	Auto        bool         `json:"auto"`
	ShowBalance bool         `json:"showBalance"`
	Balance     *Balance     `json:"balance,omitempty"` // when shown
	View        string       `json:"view"`
	Vote        *voteSummary `json:"vote,omitempty"` // the vote the projector shows
}

type itemView struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Presenter  string `json:"presenter,omitempty"`
	Kind       string `json:"kind"`
	PlannedSec int64  `json:"plannedSec"`
	SpentMs    int64  `json:"spentMs"`
	Status     string `json:"status"`
	VoteID     string `json:"voteId,omitempty"`
	NotesPad   string `json:"notesPad,omitempty"`
}

type speakerView struct {
	Request
	ElapsedMs int64 `json:"elapsedMs"`
}

// view builds the state as of now; lm.mu is held.
func (s *Service) view(lm *liveMeeting, now time.Time) stateView {
	c := &lm.c
	v := stateView{Meeting: lm.m, Current: c.Current, LimitSec: c.LimitSec, Queue: c.Queue, Auto: c.Auto,
		ShowBalance: c.ShowBalance, View: c.View, Running: lm.item.running()}
	if v.Queue == nil {
		v.Queue = []Request{}
	}
	if v.View == "" {
		v.View = "speaker"
	}
	var curSpent time.Duration
	for _, it := range c.Items {
		spent := it.Spent
		if it.ID == c.Current {
			spent = lm.item.elapsed(now, it.Spent)
			curSpent = spent
		}
		v.Items = append(v.Items, itemView{ID: it.ID, Title: it.Title, Presenter: it.Presenter, Kind: it.Kind,
			PlannedSec: int64(it.Planned / time.Second), SpentMs: spent.Milliseconds(), Status: it.Status, VoteID: it.VoteID, NotesPad: it.NotesPad})
	}
	if v.Items == nil {
		v.Items = []itemView{}
	}
	v.DeltaMs = scheduleDelta(c.Items, c.Current, curSpent).Milliseconds()
	if c.Speaker != nil {
		v.Speaker = &speakerView{Request: *c.Speaker, ElapsedMs: lm.speaker.elapsed(now, c.SpeakerSpent).Milliseconds()}
	}
	if c.ShowBalance {
		b := balance(c.Speeches, c.Profiles, "")
		v.Balance = &b
	}
	if c.View == "vote" && c.ViewVote != "" {
		if d := s.decide(); d != nil {
			if title, url, lines, err := d.VoteSummary(c.ViewVote, lm.m.Lang); err == nil {
				v.Vote = &voteSummary{Title: title, URL: url, Lines: lines}
			}
		}
	}
	return v
}

// currentState is what a new event stream receives first: the meeting's
// state as the asker may see it (the core's, then the room's).
func (s *Service) currentState(r *http.Request, meetingID string) []page.Event {
	var out []page.Event
	if lm, err := s.load(meetingID); err == nil {
		lm.mu.Lock()
		e, err := page.NewEvent("state", s.view(lm, s.opts.Now()))
		lm.mu.Unlock()
		if err == nil {
			out = append(out, e)
		}
	}
	return append(out, s.roomEvents(r, meetingID)...)
}

// --- meetings

type meetingInput struct {
	Title      string `json:"title"`
	Place      string `json:"place"`
	Date       string `json:"date"`
	Lang       string `json:"lang"`
	AssemblyID string `json:"assemblyId"`
}

func (s *Service) createMeeting(w http.ResponseWriter, r *http.Request) {
	var in meetingInput
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.newMeeting(person.FromContext(r.Context()), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.JSON(w, http.StatusCreated, m)
}

func (s *Service) newMeeting(who *person.Person, in meetingInput) (Meeting, error) {
	var m Meeting
	var err error
	if m.Title, err = text(in.Title, 1, 200, "bad_title"); err != nil {
		return m, err
	}
	if m.Place, err = text(in.Place, 0, 200, "bad_place"); err != nil {
		return m, err
	}
	if m.Date, err = text(in.Date, 0, 40, "bad_date"); err != nil {
		return m, err
	}
	if in.Lang != "fr" && in.Lang != "en" {
		return m, refuse(http.StatusBadRequest, "bad_lang")
	}
	m.Lang = in.Lang
	if in.AssemblyID != "" {
		d := s.decide()
		if d == nil {
			return m, refuse(http.StatusBadRequest, "no_assembly")
		}
		if _, _, err := d.AssemblyVotes(in.AssemblyID); err != nil {
			return m, refuse(http.StatusBadRequest, "no_assembly")
		}
		m.AssemblyID = in.AssemblyID
	}
	m.ID, m.Created, m.CreatedBy = page.NewID(9), s.opts.Now(), who.ID
	if err := s.st.createMeeting(m); err != nil {
		return m, err
	}
	return m, nil
}

func (s *Service) getState(w http.ResponseWriter, r *http.Request) {
	lm, err := s.load(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lm.mu.Lock()
	v := s.view(lm, s.opts.Now())
	lm.mu.Unlock()
	page.JSON(w, http.StatusOK, v)
}

// getBalance answers the figures of the meeting and of each item.
func (s *Service) getBalance(w http.ResponseWriter, r *http.Request) {
	lm, err := s.load(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lm.mu.Lock()
	defer lm.mu.Unlock()
	type itemBalance struct {
		ID      string  `json:"id"`
		Title   string  `json:"title"`
		Balance Balance `json:"balance"`
	}
	out := struct {
		Meeting Balance       `json:"meeting"`
		Items   []itemBalance `json:"items"`
	}{Meeting: balance(lm.c.Speeches, lm.c.Profiles, ""), Items: []itemBalance{}}
	for _, it := range lm.c.Items {
		out.Items = append(out.Items, itemBalance{it.ID, it.Title, balance(lm.c.Speeches, lm.c.Profiles, it.ID)})
	}
	page.JSON(w, http.StatusOK, out)
}

// listVotes answers the votes of the meeting's assembly, for a decision
// item to link to.
func (s *Service) listVotes(w http.ResponseWriter, r *http.Request) {
	m, err := s.st.meeting(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, refuse(http.StatusNotFound, "no_meeting"))
		return
	}
	type vote struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	out := []vote{}
	if d := s.decide(); d != nil && m.AssemblyID != "" {
		ids, titles, err := d.AssemblyVotes(m.AssemblyID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for i := range ids {
			out = append(out, vote{ids[i], titles[i]})
		}
	}
	page.JSON(w, http.StatusOK, out)
}

// --- agenda

type itemInput struct {
	Title     string `json:"title"`
	Presenter string `json:"presenter"`
	Kind      string `json:"kind"`
	Minutes   int    `json:"minutes"`
	VoteID    string `json:"voteId"`
}

func (s *Service) addItem(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in itemInput
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	var it Item
	var err error
	if it.Title, err = text(in.Title, 1, 200, "bad_title"); err == nil {
		it.Presenter, err = text(in.Presenter, 0, 100, "bad_presenter")
	}
	if err == nil && !slices.Contains([]string{KindInformation, KindDebate, KindDecision}, in.Kind) {
		err = refuse(http.StatusBadRequest, "bad_kind")
	}
	if err == nil && (in.Minutes < 1 || in.Minutes > 600) {
		err = refuse(http.StatusBadRequest, "bad_minutes")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.st.meeting(id)
	if err != nil {
		s.fail(w, r, refuse(http.StatusNotFound, "no_meeting"))
		return
	}
	if in.VoteID != "" {
		if in.Kind != KindDecision || m.AssemblyID == "" || s.decide() == nil {
			s.fail(w, r, refuse(http.StatusBadRequest, "bad_vote"))
			return
		}
		ids, _, err := s.decide().AssemblyVotes(m.AssemblyID)
		if err != nil || !slices.Contains(ids, in.VoteID) {
			s.fail(w, r, refuse(http.StatusBadRequest, "bad_vote"))
			return
		}
	}
	it.ID, it.Kind, it.Planned, it.VoteID, it.Status = page.NewID(9), in.Kind, time.Duration(in.Minutes)*time.Minute, in.VoteID, StatusPending
	err = s.change(id, func(lm *liveMeeting, now time.Time) error {
		if len(lm.c.Items) >= maxItems {
			return refuse(http.StatusConflict, "too_many")
		}
		lm.c.Items = append(lm.c.Items, it)
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The notes pad, made after the item is committed (so a refused item
	// leaves no pad) and linked in a second change.
	if p := s.pads(); p != nil {
		pad, err := p.CreateFromMarkdown(person.FromContext(r.Context()), "Notes — "+it.Title, "")
		if err != nil {
			s.opts.Log.Warn("meeting: notes pad", "meeting", id, "err", err)
		} else {
			it.NotesPad = pad
			s.change(id, func(lm *liveMeeting, now time.Time) error {
				if x := lm.c.item(it.ID); x != nil {
					x.NotesPad = pad
				}
				return nil
			})
		}
	}
	page.JSON(w, http.StatusCreated, it)
}

func (s *Service) orderItems(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IDs []string `json:"ids"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		if !isPermutation(in.IDs, len(lm.c.Items), func(i int) string { return lm.c.Items[i].ID }) {
			return refuse(http.StatusBadRequest, "bad_order")
		}
		items := make([]Item, 0, len(in.IDs))
		for _, id := range in.IDs {
			items = append(items, *lm.c.item(id))
		}
		lm.c.Items = items
		return nil
	})
	s.answer(w, r, err)
}

// isPermutation tells whether ids names each of the n ids given by at once.
func isPermutation(ids []string, n int, at func(int) string) bool {
	if len(ids) != n {
		return false
	}
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	for i := 0; i < n; i++ {
		if !seen[at(i)] {
			return false
		}
		delete(seen, at(i))
	}
	return len(seen) == 0
}

// answer is the reply of a change: 204, or the refusal.
func (s *Service) answer(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// itemAction starts (or resumes), pauses, ends or skips an item.
func (s *Service) itemAction(w http.ResponseWriter, r *http.Request) {
	itemID, action := r.PathValue("item"), r.PathValue("action")
	err := s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		it := lm.c.item(itemID)
		if it == nil {
			return refuse(http.StatusNotFound, "no_item")
		}
		switch action {
		case "start":
			if lm.c.Current != itemID {
				lm.finishCurrent(now, StatusDone)
				lm.c.Current = itemID
			}
			it = lm.c.item(itemID)
			it.Status = StatusRunning
			lm.item.start(now)
			if lm.c.Speaker != nil {
				lm.speaker.start(now)
			}
		case "pause":
			if lm.c.Current != itemID || it.Status != StatusRunning {
				return refuse(http.StatusConflict, "not_running")
			}
			lm.item.stop(now, &it.Spent)
			lm.speaker.stop(now, &lm.c.SpeakerSpent)
			it.Status = StatusPaused
		case "done":
			if lm.c.Current != itemID {
				return refuse(http.StatusConflict, "not_running")
			}
			lm.finishCurrent(now, StatusDone)
		case "skip":
			if lm.c.Current == itemID {
				lm.finishCurrent(now, StatusSkipped)
			} else if it.Status == StatusPending {
				it.Status = StatusSkipped
			} else {
				return refuse(http.StatusConflict, "not_pending")
			}
		default:
			return refuse(http.StatusNotFound, "no_action")
		}
		return nil
	})
	s.answer(w, r, err)
}

// finishCurrent ends the speaker's turn and the current item with status.
func (lm *liveMeeting) finishCurrent(now time.Time, status string) {
	it := lm.c.item(lm.c.Current)
	if it == nil {
		return
	}
	lm.closeSpeech(now)
	lm.item.stop(now, &it.Spent)
	it.Status = status
	lm.c.Current = ""
}

// closeSpeech records the current speaker's turn.
func (lm *liveMeeting) closeSpeech(now time.Time) {
	if lm.c.Speaker == nil {
		return
	}
	lm.speaker.stop(now, &lm.c.SpeakerSpent)
	sp := lm.c.Speaker
	lm.c.Speeches = append(lm.c.Speeches, Speech{ItemID: lm.c.Current, Key: sp.Key, Name: sp.Name, Dur: lm.c.SpeakerSpent})
	lm.c.Speaker, lm.c.SpeakerSpent = nil, 0
}

// --- the speakers' queue

func (s *Service) askToSpeak(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Reply bool   `json:"reply"`
		Name  string `json:"name"` // facilitators: someone without a phone
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p := person.FromContext(r.Context())
	req := Request{ID: page.NewID(9), Key: p.ID, PersonID: p.ID, Name: p.Name, Reply: in.Reply}
	if in.Name != "" {
		if !p.IsFacilitator() {
			s.fail(w, r, refuse(http.StatusForbidden, "not_yours"))
			return
		}
		name, err := text(in.Name, 1, 60, "bad_name")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		req = Request{ID: req.ID, Key: "name:" + strings.ToLower(name), Name: name, Reply: in.Reply}
	}
	err := s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		c := &lm.c
		if len(c.Queue) >= maxQueue {
			return refuse(http.StatusConflict, "queue_full")
		}
		if slices.ContainsFunc(c.Queue, func(q Request) bool { return q.Key == req.Key }) {
			return refuse(http.StatusConflict, "already_queued")
		}
		if req.Reply {
			if c.Current == "" {
				return refuse(http.StatusConflict, "no_item")
			}
			used := c.Current + "|" + req.Key
			if slices.Contains(c.Replies, used) {
				return refuse(http.StatusConflict, "reply_used")
			}
			c.Replies = append(c.Replies, used)
		}
		c.Seq++
		req.Seq = c.Seq
		if c.Auto {
			c.Queue = orderQueue(append(c.Queue, req), spokenTimes(c.Speeches))
		} else {
			c.Queue = insertRequest(c.Queue, req)
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.JSON(w, http.StatusCreated, req)
}

// withdraw takes a request off the queue: one's own, or any for a
// facilitator.
func (s *Service) withdraw(w http.ResponseWriter, r *http.Request) {
	p := person.FromContext(r.Context())
	rid := r.PathValue("rid")
	err := s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		i := slices.IndexFunc(lm.c.Queue, func(q Request) bool { return q.ID == rid })
		if i < 0 {
			return refuse(http.StatusNotFound, "no_request")
		}
		if lm.c.Queue[i].PersonID != p.ID && !p.IsFacilitator() {
			return refuse(http.StatusForbidden, "not_yours")
		}
		lm.c.Queue = slices.Delete(lm.c.Queue, i, i+1)
		return nil
	})
	s.answer(w, r, err)
}

// orderQueue sets the queue's order by hand (ids) or by the box's rules
// once (rules); an order by hand stops the box's ordering.
func (s *Service) orderQueue(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IDs   []string `json:"ids"`
		Rules bool     `json:"rules"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		c := &lm.c
		if in.Rules {
			c.Queue = orderQueue(c.Queue, spokenTimes(c.Speeches))
			return nil
		}
		if !isPermutation(in.IDs, len(c.Queue), func(i int) string { return c.Queue[i].ID }) {
			return refuse(http.StatusBadRequest, "bad_order")
		}
		byID := map[string]Request{}
		for _, q := range c.Queue {
			byID[q.ID] = q
		}
		c.Queue = c.Queue[:0]
		for _, id := range in.IDs {
			c.Queue = append(c.Queue, byID[id])
		}
		c.Auto = false
		return nil
	})
	s.answer(w, r, err)
}

// callSpeaker gives the floor to a request of the queue (the first when
// none is named), ending the current turn.
func (s *Service) callSpeaker(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Request string `json:"request"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	err := s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		c := &lm.c
		if c.Current == "" {
			return refuse(http.StatusConflict, "no_item")
		}
		if len(c.Speeches) >= maxSpeeches {
			return refuse(http.StatusConflict, "too_many")
		}
		i := 0
		if in.Request != "" {
			i = slices.IndexFunc(c.Queue, func(q Request) bool { return q.ID == in.Request })
		}
		if i < 0 || len(c.Queue) == 0 {
			return refuse(http.StatusNotFound, "no_request")
		}
		lm.closeSpeech(now)
		next := c.Queue[i]
		c.Queue = slices.Delete(c.Queue, i, i+1)
		c.Speaker = &next
		if lm.item.running() {
			lm.speaker.start(now)
		}
		return nil
	})
	s.answer(w, r, err)
}

func (s *Service) endSpeaker(w http.ResponseWriter, r *http.Request) {
	err := s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		if lm.c.Speaker == nil {
			return refuse(http.StatusConflict, "no_speaker")
		}
		lm.closeSpeech(now)
		return nil
	})
	s.answer(w, r, err)
}

func (s *Service) settings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		LimitSec    *int  `json:"limitSec"`
		Auto        *bool `json:"auto"`
		ShowBalance *bool `json:"showBalance"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.LimitSec != nil && (*in.LimitSec < 0 || *in.LimitSec > 3600) {
		s.fail(w, r, refuse(http.StatusBadRequest, "bad_limit"))
		return
	}
	err := s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		c := &lm.c
		if in.LimitSec != nil {
			c.LimitSec = *in.LimitSec
		}
		if in.ShowBalance != nil {
			c.ShowBalance = *in.ShowBalance
		}
		if in.Auto != nil {
			c.Auto = *in.Auto
			if c.Auto {
				c.Queue = orderQueue(c.Queue, spokenTimes(c.Speeches))
			}
		}
		return nil
	})
	s.answer(w, r, err)
}

// projectorViews are what the projector may show big; the room's panels
// add theirs with the prefix "room:".
var projectorViews = []string{"speaker", "agenda", "vote", "balance"}

func (s *Service) setProjector(w http.ResponseWriter, r *http.Request) {
	var in struct {
		View string `json:"view"`
		Vote string `json:"vote"`
	}
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if !slices.Contains(projectorViews, in.View) && !(strings.HasPrefix(in.View, "room:") && len(in.View) <= 40) {
		s.fail(w, r, refuse(http.StatusBadRequest, "bad_view"))
		return
	}
	err := s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		if in.View == "vote" {
			if in.Vote == "" {
				in.Vote = lm.c.ViewVote
			}
			if it := lm.c.item(lm.c.Current); in.Vote == "" && it != nil {
				in.Vote = it.VoteID
			}
			if !slices.ContainsFunc(lm.c.Items, func(it Item) bool { return it.VoteID != "" && it.VoteID == in.Vote }) {
				return refuse(http.StatusBadRequest, "bad_vote")
			}
			lm.c.ViewVote = in.Vote
		}
		lm.c.View = in.View
		return nil
	})
	s.answer(w, r, err)
}

func (s *Service) setProfile(w http.ResponseWriter, r *http.Request) {
	var in Profile
	if err := decode(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Gender != "" && !slices.Contains(genders, in.Gender) {
		s.fail(w, r, refuse(http.StatusBadRequest, "bad_gender"))
		return
	}
	college, err := text(in.College, 0, 60, "bad_college")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in.College = college
	p := person.FromContext(r.Context())
	err = s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		if lm.c.Profiles == nil {
			lm.c.Profiles = map[string]Profile{}
		}
		if _, ok := lm.c.Profiles[p.ID]; !ok && len(lm.c.Profiles) >= maxProfiles {
			return refuse(http.StatusConflict, "too_many")
		}
		if in == (Profile{}) {
			delete(lm.c.Profiles, p.ID)
		} else {
			lm.c.Profiles[p.ID] = in
		}
		return nil
	})
	s.answer(w, r, err)
}

// --- the end and the minutes

// endMeeting ends the current item and turn, writes the minutes into a new
// pad, and marks the meeting ended with the pad's id.
func (s *Service) endMeeting(w http.ResponseWriter, r *http.Request) {
	pads := s.pads()
	if pads == nil {
		s.fail(w, r, refuse(http.StatusServiceUnavailable, "no_pads"))
		return
	}
	var padID string
	err := s.change(r.PathValue("id"), func(lm *liveMeeting, now time.Time) error {
		lm.finishCurrent(now, StatusDone)
		md := s.minutes(lm)
		title := "Procès-verbal — "
		if lm.m.Lang == "en" {
			title = "Minutes — "
		}
		title += lm.m.Title
		if utf8.RuneCountInString(title) > 200 {
			title = string([]rune(title)[:200])
		}
		var err error
		if padID, err = pads.CreateFromMarkdown(person.FromContext(r.Context()), title, md); err != nil {
			return fmt.Errorf("minutes of %s: %w", lm.m.ID, err)
		}
		lm.m.Ended, lm.m.MinutesPad = true, padID
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.JSON(w, http.StatusOK, map[string]string{"pad": padID, "url": "/pads/" + padID})
}

// minutes gathers the minutes' parts from the meeting, the notes pads and
// decide; lm.mu is held.
func (s *Service) minutes(lm *liveMeeting) string {
	in := minutesInput{Meeting: lm.m, Balance: balance(lm.c.Speeches, lm.c.Profiles, "")}
	d := s.decide()
	if d != nil && lm.m.AssemblyID != "" {
		if title, lines, err := d.AssemblyPresence(lm.m.AssemblyID, lm.m.Lang); err == nil {
			in.Assembly, in.Presence = title, lines
		} else {
			s.opts.Log.Warn("meeting: presence for the minutes", "meeting", lm.m.ID, "err", err)
		}
	}
	pads := s.pads()
	for _, it := range lm.c.Items {
		mi := minutesItem{Item: it}
		for _, sp := range lm.c.Speeches {
			if sp.ItemID == it.ID && !slices.Contains(mi.Speakers, sp.Name) {
				mi.Speakers = append(mi.Speakers, sp.Name)
			}
		}
		if it.NotesPad != "" && pads != nil {
			if md, err := pads.Markdown(it.NotesPad); err == nil {
				mi.Notes = md
			}
		}
		if it.VoteID != "" && d != nil {
			if title, url, lines, err := d.VoteSummary(it.VoteID, lm.m.Lang); err == nil {
				mi.Vote = &voteSummary{Title: title, URL: url, Lines: lines}
			}
		}
		in.Items = append(in.Items, mi)
	}
	return minutesMarkdown(in)
}
