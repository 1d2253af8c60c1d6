package tally

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// ReadPrefLib reads a PrefLib file (the 2022 format: "# KEY: value" header
// lines, then "count: preferences" lines). ext is the data type, "soc",
// "soi", "toc", "toi" or "cat", or "" to take it from the DATA TYPE
// header; when both are given they must agree.
//
// Ordinal files (.soc strict and complete, .soi strict, .toc complete with
// ties, .toi ties) become a Ranked vote; each line one Ballot whose Weight
// is the line's count; alternatives left out of an incomplete order are
// tied last. Categorical files (.cat) become a Graded vote: PrefLib lists
// categories best first ("Yes", "No"), grades here go worst first, so
// category c of k is grade k-c, Vote.Grades holds the category names
// reversed, and an alternative in no category has NoGrade.
//
// Every line is checked against its data type (strict, complete, each
// alternative at most once) and the header's NUMBER VOTERS and NUMBER
// UNIQUE ORDERS (or PREFERENCES), when present, against the lines; errors
// name the line. The old PrefLib format (a header of bare numbers) is not
// read.
func ReadPrefLib(r io.Reader, ext string) (*Election, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, err
	}
	p := preflibReader{ext: ext, names: map[int]string{}, categories: map[int]string{}, voters: -1, unique: -1, nAlt: -1, nCat: -1}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if len(line) > MaxLineLen {
			return nil, fmt.Errorf("%w: line %d: longer than %d bytes", ErrFormat, lineNo, MaxLineLen)
		}
		if err := p.line(string(bytes.TrimRight(line, "\r"))); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrFormat, lineNo, err)
		}
	}
	if !p.started {
		if err := p.start(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFormat, err)
		}
	}
	if p.voters >= 0 && p.voters != p.sum {
		return nil, fmt.Errorf("%w: NUMBER VOTERS is %d but the lines count %d", ErrFormat, p.voters, p.sum)
	}
	if p.unique >= 0 && p.unique != int64(len(p.e.Ballots)) {
		return nil, fmt.Errorf("%w: NUMBER UNIQUE ORDERS is %d but there are %d lines", ErrFormat, p.unique, len(p.e.Ballots))
	}
	if err := p.e.Vote.CheckBallots(p.e.Ballots); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return &p.e, nil
}

type preflibReader struct {
	ext        string
	started    bool
	e          Election
	names      map[int]string
	categories map[int]string
	nAlt, nCat int
	voters     int64
	unique     int64
	sum        int64
}

func (p *preflibReader) line(s string) error {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "#") {
		if p.started {
			return errors.New("header line after the preferences")
		}
		return p.header(strings.TrimSpace(t[1:]))
	}
	if t == "" {
		return nil
	}
	if !p.started {
		if err := p.start(); err != nil {
			return err
		}
	}
	return p.prefs(t)
}

func (p *preflibReader) header(h string) error {
	key, value, ok := strings.Cut(h, ":")
	if !ok {
		return nil // a comment
	}
	key, value = strings.ToUpper(strings.TrimSpace(key)), strings.TrimSpace(value)
	number := func(max int64) (int64, error) {
		x, err := strconv.ParseInt(value, 10, 64)
		if err != nil || x < 0 || x > max {
			return 0, fmt.Errorf("%s: %q is not a number in 0..%d", key, value, max)
		}
		return x, nil
	}
	var err error
	var x int64
	switch {
	case key == "TITLE":
		p.e.Title = value
	case key == "PUBLICATION DATE":
		p.e.Date = value
	case key == "DATA TYPE":
		dt := strings.ToLower(value)
		switch dt {
		case "soc", "soi", "toc", "toi", "cat":
		default:
			return fmt.Errorf("DATA TYPE %q: only soc, soi, toc, toi and cat are read", value)
		}
		if p.ext != "" && p.ext != dt {
			return fmt.Errorf("DATA TYPE %s in a .%s file", dt, p.ext)
		}
		p.ext = dt
	case key == "NUMBER ALTERNATIVES":
		x, err = number(MaxOptions)
		p.nAlt = int(x)
	case key == "NUMBER CATEGORIES":
		x, err = number(MaxGrades)
		p.nCat = int(x)
	case key == "NUMBER VOTERS":
		p.voters, err = number(MaxTotalWeight)
	case key == "NUMBER UNIQUE ORDERS", key == "NUMBER UNIQUE PREFERENCES":
		p.unique, err = number(MaxBallots)
	case strings.HasPrefix(key, "ALTERNATIVE NAME "), strings.HasPrefix(key, "CATEGORY NAME "):
		isAlt := strings.HasPrefix(key, "ALTERNATIVE")
		num := strings.TrimSpace(key[strings.LastIndexByte(key, ' ')+1:])
		i, perr := strconv.Atoi(num)
		limit, m := MaxOptions, p.names
		if !isAlt {
			limit, m = MaxGrades, p.categories
		}
		if perr != nil || i < 1 || i > limit {
			return fmt.Errorf("%s: number %q not in 1..%d", key, num, limit)
		}
		if _, dup := m[i]; dup {
			return fmt.Errorf("%s given twice", key)
		}
		if len(value) > MaxNameLen {
			return fmt.Errorf("%s: longer than %d bytes", key, MaxNameLen)
		}
		m[i] = value
	}
	return err
}

