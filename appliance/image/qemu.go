package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Forward is one TCP port forwarded from 127.0.0.1 on this machine to the
// virtual machine.
type Forward struct{ Host, Guest int }

// VMConfig says how to boot an image under QEMU.
type VMConfig struct {
	// Image is the raw disk image, as Build writes it.
	Image string
	// Machine is VM (QEMU's virt machine with gokrazy's arm64 kernel) or
	// Pi (QEMU's raspi3b with the Pi kernel and the Pi 3's device tree;
	// the image must be a power of two in size, which 2 GiB is).
	Machine string
	// Forwards are the only way in: the guest's network is QEMU user
	// networking with restrict=on, so nothing in it reaches out.
	Forwards []Forward
	// Console receives the serial console; Stdin feeds it (nil: nothing).
	Console io.Writer
	Stdin   io.Reader
	// ExtraCmdline is appended to the kernel command line.
	ExtraCmdline string
	// CPUs and MemoryMiB of the virt machine (default 2 and 1024).
	CPUs, MemoryMiB int
}

// raspi3bCmdline is what the Pi kernel needs to get as far as it can under
// QEMU's raspi3b.
const raspi3bCmdline = "earlycon=pl011,0x3f201000 keep_bootcon initcall_blacklist=vchiq_driver_init,bcm2835_wdt_driver_init"

// Guest is a running QEMU.
type Guest struct {
	cmd     *exec.Cmd
	dir     string
	started time.Time
	done    chan struct{}
	err     error
	// Cmdline is the kernel command line it booted with.
	Cmdline string
}

// Boot boots cfg.Image with the kernel and command line read from the
// image's own boot partition, as a Pi's firmware would: a root switched by
// an update (cmdline.txt rewritten by gokrazy) is the root booted next.
// QEMU exits when the guest reboots (-no-reboot); start it again to go on.
func Boot(ctx context.Context, cfg VMConfig) (*Guest, error) {
	if _, err := exec.LookPath("qemu-system-aarch64"); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "coopbox-vm-")
	if err != nil {
		return nil, err
	}
	part := cfg.Image + "@@" + fmt.Sprint(bootStart)
	kernel := filepath.Join(dir, "vmlinuz")
	if err := run(ctx, "mcopy", "-o", "-i", part, "::vmlinuz", kernel); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	line, err := output(ctx, "mtype", "-i", part, "::cmdline.txt")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmdline := strings.Join(strings.Fields(string(line)), " ")
	if cfg.ExtraCmdline != "" {
		cmdline += " " + cfg.ExtraCmdline
	}
	var hostfwd []string
	for _, f := range cfg.Forwards {
		hostfwd = append(hostfwd, fmt.Sprintf("hostfwd=tcp:127.0.0.1:%d-:%d", f.Host, f.Guest))
	}
	netdev := strings.Join(append([]string{"user", "id=n0", "restrict=on"}, hostfwd...), ",")
	cpus, mem := cfg.CPUs, cfg.MemoryMiB
	if cpus == 0 {
		cpus = 2
	}
	if mem == 0 {
		mem = 1024
	}
	var args []string
	switch cfg.Machine {
	case VM, "":
		args = []string{
			"-M", "virt", "-cpu", "cortex-a53", "-smp", fmt.Sprint(cpus), "-m", fmt.Sprint(mem), "-nodefaults",
			"-kernel", kernel, "-append", cmdline,
			"-drive", "file=" + cfg.Image + ",format=raw,if=none,id=d0",
			"-device", "virtio-blk-device,drive=d0",
			"-netdev", netdev, "-device", "virtio-net-device,netdev=n0",
			"-device", "virtio-rng-device",
		}
	case Pi:
		// raspi3b: a Pi 3 with 1 GiB, the card as SD, network on USB (the
		// Pi 3's own ethernet chip is not modelled: the guest sees usb0).
		// QEMU lacks the VideoCore, whose driver then oopses, and the
		// watchdog, which resets the machine: both stay off. The Pi device
		// tree gives the PL011 to Bluetooth, so the kernel speaks on it
		// through earlycon only.
		dtb := filepath.Join(dir, "pi3.dtb")
		if err := run(ctx, "mcopy", "-o", "-i", part, "::bcm2710-rpi-3-b.dtb", dtb); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		cmdline += " " + raspi3bCmdline
		args = []string{
			"-M", "raspi3b", "-kernel", kernel, "-dtb", dtb, "-append", cmdline,
			"-drive", "file=" + cfg.Image + ",format=raw,if=sd",
			"-netdev", netdev, "-device", "usb-net,netdev=n0",
		}
	default:
		os.RemoveAll(dir)
		return nil, fmt.Errorf("unknown machine %q", cfg.Machine)
	}
	args = append(args, "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot")
	cmd := exec.Command("qemu-system-aarch64", args...)
	cmd.Stdout = cfg.Console
	cmd.Stderr = cfg.Console
	cmd.Stdin = cfg.Stdin
	v := &Guest{cmd: cmd, dir: dir, done: make(chan struct{}), Cmdline: cmdline}
	v.started = time.Now()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() {
		v.err = cmd.Wait()
		os.RemoveAll(dir)
		close(v.done)
	}()
	go func() {
		select {
		case <-ctx.Done():
			v.Kill()
		case <-v.done:
		}
	}()
	return v, nil
}

// Started is when QEMU was started.
func (v *Guest) Started() time.Time { return v.started }

// Done is closed when QEMU has exited.
func (v *Guest) Done() <-chan struct{} { return v.done }

// Wait waits for QEMU to exit.
func (v *Guest) Wait() error {
	<-v.done
	return v.err
}

// Kill cuts the power: QEMU is killed with SIGKILL, the guest gets no
// chance to write anything more.
func (v *Guest) Kill() {
	if v.cmd.Process != nil {
		v.cmd.Process.Kill()
	}
	<-v.done
}

// Args are QEMU's arguments, for the log.
func (v *Guest) Args() []string { return v.cmd.Args }
