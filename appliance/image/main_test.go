package image

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireTools skips the test when a tool is missing, or fails it when
// COOPBOX_REQUIRE_ALL=1 (make test, CI): there a missing tool is a broken
// machine, not a reason to pass.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(toolPath(tool)); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing %s (Debian: qemu-system-arm dosfstools mtools squashfs-tools e2fsprogs; make deps installs them)", strings.Join(missing, ", "))
	if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

var buildTools = []string{"go", "mkfs.fat", "mcopy", "mtype", "mksquashfs", "mke2fs"}

const testPassword = "gokrazy-test-password"

// testImage is one image of this test run.
type testImage struct {
	*Summary
	// Path is the file to boot: the image file, or the file behind the
	// loop device the image was written to as to a card.
	Path string
	// Card is true when the image went through a block device.
	Card bool
	err  error
}

// cardSize is the size of the card the VM image is written to: not a size
// the image would choose, so that /perm must take what the card has.
const cardSize = 1536 << 20

// testImages holds one image per machine kind, built by the first test
// that needs it and shared by every test after: a build (five programs
// compiled for arm64, squashfs, FAT, ext4) takes from half a minute warm
// to two minutes cold on two cores, so no test builds its own. Tests that
// boot an image change what is on it (they claim the box, update it): the
// VM tests follow one box through its life in one test (TestVM) rather
// than each starting from a fresh copy.
var testImages struct {
	sync.Mutex
	built map[string]*testImage
	dir   string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testImages.dir != "" {
		os.RemoveAll(testImages.dir)
	}
	os.Exit(code)
}

// piImage is the Pi image as make image builds it: a 2 GiB image file.
func piImage(t *testing.T) *testImage {
	t.Helper()
	return sharedImage(t, Pi)
}

// vmImage is the QEMU image, written as make image writes a card: through
// a loop device over a file of cardSize, when this machine lets the test
// make one (root, losetup); otherwise as a 2 GiB image file. Either way
// the file is what TestVM boots.
func vmImage(t *testing.T) *testImage {
	t.Helper()
	return sharedImage(t, VM)
}

func sharedImage(t *testing.T, machine string) *testImage {
	t.Helper()
	requireTools(t, buildTools...)
	testImages.Lock()
	defer testImages.Unlock()
	if img := testImages.built[machine]; img != nil {
		if img.err != nil {
			t.Fatalf("the %s image of this run failed to build: %v", machine, img.err)
		}
		return img
	}
	if testImages.dir == "" {
		dir, err := os.MkdirTemp("", "coopbox-image-test-")
		if err != nil {
			t.Fatal(err)
		}
		testImages.dir = dir
		testImages.built = map[string]*testImage{}
	}
	start := time.Now()
	var log bytes.Buffer
	img := buildShared(t, machine, &log)
	testImages.built[machine] = img
	if img.err != nil {
		t.Fatalf("build the %s image: %v\n%s", machine, img.err, log.Bytes())
	}
	var sum bytes.Buffer
	img.WriteTo(&sum)
	t.Logf("built the %s image in %s (once for every test of this run):\n%s%s", machine, time.Since(start).Round(time.Second), log.Bytes(), sum.Bytes())
	return img
}

func buildShared(t *testing.T, machine string, log *bytes.Buffer) *testImage {
	c, err := LoadConfig(filepath.Join("..", "..", "gokr-packer.json"))
	if err != nil {
		return &testImage{err: err}
	}
	o := Options{
		Config: c, ModuleDir: filepath.Join("..", ".."), Machine: machine,
		Output: filepath.Join(testImages.dir, machine+".img"), Size: 2 << 30,
		Password: testPassword, Version: "test-1", Progress: log,
	}
	if machine != VM {
		s, err := Build(context.Background(), o)
		return &testImage{Summary: s, Path: o.Output, err: err}
	}
	backing := filepath.Join(testImages.dir, "card")
	dev, detach, why := loopDevice(backing, cardSize)
	if dev == "" {
		t.Logf("the VM image goes to a file, not through a loop device: %s", why)
		s, err := Build(context.Background(), o)
		return &testImage{Summary: s, Path: o.Output, err: err}
	}
	defer detach()
	// Compress is asked for to check that a card gets no compressed copy.
	o.Output, o.Compress = dev, true
	s, err := Build(context.Background(), o)
	return &testImage{Summary: s, Path: backing, Card: true, err: err}
}

// loopDevice makes a file of size bytes and a loop device over it, or
// says why it cannot.
func loopDevice(file string, size int64) (dev string, detach func(), why string) {
	if os.Geteuid() != 0 {
		return "", nil, "loop devices need root"
	}
	if _, err := exec.LookPath(toolPath("losetup")); err != nil {
		return "", nil, "no losetup"
	}
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		return "", nil, err.Error()
	}
	if err := os.Truncate(file, size); err != nil {
		return "", nil, err.Error()
	}
	out, err := exec.Command(toolPath("losetup"), "--find", "--show", file).CombinedOutput()
	if err != nil {
		return "", nil, fmt.Sprintf("losetup: %v %s", err, out)
	}
	dev = strings.TrimSpace(string(out))
	return dev, func() { exec.Command(toolPath("losetup"), "-d", dev).Run() }, ""
}
