package tally

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runMain(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestMainSchulzeFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tennessee.soc")
	if err := os.WriteFile(path, []byte(tennesseeSOC), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMain(t, "", "--method", "schulze", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"method schulze, 4 options, 4 ballots, weight 100\n",
		"   1  Nashville\n   2  Chattanooga\n   3  Knoxville\n   4  Memphis\n",
		"winner: Nashville\n",
		"pairwise d[row][column]",
		// Nashville over Memphis 58, over Chattanooga 68, over Knoxville 68.
		"Nashville  58  -  68  68",
		"strongest paths p[row][column]",
	} {
		if !strings.Contains(collapse(out), collapse(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// collapse squeezes runs of spaces so the test does not pin column widths.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }), " ")
}

func TestMainMethodsAndStdin(t *testing.T) {
	var js bytes.Buffer
	e, err := ReadPrefLib(strings.NewReader(tennesseeSOC), "soc")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, e); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method string
		want   []string
	}{
		{"irv", []string{"winner: Knoxville", "rounds", "Knoxville 17 32 58", "out Chattanooga Nashville"}},
		{"rankedpairs", []string{"winner: Nashville", "pairs, strongest first", "1 Chattanooga Knoxville 83 17 locked"}},
		{"plurality", []string{"winner: Memphis", "Memphis 42"}},
	} {
		code, out, errOut := runMain(t, js.String(), "-method", tt.method, "-")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tt.method, code, errOut)
		}
		for _, w := range tt.want {
			if !strings.Contains(collapse(out), w) {
				t.Errorf("%s: output lacks %q:\n%s", tt.method, w, out)
			}
		}
	}
	// --json prints the result itself.
	code, out, _ := runMain(t, tennesseeSOC, "--json", "--method", "mj", "-")
	if code != 1 {
		t.Errorf("mj of ranked ballots: exit %d, want 1", code)
	}
	code, out, _ = runMain(t, tennesseeSOC, "--json", "-")
	var r Result
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Method != Schulze || r.Options[r.Winners[0]] != "Nashville" {
		t.Errorf("--json: exit %d, %s", code, out)
	}
}

func TestMainMajorityJudgmentAndYesNo(t *testing.T) {
	mj := `{"vote": {"kind": "graded", "options": ["A", "B"], "grades": ["bad", "fair", "good"]},
"ballots": [{"grades": [2, 1]}, {"grades": [0, 1]}, {"weight": 2, "grades": [2, null]}]}`
	code, out, errOut := runMain(t, mj, "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{"method mj", "winner: A", "bad fair good no grade majority grade", "A 1 0 3 0 good", "B 2 2 0 2 bad"} {
		if !strings.Contains(collapse(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	yn := `{"vote": {"kind": "yesno", "options": ["yes", "no", "abstain"]}, "ballots": [{"weight": 6, "choice": 0}, {"weight": 3, "choice": 1}, {"weight": 4, "choice": 2}]}`
	code, out, _ = runMain(t, yn, "--majority", "two_thirds", "-")
	if code != 0 || !strings.Contains(collapse(out), "outcome adopted") {
		t.Errorf("two thirds of cast: exit %d\n%s", code, out)
	}
	code, out, _ = runMain(t, yn, "--majority", "two_thirds", "--base", "present", "-")
	if code != 0 || !strings.Contains(collapse(out), "outcome rejected") || !strings.Contains(collapse(out), "needed (two_thirds) 9") {
		t.Errorf("two thirds of present: exit %d\n%s", code, out)
	}
}

func TestMainErrors(t *testing.T) {
	for _, tt := range []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"", nil, 2, "one FILE needed"},
		{"", []string{"--method", "borda", "-"}, 2, `unknown method "borda"`},
		{"", []string{"--nope", "-"}, 2, "flag provided but not defined"},
		{"", []string{filepath.Join(t.TempDir(), "missing.soc")}, 1, "no such file"},
		{"hello", []string{"-"}, 1, "neither JSON nor PrefLib"},
		{tennesseeSOC + "3: 1,1,2,3\n", []string{"-"}, 1, "line 21: alternative 1 appears twice"},
	} {
		code, out, errOut := runMain(t, tt.stdin, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want %d and %q", tt.args, code, errOut, out, tt.code, tt.want)
		}
	}
	code, out, _ := runMain(t, "", "--help")
	if code != 0 || !strings.Contains(out, "usage: tally") {
		t.Errorf("--help: exit %d %q", code, out)
	}
}

// TestMainApprovalFromCat: PrefLib's approval data are .cat files of two
// categories, Yes first; --method approval counts the Yes.
func TestMainApprovalFromCat(t *testing.T) {
	cat := "# DATA TYPE: cat\n# NUMBER ALTERNATIVES: 3\n# NUMBER CATEGORIES: 2\n# CATEGORY NAME 1: Yes\n" +
		"# CATEGORY NAME 2: No\n# ALTERNATIVE NAME 1: Megret\n# ALTERNATIVE NAME 2: Lepage\n# ALTERNATIVE NAME 3: Gluckstein\n" +
		"13: 2,{1,3}\n10: {1,2},3\n4: {},{1,2,3}\n"
	path := filepath.Join(t.TempDir(), "approval.cat")
	if err := os.WriteFile(path, []byte(cat), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMain(t, "", "--method", "approval", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{"winner: Lepage", "Lepage 23", "Megret 10", "Gluckstein 0"} {
		if !strings.Contains(collapse(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	code, out, _ = runMain(t, "", path)
	if code != 0 || !strings.Contains(out, "method mj") || !strings.Contains(collapse(out), "No Yes no grade majority grade") {
		t.Errorf("default method of a .cat file: exit %d\n%s", code, out)
	}
}
