package image

import (
	"compress/gzip"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// Machines the builder knows.
const (
	// Pi is the Raspberry Pi 3B+, 4, 5 and Zero 2 W: the config's kernel
	// and firmware, booted by the Pi's firmware from the FAT partition.
	Pi = "pi"
	// VM is QEMU's arm64 virt machine: gokrazy's upstream arm64 kernel,
	// no firmware, booted with QEMU's direct kernel boot.
	VM = "vm"
)

// vmKernel is the kernel of VM images.
const vmKernel = "github.com/gokrazy/kernel.arm64"

// Options say what to build and where.
type Options struct {
	Config *Config
	// ModuleDir is the folder of coopbox's go.mod.
	ModuleDir string
	// Machine is Pi or VM.
	Machine string
	// Output is the image file to create, or a card's block device,
	// written over its whole size.
	Output string
	// Size of an image file, in bytes.
	Size int64
	// Compress also writes Output + ".gz".
	Compress bool
	// Password is gokrazy's web password (user gokrazy).
	Password string
	// Version is stamped into the programs (main.version).
	Version string
	// Progress receives the progress display; nil for none.
	Progress io.Writer
}

// Summary tells what was built.
type Summary struct {
	Output    string
	Machine   string
	DiskID    uint32
	Cmdline   string
	Parts     []Part
	Size      int64 // the image's size
	Allocated int64 // bytes it takes on this machine's disk (sparse file)
	// Compressed is the path and size of the compressed copy, if any.
	Compressed     string
	CompressedSize int64
	Took           time.Duration
}

// Part is one partition in the summary.
type Part struct {
	Name, FS string
	Start    int64
	Size     int64 // partition size
	Used     int64 // bytes of content
}

// parts are the built file systems, before they go onto a disk.
type parts struct {
	work               string // temporary folder holding them
	boot, root         string // boot.fat, root.squashfs
	bootUsed, rootUsed int64
	diskID             uint32
	cmdline            string
	stamp              string // build timestamp, as gokrazy's status shows it
	start              time.Time
	p                  *progress
}

func (pt *parts) Close() error { return os.RemoveAll(pt.work) }

// DiskID is the disk signature of a box called hostname. Like gokrazy's
// packer, it is derived from the name, so that a new boot partition sent
// by an update names the same root=PARTUUID=… as the card it replaces.
func DiskID(hostname string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(hostname))
	return h.Sum32()
}

// buildParts compiles the programs and makes the boot and root file systems.
// extraCmdline is added to the kernel command line in cmdline.txt.
func buildParts(ctx context.Context, o Options, extraCmdline string) (_ *parts, err error) {
	start := time.Now()
	p := newProgress(o.Progress)
	c := *o.Config
	console := c.Console()
	kernelMod, firmwareMod := c.Kernel(), c.Firmware()
	switch o.Machine {
	case Pi:
	case VM:
		kernelMod, firmwareMod = vmKernel, ""
		if console != "" {
			console = "ttyAMA0,115200"
		}
	default:
		return nil, fmt.Errorf("unknown machine %q: want %s or %s", o.Machine, Pi, VM)
	}
	if o.Password == "" {
		return nil, fmt.Errorf("no gokrazy password")
	}
	work, err := os.MkdirTemp("", "coopbox-image-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(work)
		}
	}()

	dirs, err := moduleDirs(ctx, o.ModuleDir, kernelMod, firmwareMod)
	if err != nil {
		return nil, err
	}
	kernelDir := dirs[kernelMod]
	p.done("kernel %s, firmware %s", filepath.Base(kernelDir), orNone(filepath.Base(dirs[firmwareMod])))

	root := filepath.Join(work, "root")
	stamp := time.Now().UTC().Format(time.RFC3339)
	ldflags := fmt.Sprintf("-X main.version=%s -X main.buildTime=%s -X main.buildTimestamp=%s", o.Version, stamp, stamp)
	if err := compile(ctx, o.ModuleDir, root, &c, programs(&c), ldflags, p); err != nil {
		return nil, err
	}
	if err := rootTree(root, &c, o.Password, kernelDir); err != nil {
		return nil, err
	}
	sqfs := filepath.Join(work, "root.squashfs")
	p.status("mksquashfs")
	rootUsed, err := squashfs(ctx, root, sqfs)
	if err != nil {
		return nil, err
	}
	p.done("root file system: squashfs of %s", human(rootUsed))

	diskID := DiskID(c.Hostname)
	kcmd, err := os.ReadFile(filepath.Join(kernelDir, "cmdline.txt"))
	if err != nil {
		return nil, err
	}
	line := cmdline(kcmd, console, diskID)
	if extraCmdline != "" {
		line += " " + extraCmdline
	}
	configTxt := ""
	if o.Machine == Pi {
		b, err := os.ReadFile(filepath.Join(kernelDir, "config.txt"))
		if err != nil {
			return nil, err
		}
		configTxt = string(b)
		if console != "" {
			configTxt = strings.ReplaceAll(configTxt, "enable_uart=0", "enable_uart=1")
		}
		configTxt += "\n" + strings.Join(c.BootloaderExtraLines, "\n")
	}
	files, err := bootFiles(kernelDir, dirs[firmwareMod])
	if err != nil {
		return nil, err
	}
	bootImg := filepath.Join(work, "boot.fat")
	p.status("boot partition")
	bootUsed, err := fat(ctx, bootImg, diskID, line, configTxt, files)
	if err != nil {
		return nil, err
	}
	p.done("boot partition: FAT16, %d files and folders, %s", len(files)+2, human(bootUsed))

	return &parts{work: work, boot: bootImg, root: sqfs, bootUsed: bootUsed, rootUsed: rootUsed,
		diskID: diskID, cmdline: line, stamp: stamp, start: start, p: p}, nil
}

