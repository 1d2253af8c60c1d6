package tally

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

const usage = `usage: tally [--method M] [--json] [--majority R --base B --members W] FILE

Counts the ballots of FILE (PrefLib .soc .soi .toc .toi .cat, or the JSON
ballot format; "-" reads standard input) and prints the ranking and the
method's tables.

  --method    schulze | rankedpairs | irv | mj | approval | plurality | score |
              yesno | dates (default: the vote's usual method)
  --json      print the result as JSON instead of text
  --majority  yes/no votes: simple | absolute | two_thirds (default simple)
  --base      yes/no votes: cast | present | members (default cast)
  --members   yes/no votes with --base members: the members' total weight
`

// Main is the "coopbox tally" command: args are the arguments after
// "tally". It returns the exit status: 0 when counted, 1 when the file
// cannot be read or counted, 2 for a usage error.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tally", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	method := fs.String("method", "", "")
	asJSON := fs.Bool("json", false, "")
	rule := fs.String("majority", string(SimpleMajority), "")
	base := fs.String("base", string(Cast), "")
	members := fs.Int64("members", 0, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "tally: %v\n%s", err, usage)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "tally: one FILE needed\n%s", usage)
		return 2
	}
	m := Method(*method)
	if m != "" && !slices.Contains(Methods(), m) {
		fmt.Fprintf(stderr, "tally: unknown method %q\n%s", *method, usage)
		return 2
	}

	name := fs.Arg(0)
	var in io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "tally: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	e, err := Read(in, name)
	if err != nil {
		fmt.Fprintf(stderr, "tally: %s: %v\n", name, err)
		return 1
	}
	if m == "" {
		m = DefaultMethod(e.Vote.Kind)
	}
	cfg := Config{Majority: Majority{Rule: Rule(*rule), Base: Base(*base), Members: *members}}
	r, err := Count(e.Vote, e.Ballots, m, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "tally: %s: %v\n", name, err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", " ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "tally: %v\n", err)
			return 1
		}
		return 0
	}
	if err := PrintResult(stdout, e, r); err != nil {
		fmt.Fprintf(stderr, "tally: %v\n", err)
		return 1
	}
	return 0
}

