package image

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/coopbox/coopbox/appliance/image/aside"
	"github.com/coopbox/coopbox/appliance/image/services"
)

// RootSize is the size of each of the two root partitions.
const RootSize = 500 << 20

// caBundles are where Debian and others keep the system's CA bundle; the
// first found is copied to /etc/ssl/ca-bundle.pem, where gokrazy's programs
// look. The box is offline, so this matters only when a venue has an uplink.
var caBundles = []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}

// rootTree fills root (which already holds the compiled programs) with what
// gokrazy's init expects besides them.
func rootTree(root string, c *Config, password, kernelDir string) error {
	for _, d := range []string{"dev", "proc", "sys", "tmp", "perm", "run", "mnt", "etc/ssl", "etc/coopbox"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	// The builder's update password is coopbox-init's, not gokrazy's
	// /etc/gokr-pw.txt: without that file gokrazy leaves port 8080 to
	// coopbox-init, which reads the password at each request, so the
	// owner's (/perm/gokr-pw.txt) counts as soon as it is written
	// (package aside).
	builderFile := strings.TrimPrefix(aside.BuilderFile, "/")
	files := map[string]string{
		"etc/hostname":      c.Hostname,
		"etc/hosts":         "127.0.0.1 localhost\n::1 localhost\n",
		builderFile:         password,
		"etc/http-port.txt": c.Update.HTTPPort,
	}
	if c.Update.HTTPSPort != "" {
		files["etc/https-port.txt"] = c.Update.HTTPSPort
	}
	b, err := services.Encode(serviceList(c))
	if err != nil {
		return err
	}
	files[strings.TrimPrefix(services.Path, "/")] = string(b)
	for _, pkg := range append(append([]string(nil), c.SystemPackages()...), c.Packages...) {
		for p, content := range c.PackageConfig[pkg].ExtraFileContents {
			files[strings.TrimPrefix(path.Clean("/"+p), "/")] = content
		}
	}
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name == builderFile {
			mode = 0o600
		}
		f := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, []byte(content), mode); err != nil {
			return err
		}
	}
	// gokrazy's init takes a missing /etc/resolv.conf for an old FAT root
	// and mounts a tmpfs over /etc, hiding everything above.
	if err := os.Symlink("/tmp/resolv.conf", filepath.Join(root, "etc/resolv.conf")); err != nil {
		return err
	}
	if err := os.Symlink("/perm/var", filepath.Join(root, "var")); err != nil {
		return err
	}
	for _, ca := range caBundles {
		if b, err := os.ReadFile(ca); err == nil {
			if err := os.WriteFile(filepath.Join(root, "etc/ssl/ca-bundle.pem"), b, 0o644); err != nil {
				return err
			}
			break
		}
	}
	// Kernel modules and their index, loaded by gokrazy's init.
	if lib := filepath.Join(kernelDir, "lib"); exists(lib) {
		if err := copyTree(filepath.Join(root, "lib"), lib); err != nil {
			return err
		}
	}
	return os.Chmod(root, 0o755)
}

// serviceList is what coopbox-init supervises.
func serviceList(c *Config) []services.Service {
	var list []services.Service
	add := func(pkg, dir string) {
		pc := c.PackageConfig[pkg]
		list = append(list, services.Service{
			Path:         "/" + dir + "/" + path.Base(pkg),
			Args:         pc.CommandLineFlags,
			Env:          pc.Environment,
			DontStart:    pc.DontStart,
			WaitForClock: pc.WaitForClock,
			Health:       healthURL(c, pkg, dir),
		})
	}
	for _, pkg := range c.SystemPackages() {
		add(pkg, "gokrazy")
	}
	for _, pkg := range c.Packages {
		add(pkg, "user")
	}
	return list
}

// healthURL is where the box's own programs (coopbox) say they work: the
// /healthz of the HTTPS address given with -https, asked on loopback.
// gokrazy's programs have none.
func healthURL(c *Config, pkg, dir string) string {
	if dir != "user" || c.PackageConfig[pkg].DontStart {
		return ""
	}
	addr, ok := c.FlagValue(pkg, "https")
	if !ok {
		return ""
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return ""
	}
	return "https://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"
}

// squashfs packs root into file with Debian's mksquashfs: everything owned
// by root, gzip (zlib) compression, which every gokrazy kernel reads.
func squashfs(ctx context.Context, root, file string) (int64, error) {
	os.Remove(file)
	cmd := exec.CommandContext(ctx, toolPath("mksquashfs"), root, file,
		"-noappend", "-all-root", "-comp", "gzip", "-no-xattrs", "-quiet", "-no-progress")
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("mksquashfs: %v\n%s", err, b)
	}
	st, err := os.Stat(file)
	if err != nil {
		return 0, err
	}
	if st.Size() > RootSize {
		return 0, fmt.Errorf("root file system is %s, more than its partition's %s", human(st.Size()), human(RootSize))
	}
	return st.Size(), nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// copyTree copies the regular files and folders under src to dst; the
// module cache's read-only modes become writable ones.
func copyTree(dst, src string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(target, p)
	})
}

func copyFile(dst, src string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