// start builds the vote once the header is read.
func (p *preflibReader) start() error {
	p.started = true
	if p.ext == "" {
		return errors.New("no DATA TYPE header and no file extension")
	}
	if p.nAlt < 1 {
		return errors.New("no NUMBER ALTERNATIVES header (1..64)")
	}
	options := make([]string, p.nAlt)
	seen := map[string]bool{}
	for i := range options {
		name, ok := p.names[i+1]
		if !ok {
			return fmt.Errorf("no ALTERNATIVE NAME %d", i+1)
		}
		if seen[name] {
			return fmt.Errorf("two alternatives named %q", name)
		}
		seen[name] = true
		options[i] = name
	}
	if len(p.names) != p.nAlt {
		return fmt.Errorf("%d alternative names for NUMBER ALTERNATIVES %d", len(p.names), p.nAlt)
	}
	p.e.Vote = Vote{Kind: Ranked, Options: options}
	if p.ext == "cat" {
		if p.nCat < 2 {
			return fmt.Errorf("NUMBER CATEGORIES %d: 2..%d needed", p.nCat, MaxGrades)
		}
		if len(p.categories) != p.nCat {
			return fmt.Errorf("%d category names for NUMBER CATEGORIES %d", len(p.categories), p.nCat)
		}
		grades := make([]string, p.nCat)
		for c := 1; c <= p.nCat; c++ {
			name, ok := p.categories[c]
			if !ok {
				return fmt.Errorf("no CATEGORY NAME %d", c)
			}
			grades[p.nCat-c] = name
		}
		p.e.Vote = Vote{Kind: Graded, Options: options, Grades: grades}
	}
	return p.e.Vote.Validate()
}

