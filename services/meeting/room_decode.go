package meeting

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// The decoders of the room's requests: network input, each checked whole
// (one JSON object, no unknown field, bounded lengths) before anything is
// read from storage. room_fuzz_test.go fuzzes each.

// maxRoomBody bounds a room request's body: the longest is a question of
// 500 characters of four bytes, with its handle.
const maxRoomBody = 8 << 10

// readRoomBody reads a request's body up to maxRoomBody.
func readRoomBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxRoomBody+1))
	if err != nil {
		return nil, roomRefuse(http.StatusBadRequest, "bad_request", "room.err.badRequest")
	}
	if len(data) > maxRoomBody {
		return nil, roomRefuse(http.StatusRequestEntityTooLarge, "too_large", "room.err.tooLarge")
	}
	return data, nil
}

// decodeStrict decodes exactly one JSON object of data into v.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return roomRefuse(http.StatusBadRequest, "bad_request", "room.err.badRequest")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return roomRefuse(http.StatusBadRequest, "bad_request", "room.err.badRequest")
	}
	return nil
}

// questionIn is a new question, or a question's new text.
type questionIn struct {
	Text      string `json:"text"`
	Anonymous bool   `json:"anonymous"`
	// Handle proves authorship of an anonymous question (edit, withdraw).
	Handle string `json:"handle"`
}

// maxHandle is a handle's length: 16 random bytes in base64url.
const maxHandle = 22

func decodeQuestion(data []byte, needText bool) (questionIn, error) {
	var q questionIn
	if err := decodeStrict(data, &q); err != nil {
		return q, err
	}
	if len(q.Handle) > maxHandle {
		return q, roomRefuse(http.StatusForbidden, "not_yours", "room.err.notYours")
	}
	if !needText {
		return q, nil
	}
	text, ok := cleanText(q.Text, maxQuestionRunes, true)
	if !ok {
		return q, roomRefuse(http.StatusUnprocessableEntity, "bad_text", "room.err.questionText", maxQuestionRunes)
	}
	q.Text = text
	return q, nil
}

// decodeUp is a vote or a support ({"up": true}), or its withdrawal.
func decodeUp(data []byte) (bool, error) {
	var u struct {
		Up *bool `json:"up"`
	}
	if err := decodeStrict(data, &u); err != nil {
		return false, err
	}
	if u.Up == nil {
		return false, roomRefuse(http.StatusBadRequest, "bad_request", "room.err.badRequest")
	}
	return *u.Up, nil
}

// Moderation actions.
var questionActions = map[string]bool{"hide": true, "show": true, "answered": true, "unanswered": true, "pin": true, "unpin": true}

// moderateIn is a facilitator's action on a question or an argument, or a
// merge (Into, for questions).
type moderateIn struct {
	Action string `json:"action"`
	Into   uint64 `json:"into"`
}

func decodeModerate(data []byte, argument bool) (moderateIn, error) {
	var m moderateIn
	if err := decodeStrict(data, &m); err != nil {
		return m, err
	}
	ok := questionActions[m.Action]
	if argument {
		ok = m.Action == "hide" || m.Action == "show"
	}
	if m.Action == "merge" && !argument && m.Into != 0 {
		ok = true
	}
	if !ok || (m.Action != "merge" && m.Into != 0) {
		return m, roomRefuse(http.StatusBadRequest, "bad_action", "room.err.action")
	}
	return m, nil
}

// settingsIn is the room's settings, whole.
func decodeSettings(data []byte) (RoomSettings, error) {
	var s RoomSettings
	return s, decodeStrict(data, &s)
}

// proposalIn is a new pros-and-cons board.
func decodeProposal(data []byte) (Proposal, error) {
	var p Proposal
	var in struct {
		Title string `json:"title"`
		Item  string `json:"item"`
	}
	if err := decodeStrict(data, &in); err != nil {
		return p, err
	}
	title, ok := cleanText(in.Title, maxTitleRunes, true)
	if !ok {
		return p, roomRefuse(http.StatusUnprocessableEntity, "bad_title", "room.err.title", maxTitleRunes)
	}
	item, ok := cleanText(in.Item, maxItemID, false)
	if !ok || item != in.Item {
		return p, roomRefuse(http.StatusUnprocessableEntity, "bad_item", "room.err.item")
	}
	return Proposal{Title: title, Item: item}, nil
}

// decodeArgument is a new argument for or against.
func decodeArgument(data []byte) (Argument, error) {
	var a Argument
	var in struct {
		Side string `json:"side"`
		Text string `json:"text"`
	}
	if err := decodeStrict(data, &in); err != nil {
		return a, err
	}
	if in.Side != SidePro && in.Side != SideCon {
		return a, roomRefuse(http.StatusUnprocessableEntity, "bad_side", "room.err.side")
	}
	text, ok := cleanText(in.Text, maxArgumentRunes, true)
	if !ok {
		return a, roomRefuse(http.StatusUnprocessableEntity, "bad_text", "room.err.argumentText", maxArgumentRunes)
	}
	return Argument{Side: in.Side, Text: text}, nil
}

// decodeCheck is a new temperature check.
func decodeCheck(data []byte) (Check, error) {
	var c Check
	var in struct {
		Kind   string `json:"kind"`
		Prompt string `json:"prompt"`
		Item   string `json:"item"`
	}
	if err := decodeStrict(data, &in); err != nil {
		return c, err
	}
	if _, ok := checkRange(in.Kind); !ok {
		return c, roomRefuse(http.StatusUnprocessableEntity, "bad_kind", "room.err.kind")
	}
	prompt, ok := cleanText(in.Prompt, maxPromptRunes, false)
	if !ok {
		return c, roomRefuse(http.StatusUnprocessableEntity, "bad_prompt", "room.err.prompt", maxPromptRunes)
	}
	item, ok := cleanText(in.Item, maxItemID, false)
	if !ok || item != in.Item {
		return c, roomRefuse(http.StatusUnprocessableEntity, "bad_item", "room.err.item")
	}
	return Check{Kind: in.Kind, Prompt: prompt, Item: item, Open: true}, nil
}

// decodeAnswer is one answer to a check; its range is checked against the
// check's kind (answerCheck).
func decodeAnswer(data []byte) (int, error) {
	var in struct {
		Value *int `json:"value"`
	}
	if err := decodeStrict(data, &in); err != nil {
		return 0, err
	}
	if in.Value == nil {
		return 0, roomRefuse(http.StatusBadRequest, "bad_request", "room.err.badRequest")
	}
	return *in.Value, nil
}
