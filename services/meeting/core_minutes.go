package meeting

import (
	"fmt"
	"strings"
	"time"
)

// The minutes: a draft procès-verbal in Markdown, written into a new pad
// when the meeting ends (core_routes.go's endMeeting gathers the parts
// from the pads and decide; minutesMarkdown only writes).

// minutesItem is one agenda item as the minutes tell it.
type minutesItem struct {
	Item
	Speakers []string // in order of first turn
	Notes    string   // the notes pad's Markdown
	Vote     *voteSummary
}

type voteSummary struct {
	Title string   `json:"title"`
	URL   string   `json:"url"`
	Lines []string `json:"lines"`
}

// minutesInput is everything the minutes say.
type minutesInput struct {
	Meeting  Meeting
	Presence []string // decide's presence and quorum lines, when linked
	Assembly string   // the assembly's title
	Items    []minutesItem
	Balance  Balance
}

// maxNotes bounds what one item's notes add to the minutes.
const maxNotes = 64 << 10

// minutesMarkdown writes the procès-verbal in the meeting's language.
func minutesMarkdown(in minutesInput) string {
	fr := in.Meeting.Lang != "en"
	say := func(f, e string) string {
		if fr {
			return f
		}
		return e
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s — %s\n\n", say("Procès-verbal", "Minutes"), mdInline(in.Meeting.Title))
	fmt.Fprintf(&b, "*%s*\n\n", say("Brouillon écrit par la boîte à la fin de la réunion : à relire et compléter.", "Draft written by the box when the meeting ended: to be read over and completed."))
	if in.Meeting.Date != "" {
		fmt.Fprintf(&b, "- %s : %s\n", say("Date", "Date"), mdInline(in.Meeting.Date))
	}
	if in.Meeting.Place != "" {
		fmt.Fprintf(&b, "- %s : %s\n", say("Lieu", "Place"), mdInline(in.Meeting.Place))
	}
	b.WriteString("\n")

	fmt.Fprintf(&b, "## %s\n\n", say("Présence et quorum", "Presence and quorum"))
	if len(in.Presence) > 0 {
		if in.Assembly != "" {
			fmt.Fprintf(&b, "%s : %s\n\n", say("Assemblée", "Assembly"), mdInline(in.Assembly))
		}
		for _, l := range in.Presence {
			fmt.Fprintf(&b, "- %s\n", mdInline(l))
		}
	} else {
		fmt.Fprintf(&b, "%s\n", say("Réunion sans liste d'émargement : présence à compléter.", "Meeting without a roll: presence to be completed."))
	}
	b.WriteString("\n")

	fmt.Fprintf(&b, "## %s\n\n", say("Ordre du jour", "Agenda"))
	for i, it := range in.Items {
		fmt.Fprintf(&b, "%d. %s (%s)\n", i+1, mdInline(it.Title), kindName(it.Kind, fr))
	}
	b.WriteString("\n")

	fmt.Fprintf(&b, "## %s\n\n", say("Déroulé", "Proceedings"))
	for i, it := range in.Items {
		fmt.Fprintf(&b, "### %d. %s\n\n", i+1, mdInline(it.Title))
		if it.Presenter != "" {
			fmt.Fprintf(&b, "%s : %s\n\n", say("Présenté par", "Presented by"), mdInline(it.Presenter))
		}
		switch it.Status {
		case StatusSkipped:
			fmt.Fprintf(&b, "%s\n\n", say("Point reporté.", "Item postponed."))
		case StatusPending:
			fmt.Fprintf(&b, "%s\n\n", say("Point non traité.", "Item not taken up."))
		default:
			fmt.Fprintf(&b, "%s : %s (%s %s)\n\n", say("Durée", "Time"), minutesDur(it.Spent), say("prévu", "planned"), minutesDur(it.Planned))
		}
		if len(it.Speakers) > 0 {
			names := make([]string, len(it.Speakers))
			for i, n := range it.Speakers {
				names[i] = mdInline(n)
			}
			fmt.Fprintf(&b, "%s : %s\n\n", say("Intervenant·es", "Speakers"), strings.Join(names, ", "))
		}
		if notes := strings.TrimSpace(it.Notes); notes != "" {
			fmt.Fprintf(&b, "**%s**\n\n%s\n\n", say("Notes", "Notes"), demoteHeadings(notes))
		}
		if it.Vote != nil {
			fmt.Fprintf(&b, "**%s** : %s\n\n", say("Résolution", "Resolution"), mdInline(it.Vote.Title))
			for _, l := range it.Vote.Lines {
				fmt.Fprintf(&b, "- %s\n", mdInline(l))
			}
			b.WriteString("\n")
		}
	}

	fmt.Fprintf(&b, "## %s\n\n", say("Temps de parole", "Speaking time"))
	if in.Balance.Speakers == 0 {
		fmt.Fprintf(&b, "%s\n", say("Aucune prise de parole enregistrée.", "No turn of speech recorded."))
	} else {
		fmt.Fprintf(&b, "%s : %d ; %s : %d ; %s : %s.\n\n", say("Intervenant·es", "Speakers"), in.Balance.Speakers,
			say("prises de parole", "turns"), in.Balance.Speeches, say("temps total", "total time"), minutesDur(in.Balance.Total))
		for _, p := range in.Balance.People {
			fmt.Fprintf(&b, "- %s : %s (%d %%)\n", mdInline(p.Label), minutesDur(p.Time), p.Percent)
		}
	}
	return b.String()
}

func kindName(kind string, fr bool) string {
	names := map[string][2]string{
		KindInformation: {"information", "information"},
		KindDebate:      {"débat", "debate"},
		KindDecision:    {"décision", "decision"},
	}
	n := names[kind]
	if fr {
		return n[0]
	}
	return n[1]
}

// minutesDur writes a duration as minutes and seconds.
func minutesDur(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d min %02d s", int(d/time.Minute), int(d%time.Minute/time.Second))
}

// mdInline keeps a person's text from becoming Markdown structure: one
// line, with the characters that start emphasis, links or HTML escaped.
func mdInline(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\`+"`*_[]<>#|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// demoteHeadings puts a notes pad's headings under the item's level (###),
// so that its own titles do not break the minutes' outline.
func demoteHeadings(md string) string {
	if len(md) > maxNotes {
		md = md[:maxNotes]
		for len(md) > 0 && md[len(md)-1]&0xC0 == 0x80 { // not mid-rune
			md = md[:len(md)-1]
		}
		if len(md) > 0 && md[len(md)-1] >= 0xC0 {
			md = md[:len(md)-1]
		}
	}
	lines := strings.Split(md, "\n")
	fence := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") || strings.HasPrefix(l, "~~~") {
			fence = !fence
		}
		if fence || !strings.HasPrefix(l, "#") {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "#"))
		if n <= 6 && (len(l) == n || l[n] == ' ') {
			lines[i] = strings.Repeat("#", min(6, n+3)) + l[n:]
		}
	}
	return strings.Join(lines, "\n")
}
