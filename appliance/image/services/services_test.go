package services

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	want := []Service{
		{Path: "/gokrazy/dhcp"},
		{Path: "/user/coopbox", Args: []string{"serve", "-data", "/perm/coopbox"}, Env: []string{"TZ=UTC"}, Health: "https://127.0.0.1:443/healthz"},
		{Path: "/gokrazy/ntp", WaitForClock: true, DontStart: true},
	}
	b, err := Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "services.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d services, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Path != w.Path || !slices.Equal(g.Args, w.Args) || !slices.Equal(g.Env, w.Env) ||
			g.DontStart != w.DontStart || g.WaitForClock != w.WaitForClock || g.Health != w.Health {
			t.Errorf("service %d = %+v, want %+v", i, g, w)
		}
	}
	cmd := got[1].Command()
	if got, want := cmd.Args, []string{"/user/coopbox", "serve", "-data", "/perm/coopbox"}; !slices.Equal(got, want) {
		t.Errorf("command args = %q, want %q", got, want)
	}
	if !slices.Contains(cmd.Env, "TZ=UTC") {
		t.Errorf("command environment lacks TZ=UTC")
	}
}

func TestReadRejectsRelativePaths(t *testing.T) {
	file := filepath.Join(t.TempDir(), "services.json")
	os.WriteFile(file, []byte(`[{"path": "coopbox"}]`), 0o644)
	if _, err := Read(file); err == nil || !strings.Contains(err.Error(), "not absolute") {
		t.Errorf("Read of a relative path: err = %v, want a complaint about it", err)
	}
}
