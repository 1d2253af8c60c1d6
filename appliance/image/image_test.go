package image

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/coopbox/coopbox/appliance/image/aside"
)

// TestPiImage checks the image make image builds, as a card reader and
// the Pi's firmware would see it: the partition table, a FAT that
// fsck.fat accepts with the firmware, kernel and device trees of every
// supported Pi, the root file system's files, and an ext4 /perm.
func TestPiImage(t *testing.T) {
	requireTools(t, "unsquashfs", "fsck.fat", "e2fsck")
	s := piImage(t)
	f, err := os.Open(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if s.Size != 2<<30 {
		t.Errorf("image size %d, want the default 2 GiB", s.Size)
	}

	// The partition table.
	var mbr [512]byte
	if _, err := f.ReadAt(mbr[:], 0); err != nil {
		t.Fatal(err)
	}
	if mbr[510] != 0x55 || mbr[511] != 0xaa {
		t.Fatalf("no MBR signature")
	}
	if got, want := binary.LittleEndian.Uint32(mbr[440:]), DiskID("coopbox"); got != want || s.DiskID != want {
		t.Errorf("disk signature %08x (summary %08x), want %08x", got, s.DiskID, want)
	}
	type part struct {
		boot        byte
		typ         byte
		start, size int64
	}
	want := []part{
		{0x80, 0x0c, 4 << 20, 100 << 20},
		{0, 0x83, 104 << 20, 500 << 20},
		{0, 0x83, 604 << 20, 500 << 20},
		{0, 0x83, 1104 << 20, 2<<30 - 1104<<20},
	}
	for i, w := range want {
		e := mbr[446+16*i:]
		got := part{e[0], e[4], int64(binary.LittleEndian.Uint32(e[8:])) * 512, int64(binary.LittleEndian.Uint32(e[12:])) * 512}
		if got != w {
			t.Errorf("partition %d = %+v, want %+v", i+1, got, w)
		}
	}

	// The boot partition.
	dir := t.TempDir()
	boot := extract(t, f, filepath.Join(dir, "boot.fat"), bootStart, BootSize)
	if out, err := exec.Command(toolPath("fsck.fat"), "-n", boot).CombinedOutput(); err != nil {
		t.Errorf("fsck.fat: %v\n%s", err, out)
	}
	fat, err := output(context.Background(), "mdir", "-i", boot, "-b", "-/", "::")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"bootcode.bin", "start.elf", "fixup.dat", "start4.elf", "fixup4.dat", // Pi 3 and Zero 2 W; Pi 4
		"vmlinuz", "config.txt", "cmdline.txt",
		"bcm2710-rpi-3-b-plus.dtb", "bcm2711-rpi-4-b.dtb", "bcm2712-rpi-5-b.dtb", "bcm2710-rpi-zero-2-w.dtb",
		"overlays/vc4-kms-v3d.dtbo",
	} {
		if !bytes.Contains(bytes.ToLower(fat), []byte("::/"+name+"\n")) {
			t.Errorf("the boot partition lacks %s", name)
		}
	}
	cmdline, _ := output(context.Background(), "mtype", "-i", boot, "::cmdline.txt")
	if !bytes.Contains(cmdline, []byte(fmt.Sprintf("root=PARTUUID=%08x-02 ", DiskID("coopbox")))) ||
		!bytes.Contains(cmdline, []byte("init=/gokrazy/init")) || !bytes.HasSuffix(cmdline, bytes.Repeat([]byte(" "), cmdlinePad)) {
		t.Errorf("cmdline.txt = %q: want root A by PARTUUID, gokrazy's init and %d spaces of room", cmdline, cmdlinePad)
	}
	config, _ := output(context.Background(), "mtype", "-i", boot, "::config.txt")
	for _, line := range []string{"kernel=vmlinuz", "enable_uart=1"} {
		if !bytes.Contains(config, []byte(line)) {
			t.Errorf("config.txt lacks %s:\n%s", line, config)
		}
	}

	// Root A.
	root := extract(t, f, filepath.Join(dir, "root.squashfs"), root2, RootSize)
	list, err := output(context.Background(), "unsquashfs", "-lls", "-d", "", root)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/gokrazy/init", "/gokrazy/dhcp", "/gokrazy/ntp", "/gokrazy/randomd", "/user/coopbox",
		"/etc/resolv.conf -> /tmp/resolv.conf", "/etc/coopbox/services.json", "/perm", "/lib/modules/"} {
		if !bytes.Contains(list, []byte(want)) {
			t.Errorf("root file system lacks %s", want)
		}
	}
	// The builder's update password is for coopbox-init alone (root only);
	// with an /etc/gokr-pw.txt gokrazy would serve port 8080 itself.
	if bytes.Contains(list, []byte("/etc/gokr-pw.txt")) {
		t.Error("the root file system has /etc/gokr-pw.txt: gokrazy would listen on port 8080 itself, reading its password once at boot")
	}
	if !regexp.MustCompile(`(?m)^-rw------- root/root .* /etc/coopbox/update-password.txt$`).Match(list) {
		t.Errorf("no /etc/coopbox/update-password.txt of mode 0600 owned by root:\n%s", list)
	}
	for file, want := range map[string]string{"etc/hostname": "coopbox", "etc/http-port.txt": "8080", "etc/coopbox/update-password.txt": testPassword} {
		got, err := output(context.Background(), "unsquashfs", "-cat", root, file)
		if err != nil || string(got) != want {
			t.Errorf("/%s = %q (%v), want %q", file, got, err, want)
		}
	}
	services, _ := output(context.Background(), "unsquashfs", "-cat", root, "etc/coopbox/services.json")
	if !bytes.Contains(services, []byte(`"/user/coopbox"`)) || !bytes.Contains(services, []byte(`"/perm/coopbox"`)) {
		t.Errorf("services.json does not start coopbox on /perm/coopbox:\n%s", services)
	}

	// /perm.
	perm := extract(t, f, filepath.Join(dir, "perm.ext4"), permStart, permSize(s.Size))
	if out, err := exec.Command(toolPath("e2fsck"), "-fn", perm).CombinedOutput(); err != nil {
		t.Errorf("e2fsck /perm: %v\n%s", err, out)
	}
	if out, _ := exec.Command(toolPath("debugfs"), "-R", "ls /", perm).CombinedOutput(); !bytes.Contains(out, []byte("coopbox")) {
		t.Errorf("/perm has no coopbox folder:\n%s", out)
	}
}