// Build builds the image.
func Build(ctx context.Context, o Options) (*Summary, error) {
	pt, err := buildParts(ctx, o, "")
	if err != nil {
		return nil, err
	}
	defer pt.Close()
	p, start, diskID, line := pt.p, pt.start, pt.diskID, pt.cmdline
	bootImg, sqfs, bootUsed, rootUsed := pt.boot, pt.root, pt.bootUsed, pt.rootUsed
	permTree := filepath.Join(pt.work, "perm")
	t, err := openTarget(o.Output, o.Size)
	if err != nil {
		return nil, err
	}
	defer t.f.Close()
	if _, err := t.f.WriteAt(mbr(diskID, t.size), 0); err != nil {
		return nil, err
	}
	if err := t.writePart(bootImg, bootStart, "boot partition", p); err != nil {
		return nil, err
	}
	if err := t.writePart(sqfs, root2, "root A", p); err != nil {
		return nil, err
	}
	if err := t.f.Sync(); err != nil {
		return nil, err
	}
	p.status("mke2fs /perm")
	if err := os.MkdirAll(filepath.Join(permTree, "coopbox"), 0o700); err != nil {
		return nil, err
	}
	if err := t.formatPerm(ctx, permTree); err != nil {
		return nil, err
	}
	if err := t.f.Close(); err != nil {
		return nil, err
	}
	p.done("wrote %s (%s)", o.Output, human(t.size))

	s := &Summary{
		Output: o.Output, Machine: o.Machine, DiskID: diskID, Cmdline: line, Size: t.size,
		Parts: []Part{
			{"boot", "FAT16", bootStart, BootSize, bootUsed},
			{"root A", "squashfs", root2, RootSize, rootUsed},
			{"root B", "(for updates)", root3, RootSize, 0},
			{"perm", "ext4", permStart, permSize(t.size), 0},
		},
	}
	if st, err := os.Stat(o.Output); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && !t.device {
			s.Allocated = sys.Blocks * 512
		}
	}
	if o.Compress && !t.device {
		s.Compressed = o.Output + ".gz"
		if s.CompressedSize, err = compress(s.Compressed, o.Output, p); err != nil {
			return nil, err
		}
		p.done("compressed copy %s: %s", s.Compressed, human(s.CompressedSize))
	}
	s.Took = time.Since(start)
	return s, nil
}

// compress writes a gzip copy of src, which Raspberry Pi Imager and
// balenaEtcher flash as it is.
func compress(dst, src string, p *progress) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return 0, err
	}
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	zw, err := gzip.NewWriterLevel(out, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	zw.Name = filepath.Base(src)
	if _, err := io.Copy(io.MultiWriter(zw, p.counter("compress", st.Size())), in); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// WriteTo prints the summary as a table.
func (s *Summary) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s image %s: %s", s.Machine, s.Output, human(s.Size))
	if s.Allocated > 0 {
		fmt.Fprintf(&b, " (%s allocated, sparse)", human(s.Allocated))
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "part\tfile system\tstart\tsize\tcontent")
	for _, pt := range s.Parts {
		used := "-"
		if pt.Used > 0 {
			used = fmt.Sprintf("%s (%.0f%%)", human(pt.Used), 100*float64(pt.Used)/float64(pt.Size))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", pt.Name, pt.FS, human(pt.Start), human(pt.Size), used)
	}
	tw.Flush()
	if s.Compressed != "" {
		fmt.Fprintf(&b, "compressed: %s, %s\n", s.Compressed, human(s.CompressedSize))
	}
	fmt.Fprintf(&b, "cmdline.txt: %s\nbuilt in %s\n", s.Cmdline, s.Took.Round(time.Second))
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func orNone(s string) string {
	if s == "" || s == "." {
		return "none"
	}
	return s
}
