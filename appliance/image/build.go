package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// buildTags are the tags gokrazy builds every program with.
var buildTags = []string{"gokrazy", "netgo", "osusergo"}

// program is one Go program built for the box.
type program struct {
	pkg  string // import path
	dest string // path inside the root file system
}

// compile builds progs for linux/arm64 into the tree rooted at root, from
// the module in moduleDir (its go.mod and go.sum pin every version).
// ldflags are passed to every build; per-package GoBuildFlags and
// GoBuildTags from the config are honoured.
func compile(ctx context.Context, moduleDir, root string, c *Config, progs []program, ldflags string, p *progress) error {
	for i, prog := range progs {
		p.status("compile %d/%d %s", i+1, len(progs), prog.pkg)
		pc := c.PackageConfig[prog.pkg]
		tags := append(append([]string(nil), buildTags...), pc.GoBuildTags...)
		out := filepath.Join(root, filepath.FromSlash(prog.dest))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		args := []string{"build", "-trimpath", "-tags", strings.Join(tags, ","), "-ldflags", ldflags}
		args = append(args, pc.GoBuildFlags...)
		args = append(args, "-o", out, prog.pkg)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = moduleDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", prog.pkg, err, b)
		}
	}
	p.done("compiled %d programs for linux/arm64", len(progs))
	return nil
}

// programs lists what the image carries: init, gokrazy's system programs,
// then the box's own.
func programs(c *Config) []program {
	progs := []program{{pkg: c.InitPackage(), dest: "gokrazy/init"}}
	for _, pkg := range c.SystemPackages() {
		progs = append(progs, program{pkg: pkg, dest: "gokrazy/" + path.Base(pkg)})
	}
	for _, pkg := range c.Packages {
		progs = append(progs, program{pkg: pkg, dest: "user/" + path.Base(pkg)})
	}
	return progs
}

// moduleDirs returns the folders of modules as pinned by moduleDir's go.mod,
// downloading them into the module cache when needed.
func moduleDirs(ctx context.Context, moduleDir string, mods ...string) (map[string]string, error) {
	var want []string
	for _, m := range mods {
		if m != "" {
			want = append(want, m)
		}
	}
	dirs := map[string]string{}
	if len(want) == 0 {
		return dirs, nil
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"mod", "download", "-json"}, want...)...)
	cmd.Dir = moduleDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download %s: %v\n%s%s", strings.Join(want, " "), err, out, stderr.Bytes())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m struct{ Path, Dir, Error string }
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go mod download: %w", err)
		}
		if m.Error != "" {
			return nil, fmt.Errorf("go mod download %s: %s (is it required in go.mod?)", m.Path, m.Error)
		}
		dirs[m.Path] = m.Dir
	}
	for _, m := range want {
		if dirs[m] == "" {
			return nil, fmt.Errorf("module %s: no folder (is it required in go.mod?)", m)
		}
	}
	return dirs, nil
}