// PrintResult writes a result as terse aligned English text: the ranking,
// the winners, then the method's tables.
func PrintResult(w io.Writer, e *Election, r *Result) error {
	names := r.Options
	var b strings.Builder
	if e.Title != "" {
		fmt.Fprintf(&b, "%s\n", e.Title)
	}
	fmt.Fprintf(&b, "method %s, %d options, %d ballots, weight %d\n", r.Method, len(names), len(e.Ballots), r.Weight)
	if d := r.Decision; d != nil {
		outcome := "rejected"
		if d.Adopted {
			outcome = "adopted"
		}
		fmt.Fprintf(&b, "\n%s: %d %s, %d needed (%s majority of %s)\n", outcome, d.Yes, names[Yes], d.Needed, d.Rule, d.Base)
	} else {
		b.WriteString("\nranking\n")
		for i, g := range r.Ranking {
			fmt.Fprintf(&b, "%4d  %s\n", i+1, join(names, g, " = "))
		}
	}
	switch {
	case r.Decision != nil: // said above
	case len(r.Winners) > 1:
		fmt.Fprintf(&b, "tie for first place: %s\n", join(names, r.Winners, ", "))
	case len(r.Winners) == 1:
		fmt.Fprintf(&b, "winner: %s\n", names[r.Winners[0]])
	}
	if r.Blank > 0 {
		fmt.Fprintf(&b, "blank: %d\n", r.Blank)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	// Numbers align right; the first column, names, is padded to one width
	// so that it reads left-aligned.
	first := len("needed (two_thirds)")
	for _, name := range names {
		first = max(first, utf8.RuneCountInString(name))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(cells ...string) {
		cells[0] = fmt.Sprintf("%-*s", first, cells[0])
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	num := func(x int64) string { return strconv.FormatInt(x, 10) }
	matrix := func(title string, m [][]int64) {
		fmt.Fprintf(tw, "\n%s\n", title)
		row(append([]string{""}, names...)...)
		for a := range m {
			cells := []string{names[a]}
			for c := range m[a] {
				if a == c {
					cells = append(cells, "-")
				} else {
					cells = append(cells, num(m[a][c]))
				}
			}
			row(cells...)
		}
	}
	switch r.Method {
	case Plurality, ApprovalCount:
		fmt.Fprintln(tw, "\ntotals")
		for _, g := range r.Ranking {
			for _, o := range g {
				row(names[o], num(r.Totals[o]))
			}
		}
	case ScoreCount:
		fmt.Fprintln(tw, "\ntotals")
		row("", "total", "average")
		for _, g := range r.Ranking {
			for _, o := range g {
				row(names[o], num(r.Totals[o]), strconv.FormatFloat(r.Averages[o], 'f', 2, 64))
			}
		}
	case YesNoCount:
		d := r.Decision
		fmt.Fprintln(tw, "\ndecision")
		row(names[Yes], num(d.Yes))
		row(names[No], num(d.No))
		row(names[Abstain], num(d.Abstain))
		row("base ("+string(d.Base)+")", num(d.BaseWeight))
		row("needed ("+string(d.Rule)+")", num(d.Needed))
		if d.Adopted {
			row("outcome", "adopted")
		} else {
			row("outcome", "rejected")
		}
	case DateCount:
		fmt.Fprintln(tw, "\nanswers")
		row("", "yes", "if need be", "no", "no answer", "can come")
		for _, g := range r.Ranking {
			for _, o := range g {
				p := r.Profiles[o]
				row(names[o], num(p[DateYes]), num(p[DateIfNeedBe]), num(p[DateNo]), num(r.NoGrade[o]), num(r.Totals[o]))
			}
		}
	case Schulze:
		matrix("pairwise d[row][column]: weight ranking row above column", r.Pairwise)
		matrix("strongest paths p[row][column]", r.Paths)
	case RankedPairs:
		matrix("pairwise d[row][column]: weight ranking row above column", r.Pairwise)
		fmt.Fprintln(tw, "\npairs, strongest first")
		row("", "winner", "loser", "for", "against", "")
		for i, p := range r.Pairs {
			state := "skipped"
			if p.Locked {
				state = "locked"
			}
			row(strconv.Itoa(i+1), names[p.Winner], names[p.Loser], num(p.For), num(p.Against), state)
		}
	case IRV:
		fmt.Fprintln(tw, "\nrounds")
		head := []string{""}
		for i := range r.Rounds {
			head = append(head, "round "+strconv.Itoa(i+1))
		}
		row(head...)
		for o := range names {
			cells := []string{names[o]}
			for _, rd := range r.Rounds {
				cell := "-"
				for _, c := range rd.Continuing {
					if c == o {
						cell = num(rd.Counts[o])
					}
				}
				cells = append(cells, cell)
			}
			row(cells...)
		}
		ex, un, out := []string{"exhausted"}, []string{"undecided (tied)"}, []string{"out"}
		for _, rd := range r.Rounds {
			ex = append(ex, num(rd.Exhausted))
			un = append(un, num(rd.Undecided))
			switch {
			case rd.Eliminated >= 0 && rd.Tied != nil:
				out = append(out, names[rd.Eliminated]+" (tie-break)")
			case rd.Eliminated >= 0:
				out = append(out, names[rd.Eliminated])
			default:
				out = append(out, "")
			}
		}
		row(ex...)
		row(un...)
		row(out...)
	case MajorityJudgment:
		fmt.Fprintln(tw, "\nmerit profiles (weight per grade, worst first; no grade counts as the worst)")
		row(append(append([]string{""}, e.Vote.Grades...), "no grade", "majority grade")...)
		for _, g := range r.Ranking {
			for _, o := range g {
				cells := []string{names[o]}
				for _, c := range r.Profiles[o] {
					cells = append(cells, num(c))
				}
				ng := int64(0)
				if r.NoGrade != nil {
					ng = r.NoGrade[o]
				}
				cells = append(cells, num(ng), e.Vote.Grades[r.MajorityGrades[o]])
				row(cells...)
			}
		}
	}
	return tw.Flush()
}

func join(names []string, group []int, sep string) string {
	parts := make([]string, len(group))
	for i, o := range group {
		parts[i] = names[o]
	}
	return strings.Join(parts, sep)
}