// prefs reads "count: list".
func (p *preflibReader) prefs(t string) error {
	if len(p.e.Ballots) >= MaxBallots {
		return fmt.Errorf("more than %d lines of preferences", MaxBallots)
	}
	countText, list, ok := strings.Cut(t, ":")
	if !ok {
		return errors.New(`expected "count: preferences"`)
	}
	count, err := strconv.ParseInt(strings.TrimSpace(countText), 10, 64)
	if err != nil || count < 0 || count > MaxWeight {
		return fmt.Errorf("count %q is not a number in 0..%d", strings.TrimSpace(countText), MaxWeight)
	}
	groups, err := parseGroups(list, p.nAlt)
	if err != nil {
		return err
	}
	b := Ballot{Weight: count}
	var seen uint64
	for _, g := range groups {
		for _, o := range g {
			if seen&(1<<o) != 0 {
				return fmt.Errorf("alternative %d appears twice", o+1)
			}
			seen |= 1 << o
		}
	}
	if p.ext == "cat" {
		if len(groups) > p.nCat {
			return fmt.Errorf("%d categories, NUMBER CATEGORIES is %d", len(groups), p.nCat)
		}
		b.Grades = make([]int, p.nAlt)
		for i := range b.Grades {
			b.Grades[i] = NoGrade
		}
		for c, g := range groups {
			for _, o := range g {
				b.Grades[o] = p.nCat - 1 - c
			}
		}
	} else {
		strict := p.ext == "soc" || p.ext == "soi"
		complete := p.ext == "soc" || p.ext == "toc"
		for _, g := range groups {
			if len(g) == 0 {
				return errors.New("empty group {} in an order")
			}
			if strict && len(g) > 1 {
				return fmt.Errorf("a tie in a .%s file (strict orders)", p.ext)
			}
		}
		if complete && seen != ^uint64(0)>>(64-p.nAlt) {
			return fmt.Errorf("an incomplete order in a .%s file (all %d alternatives needed)", p.ext, p.nAlt)
		}
		if len(groups) > 0 {
			b.Ranking = groups
		}
	}
	if err := p.e.Vote.CheckBallot(&b); err != nil {
		return err
	}
	p.sum += count
	if p.sum > MaxTotalWeight {
		return fmt.Errorf("counts add up to more than %d", MaxTotalWeight)
	}
	p.e.Ballots = append(p.e.Ballots, b)
	return nil
}

// parseGroups reads "1, {4, 3}, 2, {}" into groups of 0-based indexes.
// The groups share one backing array: three allocations a line.
func parseGroups(s string, n int) ([][]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	items := strings.Count(s, ",") + 1
	opts := make([]int, 0, items)
	starts := make([]int, 0, items+1) // where each group begins in opts
	for {
		s = strings.TrimSpace(s)
		starts = append(starts, len(opts))
		if strings.HasPrefix(s, "{") {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return nil, errors.New("a { without }")
			}
			inside := s[1:end]
			s = s[end+1:]
			if strings.IndexByte(inside, '{') >= 0 {
				return nil, errors.New("a { inside braces")
			}
			if strings.TrimSpace(inside) != "" { // {} is an empty category
				for {
					f, rest, more := strings.Cut(inside, ",")
					o, err := alternative(f, n)
					if err != nil {
						return nil, err
					}
					opts = append(opts, o)
					if !more {
						break
					}
					inside = rest
				}
			}
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			o, err := alternative(s[:end], n)
			if err != nil {
				return nil, err
			}
			opts = append(opts, o)
			s = s[end:]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			break
		}
		if s[0] != ',' {
			return nil, fmt.Errorf("unexpected %q", s[:1])
		}
		s = s[1:]
	}
	starts = append(starts, len(opts))
	groups := make([][]int, len(starts)-1)
	for i := range groups {
		groups[i] = opts[starts[i]:starts[i+1]:starts[i+1]]
	}
	return groups, nil
}

func alternative(f string, n int) (int, error) {
	f = strings.TrimSpace(f)
	x, err := strconv.Atoi(f)
	if err != nil || x < 1 || x > n {
		return 0, fmt.Errorf("alternative %q is not a number in 1..%d", f, n)
	}
	return x - 1, nil
}

// PrefLibType is the data type, and extension, that WritePrefLib uses for
// e: the most restrictive that fits (as PrefLib requires), "cat" for a
// graded vote; an error for other kinds, which only JSON holds.
func PrefLibType(e *Election) (string, error) {
	switch e.Vote.Kind {
	case Graded:
		return "cat", nil
	case Ranked:
	default:
		return "", fmt.Errorf("%w: PrefLib holds ranked and graded votes, not %s: write JSON", ErrVote, e.Vote.Kind)
	}
	n := len(e.Vote.Options)
	ties, incomplete := false, false
	for i := range e.Ballots {
		ranked := 0
		for _, g := range e.Ballots[i].Ranking {
			ties = ties || len(g) > 1
			ranked += len(g)
		}
		incomplete = incomplete || ranked < n
	}
	t := "s"
	if ties {
		t = "t"
	}
	if incomplete {
		return t + "oi", nil
	}
	return t + "oc", nil
}