// extract copies one partition out of the image into file, keeping holes.
func extract(t *testing.T, img *os.File, file string, off, size int64) string {
	t.Helper()
	out, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	buf := make([]byte, 1<<20)
	zero := make([]byte, len(buf))
	for pos := int64(0); pos < size; pos += int64(len(buf)) {
		n, err := img.ReadAt(buf, off+pos)
		if n == 0 {
			t.Fatalf("read partition at %d: %v", off+pos, err)
		}
		if !bytes.Equal(buf[:n], zero[:n]) {
			if _, err := out.WriteAt(buf[:n], pos); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := out.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestCard checks what writing the image to a card (a block device) does:
// /perm takes the whole card, whatever its size, and no compressed copy
// is made. The VM image of every test run is written that way, through a
// loop device over a file of an odd size, so that TestVM boots a card.
func TestCard(t *testing.T) {
	img := vmImage(t)
	if !img.Card {
		if os.Getenv("COOPBOX_REQUIRE_ALL") == "1" {
			t.Fatal("the VM image was not written through a loop device (needs root and losetup)")
		}
		t.Skip("the VM image was not written through a loop device (needs root and losetup)")
	}
	if img.Size != cardSize || img.Parts[3].Size != cardSize-permStart {
		t.Errorf("card of %d bytes: image %d, /perm %d; want the whole card, /perm %d", cardSize, img.Size, img.Parts[3].Size, cardSize-permStart)
	}
	if st, err := os.Stat(img.Path); err != nil {
		t.Error(err)
	} else if st.Size() != cardSize {
		t.Errorf("the card's file holds %d bytes, want %d: writing the image changed the card's size", st.Size(), cardSize)
	}
	if img.Compressed != "" {
		t.Errorf("a card got a compressed copy %s", img.Compressed)
	}
	var mbr [512]byte
	f, err := os.Open(img.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.ReadAt(mbr[:], 0); err != nil {
		t.Fatal(err)
	}
	if got := int64(binary.LittleEndian.Uint32(mbr[446+3*16+12:])) * 512; got != cardSize-permStart {
		t.Errorf("partition table: /perm of %d bytes, want %d", got, cardSize-permStart)
	}
}

// TestUploadTime: coopbox-init gives an update's upload time for
// aside.MaxUpload bytes; a partition bigger than that would be cut off
// on a slow link.
func TestUploadTime(t *testing.T) {
	for name, size := range map[string]int64{"root": RootSize, "boot": BootSize} {
		if size > aside.MaxUpload {
			t.Errorf("the %s partition is %d bytes, more than the %d an upload is given time for (aside.MaxUpload)", name, size, aside.MaxUpload)
		}
	}
}
