package decide

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/coopbox/coopbox/services/decide/liquid"
)

// Bounds of what a person may type into an assembly.
const (
	maxTitle        = 200
	maxName         = 200
	maxColleges     = 20
	maxRollMembers  = 5000
	maxProxiesLimit = 100
	maxWeight       = 1_000_000
)

// liquid turns an assembly's rules into the roll's.
func (r Rules) liquid() liquid.Rules {
	out := liquid.Rules{MaxProxies: r.MaxProxies}
	for _, c := range r.Colleges {
		out.Colleges = append(out.Colleges, liquid.College{Name: c.Name, Part: c.Part})
	}
	if r.Quorum.Den > 0 {
		out.Quorum = liquid.QuorumRule{Num: r.Quorum.Num, Den: r.Quorum.Den}
		if r.Quorum.Of == "weight" {
			out.Quorum.Basis = liquid.ByWeight
		}
	}
	return out
}

// proxyCap is the number of proxies one member may carry under r.
func (r Rules) proxyCap() int {
	switch {
	case r.MaxProxies == 0:
		return liquid.DefaultMaxProxies
	case r.MaxProxies < 0:
		return 0
	}
	return r.MaxProxies
}

// hasCollege says whether name is one of r's colleges.
func (r Rules) hasCollege(name string) bool {
	for _, c := range r.Colleges {
		if c.Name == name {
			return true
		}
	}
	return false
}

// check refuses rules a person could not have meant.
func (r Rules) check() error {
	if r.MaxProxies > maxProxiesLimit {
		return refuse(http.StatusBadRequest, "bad_rules", "roll.err.maxProxies", maxProxiesLimit)
	}
	q := r.Quorum
	if q.Den != 0 || q.Num != 0 {
		if q.Den <= 0 || q.Num < 0 || q.Num > q.Den || q.Den > 1000 {
			return refuse(http.StatusBadRequest, "bad_rules", "roll.err.quorum")
		}
	}
	if q.Of != "" && q.Of != "members" && q.Of != "weight" {
		return refuse(http.StatusBadRequest, "bad_rules", "roll.err.quorum")
	}
	if len(r.Colleges) > maxColleges {
		return refuse(http.StatusBadRequest, "bad_rules", "roll.err.colleges", maxColleges)
	}
	seen := map[string]bool{}
	for _, c := range r.Colleges {
		if c.Name == "" || utf8.RuneCountInString(c.Name) > maxName || c.Part <= 0 || c.Part > 1_000_000 {
			return refuse(http.StatusBadRequest, "bad_rules", "roll.err.college", c.Name)
		}
		if seen[c.Name] {
			return refuse(http.StatusBadRequest, "bad_rules", "roll.err.collegeTwice", c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

// rulesFromForm reads the rules form of the roll page. The proxy cap is
// typed as a person reads it: 0 means no proxy, empty the default.
func rulesFromForm(r *http.Request) (Rules, error) {
	var out Rules
	bad := refuse(http.StatusBadRequest, "bad_rules", "roll.err.number")
	if v := strings.TrimSpace(r.FormValue("maxProxies")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return out, bad
		}
		out.MaxProxies = n
		if n == 0 {
			out.MaxProxies = -1
		}
	}
	num, den := strings.TrimSpace(r.FormValue("quorumNum")), strings.TrimSpace(r.FormValue("quorumDen"))
	if num != "" || den != "" {
		var err1, err2 error
		out.Quorum.Num, err1 = strconv.ParseInt(num, 10, 64)
		out.Quorum.Den, err2 = strconv.ParseInt(den, 10, 64)
		if err1 != nil || err2 != nil {
			return out, refuse(http.StatusBadRequest, "bad_rules", "roll.err.quorum")
		}
	}
	out.Quorum.Of = r.FormValue("quorumOf")
	if out.Quorum.Of == "" {
		out.Quorum.Of = "members"
	}
	out.Quorum.Represented = r.FormValue("quorumRepresented") != ""
	cs, err := parseColleges(r.FormValue("colleges"))
	if err != nil {
		return out, err
	}
	out.Colleges = cs
	return out, nil
}

// parseColleges reads one college a line, "Name: part" (or ";", "=", a
// tab), as the rules form's text area holds them.
func parseColleges(text string) ([]College, error) {
	var out []College
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		i := strings.LastIndexAny(line, ":;=\t")
		if i < 0 {
			return nil, refuse(http.StatusBadRequest, "bad_rules", "roll.err.college", line)
		}
		part, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(line[i+1:], "%")), 10, 64)
		if err != nil {
			return nil, refuse(http.StatusBadRequest, "bad_rules", "roll.err.college", line)
		}
		out = append(out, College{Name: strings.TrimSpace(line[:i]), Part: part})
	}
	return out, nil
}

// collegesText writes colleges back in parseColleges's form.
func collegesText(cs []College) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Name + " : " + strconv.FormatInt(c.Part, 10) + "\n")
	}
	return b.String()
}