// WritePrefLib writes e as a PrefLib file of the type PrefLibType gives,
// with every header the format requires; fileName fills FILE NAME.
// Identical ballots are merged into one line (PrefLib lists each order
// once, with its count); lines go by count, highest first, then in the
// order of the ballots. Options tied in a group are written in index order.
// Reading the file back and counting gives the same result.
func WritePrefLib(w io.Writer, e *Election, fileName string) error {
	if err := e.Vote.CheckBallots(e.Ballots); err != nil {
		return err
	}
	dt, err := PrefLibType(e)
	if err != nil {
		return err
	}
	for _, s := range append(append([]string{e.Title, e.Date, fileName}, e.Vote.Options...), e.Vote.Grades...) {
		if strings.ContainsAny(s, "\r\n") {
			return fmt.Errorf("%w: a name or title with a line break cannot be written to PrefLib", ErrVote)
		}
	}
	type line struct {
		text  string
		count int64
	}
	var lines []*line
	index := map[string]*line{}
	var sb strings.Builder
	writeGroup := func(g []int, braceSingle bool) {
		g = slices.Clone(g)
		slices.Sort(g)
		if len(g) == 1 && !braceSingle {
			sb.WriteString(strconv.Itoa(g[0] + 1))
			return
		}
		sb.WriteByte('{')
		for j, o := range g {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.Itoa(o + 1))
		}
		sb.WriteByte('}')
	}
	var voters int64
	for i := range e.Ballots {
		b := &e.Ballots[i]
		sb.Reset()
		if dt == "cat" {
			k := len(e.Vote.Grades)
			for c := 0; c < k; c++ {
				var g []int
				for o, grade := range b.Grades {
					if grade == k-1-c {
						g = append(g, o)
					}
				}
				if c > 0 {
					sb.WriteByte(',')
				}
				writeGroup(g, false)
			}
		} else {
			for j, g := range b.Ranking {
				if j > 0 {
					sb.WriteByte(',')
				}
				writeGroup(g, false)
			}
		}
		voters += b.Weight
		key := sb.String()
		if l, ok := index[key]; ok {
			l.count += b.Weight
			continue
		}
		l := &line{text: key, count: b.Weight}
		index[key] = l
		lines = append(lines, l)
	}
	slices.SortStableFunc(lines, func(a, b *line) int {
		switch {
		case a.count > b.count:
			return -1
		case a.count < b.count:
			return 1
		}
		return 0
	})
	var h strings.Builder
	fmt.Fprintf(&h, "# FILE NAME: %s\n# TITLE: %s\n# DESCRIPTION: \n# DATA TYPE: %s\n# MODIFICATION TYPE: original\n", fileName, e.Title, dt)
	fmt.Fprintf(&h, "# RELATES TO: \n# RELATED FILES: \n# PUBLICATION DATE: %s\n# MODIFICATION DATE: %s\n", e.Date, e.Date)
	fmt.Fprintf(&h, "# NUMBER ALTERNATIVES: %d\n# NUMBER VOTERS: %d\n", len(e.Vote.Options), voters)
	if dt == "cat" {
		k := len(e.Vote.Grades)
		fmt.Fprintf(&h, "# NUMBER UNIQUE PREFERENCES: %d\n# NUMBER CATEGORIES: %d\n", len(lines), k)
		for c := 0; c < k; c++ {
			fmt.Fprintf(&h, "# CATEGORY NAME %d: %s\n", c+1, e.Vote.Grades[k-1-c])
		}
	} else {
		fmt.Fprintf(&h, "# NUMBER UNIQUE ORDERS: %d\n", len(lines))
	}
	for i, name := range e.Vote.Options {
		fmt.Fprintf(&h, "# ALTERNATIVE NAME %d: %s\n", i+1, name)
	}
	if _, err := io.WriteString(w, h.String()); err != nil {
		return fmt.Errorf("write PrefLib: %w", err)
	}
	for _, l := range lines {
		if _, err := fmt.Fprintf(w, "%d: %s\n", l.count, l.text); err != nil {
			return fmt.Errorf("write PrefLib: %w", err)
		}
	}
	return nil
}
