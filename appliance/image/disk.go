package image

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// The partitions, in bytes, as gokrazy's packer lays them out.
const (
	bootStart = 4 << 20
	root2     = bootStart + BootSize
	root3     = root2 + RootSize
	permStart = root3 + RootSize
	// MinPerm is the smallest /perm worth having.
	MinPerm = 64 << 20
	// MinSize is the smallest image or card.
	MinSize = permStart + MinPerm
)

// mbr returns the partition table of a disk of size bytes: the boot
// partition (FAT, active, as the Pi's boot ROM wants), roots A and B and
// /perm over the rest. diskID is the disk signature Linux turns into the
// PARTUUIDs <diskID>-01 … -04.
func mbr(diskID uint32, size int64) []byte {
	var b [512]byte
	binary.LittleEndian.PutUint32(b[440:], diskID)
	// Bytes 444–445 stay zero: gokrazy checks them to trust the signature.
	entry := func(i int, active bool, typ byte, start, length int64) {
		e := b[446+16*i : 446+16*(i+1)]
		if active {
			e[0] = 0x80
		}
		copy(e[1:4], []byte{0xfe, 0xff, 0xff}) // CHS unused: use LBA
		e[4] = typ
		copy(e[5:8], []byte{0xfe, 0xff, 0xff})
		binary.LittleEndian.PutUint32(e[8:], uint32(start/512))
		binary.LittleEndian.PutUint32(e[12:], uint32(length/512))
	}
	const fat32LBA, linux = 0x0c, 0x83
	entry(0, true, fat32LBA, bootStart, BootSize)
	entry(1, false, linux, root2, RootSize)
	entry(2, false, linux, root3, RootSize)
	entry(3, false, linux, permStart, permSize(size))
	b[510], b[511] = 0x55, 0xaa
	return b[:]
}

// permSize is the size of /perm on a disk of size bytes, in whole MiB.
func permSize(size int64) int64 {
	return (size - permStart) &^ (1<<20 - 1)
}

// target is where an image goes: a new sparse file of a chosen size, or a
// card (block device) and its whole size.
type target struct {
	f      *os.File
	path   string
	size   int64
	device bool
}

func openTarget(path string, size int64) (*target, error) {
	st, err := os.Stat(path)
	if err == nil && st.Mode()&os.ModeDevice != 0 {
		if err := notMounted(path); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("open card %s: %w", path, err)
		}
		size, err := f.Seek(0, io.SeekEnd)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("size of %s: %w", path, err)
		}
		if size < MinSize {
			f.Close()
			return nil, fmt.Errorf("%s holds %s; the image needs at least %s", path, human(size), human(MinSize))
		}
		return &target{f: f, path: path, size: size, device: true}, nil
	}
	if size < MinSize {
		return nil, fmt.Errorf("image size %s is below the minimum %s", human(size), human(MinSize))
	}
	os.Remove(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, err
	}
	return &target{f: f, path: path, size: size}, nil
}

// writePart copies the file src to offset off. On a fresh image file,
// blocks of zeros are skipped and stay holes; a card gets every byte.
func (t *target) writePart(src string, off int64, label string, p *progress) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	count := p.counter("write "+label, st.Size())
	buf := make([]byte, 1<<20)
	zero := make([]byte, len(buf))
	for pos := off; ; {
		n, err := io.ReadFull(in, buf)
		if n > 0 {
			if t.device || !bytes.Equal(buf[:n], zero[:n]) {
				if _, err := t.f.WriteAt(buf[:n], pos); err != nil {
					return fmt.Errorf("write %s: %w", label, err)
				}
			}
			pos += int64(n)
			count.add(int64(n))
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// formatPerm makes the ext4 file system of /perm in place, with Debian's
// mke2fs at the partition's offset: gokrazy never formats /perm itself.
// Running mke2fs on the target (rather than copying a prepared file
// system) writes the journal and tables as mke2fs means them, on a card
// as on a sparse file. tree, when not empty, is copied in (mke2fs -d).
func (t *target) formatPerm(ctx context.Context, tree string) error {
	args := []string{"-q", "-F", "-t", "ext4", "-L", "perm", "-E", "offset=" + strconv.FormatInt(permStart, 10)}
	if tree != "" {
		args = append(args, "-d", tree)
	}
	args = append(args, t.path, strconv.FormatInt(permSize(t.size)>>10, 10)+"k")
	return run(ctx, "mke2fs", args...)
}

// notMounted refuses a card some of whose partitions are mounted (desktops
// mount cards as they are inserted): writing under a mounted file system
// corrupts both.
func notMounted(dev string) error {
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		if src, _, _ := strings.Cut(line, " "); src != "" && strings.HasPrefix(src, dev) {
			return fmt.Errorf("%s is mounted (%s); unmount it first", src, line)
		}
	}
	return nil
}
