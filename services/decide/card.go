package decide

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/coopbox/coopbox/services/locale"
	qrcode "github.com/skip2/go-qrcode"
)

// Printed member cards: an A4 sheet of 10 cards to cut (2 × 5, 105 × 59.4
// mm), each with the member's name and the QR code of their link. As the
// box keeps only the links' hashes, printing issues new links for the
// members printed, which revokes their earlier cards and bound browsers:
// the form says so, and by default prints only members who have none.

// cardsForm: GET /decide/a/{id}/cards (facilitators): which cards to print.
func (s *Service) cardsForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v, err := s.desk(id, "")
	if err != nil {
		status, _, msg := s.explain(s.printer(r), err)
		http.Error(w, msg, status)
		return
	}
	a, _ := s.st.assembly(id)
	var without int
	for _, m := range v.Members {
		if m.Link == "none" {
			without++
		}
	}
	s.render(w, r, http.StatusOK, "cards_form", struct {
		Assembly       Assembly
		Members        int
		WithoutLink    int
		NothingToPrint bool
	}{a, len(v.Members), without, len(v.Members) == 0})
}

// card is one card of the sheet.
type card struct {
	Name, College, URL string
	QR                 template.HTML
}

// cardsSheet: POST /decide/a/{id}/cards (facilitators), which="new" (the
// members without a link), "all", or "member" with member=ID: issues their
// links and draws the sheet, ready to print. Reloading it issues new
// links again; the page says so.
func (s *Service) cardsSheet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p := s.printer(r)
	v, err := s.desk(id, "")
	if err != nil {
		status, _, msg := s.explain(p, err)
		http.Error(w, msg, status)
		return
	}
	var ids []string
	for _, m := range v.Members {
		switch r.FormValue("which") {
		case "all":
			ids = append(ids, m.ID)
		case "member":
			if m.ID == r.FormValue("member") {
				ids = append(ids, m.ID)
			}
		default:
			if m.Link == "none" {
				ids = append(ids, m.ID)
			}
		}
	}
	links, err := s.issueLinks(id, ids)
	if err != nil {
		status, _, msg := s.explain(p, err)
		http.Error(w, msg, status)
		return
	}
	a, _ := s.st.assembly(id)
	cards := make([]card, len(links))
	for i, l := range links {
		u := linkURL(r, l.token)
		qr, err := drawQR(u, p.T("roll.card.qrLabel", l.member.Name))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		cards[i] = card{Name: l.member.Name, College: l.member.College, URL: u, QR: qr}
	}
	// Ten cards a sheet: the template closes a page after each group.
	var pages [][]card
	for len(cards) > 0 {
		n := min(10, len(cards))
		pages = append(pages, cards[:n])
		cards = cards[n:]
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, http.StatusOK, "cards", struct {
		Assembly Assembly
		Pages    [][]card
		Count    int
	}{a, pages, len(links)})
}

// drawQR draws text as a QR code in SVG on the server (no script needed to
// print it): one path of horizontal runs, crisp at any size. label is what
// a screen reader says.
func drawQR(text, label string) (template.HTML, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	bm := q.Bitmap()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="%s"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="`,
		len(bm), len(bm), template.HTMLEscapeString(label))
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}

// deskScriptKeys are the messages desk.js shows.
var deskScriptKeys = []string{
	"roll.js.present", "roll.js.absent", "roll.js.checkIn", "roll.js.checkOut", "roll.js.results",
	"roll.js.noResult", "roll.js.quorumMet", "roll.js.quorumNotMet", "roll.js.noQuorum", "roll.js.quorumLine",
	"roll.js.weightLine", "roll.js.proxy", "roll.js.proxyTo", "roll.js.proxyCounts", "roll.js.proxyWaits",
	"roll.js.carrying", "roll.js.withdraw", "roll.js.give", "roll.js.carrier", "roll.js.cancel",
	"roll.js.checkedIn", "roll.js.checkedOut", "roll.js.proxyGiven", "roll.js.proxyWithdrawn",
	"roll.js.revoked", "roll.js.scan", "roll.js.scanStop", "roll.js.scanNoCamera", "roll.js.scanned",
	"roll.js.link", "roll.js.linkWarn", "roll.js.linkClose", "roll.js.linkTitle", "roll.js.error",
	"roll.js.noVote", "roll.js.problem", "roll.js.offline", "roll.js.chooseCarrier", "roll.js.more",
}

// scriptStrings are the messages of keys in the page's language, keyed
// without their "roll.js." prefix, for a page's script.
func scriptStrings(p *locale.Printer, keys []string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[strings.TrimPrefix(k, "roll.js.")] = p.T(k)
	}
	return out
}
