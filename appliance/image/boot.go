package image

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// BootSize is the size of the boot partition.
const BootSize = 100 << 20

// cmdlinePad is the room left in cmdline.txt for gokrazy's in-place edits
// (root=…-02 becomes root=…-03; gokrazy.try_boot_inactive=1 becomes the
// shorter gokrazy.switch_on_boot=1), as gokrazy's packer leaves it.
const cmdlinePad = 64

// cmdline returns the kernel command line: the kernel package's own line,
// its root= replaced by the partition of root A, with the consoles added.
func cmdline(kernelCmdline []byte, console string, diskID uint32) string {
	line := "console=tty1 "
	if console != "" {
		line += "console=" + console + " "
	}
	var words []string
	for _, w := range strings.Fields(string(kernelCmdline)) {
		if strings.HasPrefix(w, "root=") {
			w = fmt.Sprintf("root=PARTUUID=%08x-02", diskID)
		}
		if strings.HasPrefix(w, "console=") {
			continue
		}
		words = append(words, w)
	}
	if !strings.Contains(line+strings.Join(words, " "), "rootwait") {
		words = append(words, "rootwait")
	}
	return line + strings.Join(words, " ")
}

// bootFiles lists what goes on the boot partition: name in the FAT → file
// on this machine. Folders (overlays/) are copied whole.
func bootFiles(kernelDir, firmwareDir string) (map[string]string, error) {
	files := map[string]string{"vmlinuz": filepath.Join(kernelDir, "vmlinuz")}
	globs := []string{filepath.Join(kernelDir, "*.dtb")}
	if firmwareDir != "" {
		globs = append(globs, filepath.Join(firmwareDir, "*.bin"), filepath.Join(firmwareDir, "*.elf"), filepath.Join(firmwareDir, "*.dat"))
	}
	for _, g := range globs {
		m, err := filepath.Glob(g)
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			files[filepath.Base(f)] = f
		}
	}
	if o := filepath.Join(kernelDir, "overlays"); exists(o) {
		files["overlays"] = o
	}
	for name, f := range files {
		if !exists(f) {
			return nil, fmt.Errorf("boot file %s: %s is missing", name, f)
		}
	}
	return files, nil
}

// fat writes the boot partition into file: FAT16 with a single FAT copy
// (mkfs.fat -F 16 -f 1), the one layout gokrazy's FAT reader handles, then
// cmdline.txt first (so that it sits in one piece at a known place) and
// the other files with mtools. It returns the bytes used by files.
func fat(ctx context.Context, file string, diskID uint32, cmdlineTxt, configTxt string, files map[string]string) (int64, error) {
	os.Remove(file)
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		return 0, err
	}
	if err := os.Truncate(file, BootSize); err != nil {
		return 0, err
	}
	if err := run(ctx, "mkfs.fat", "-F", "16", "-f", "1", "-n", "GOKRAZY", "-i", fmt.Sprintf("%08x", diskID), file); err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp("", "coopbox-boot-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	padded := cmdlineTxt + strings.Repeat(" ", cmdlinePad)
	texts := map[string]string{"cmdline.txt": padded}
	if configTxt != "" {
		texts["config.txt"] = configTxt
	}
	for name, content := range texts {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(content), 0o644); err != nil {
			return 0, err
		}
	}
	var used int64
	args := []string{filepath.Join(tmp, "cmdline.txt")}
	if configTxt != "" {
		args = append(args, filepath.Join(tmp, "config.txt"))
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, files[name])
	}
	for _, a := range args {
		used += treeSize(a)
	}
	mcopy := append([]string{"-i", file, "-s", "-Q", "-o"}, args...)
	if err := run(ctx, "mcopy", append(mcopy, "::")...); err != nil {
		return 0, err
	}
	// Check what gokrazy will read back.
	got, err := output(ctx, "mtype", "-i", file, "::cmdline.txt")
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(got, []byte(padded)) {
		return 0, fmt.Errorf("cmdline.txt reads back as %q, want %q", got, padded)
	}
	return used, nil
}

func treeSize(p string) int64 {
	var n int64
	filepath.Walk(p, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// run runs a tool and returns its output with the error.
func run(ctx context.Context, name string, args ...string) error {
	_, err := output(ctx, name, args...)
	return err
}

func output(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, toolPath(name), args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// toolPath finds a tool in $PATH or, for mkfs.fat and mke2fs when a user's
// $PATH lacks them, in Debian's sbin folders.
func toolPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); exists(p) {
			return p
		}
	}
	return name
}
