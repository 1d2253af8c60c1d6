// Package image builds coopbox's appliance: a disk image in gokrazy's layout
// that boots a Raspberry Pi (3B+, 4, 5, Zero 2 W) or a QEMU arm64 virtual
// machine straight into coopbox. gokrazy's own packer is not available to us
// (the module proxy refuses it), so this package assembles the image from
// what is: the Go toolchain, the gokrazy modules pinned in go.mod (init,
// system programs, kernels, firmware) and Debian's file system tools.
//
// The image, as gokrazy lays it out and as its init expects it:
//
//	MBR        disk signature at byte 440: root=PARTUUID=<sig>-02
//	part 1     4 MiB, 100 MiB, FAT16 with a single FAT copy (mkfs.fat -F 16 -f 1,
//	           filled with mtools): firmware, kernel, device trees, overlays/,
//	           config.txt and cmdline.txt (padded with spaces, because gokrazy
//	           rewrites it in place to switch roots on update)
//	part 2     root A, 500 MiB, squashfs (mksquashfs): /gokrazy/init and the
//	           system programs, /user/coopbox, /etc (hostname, gokrazy
//	           password and port files, services.json, CA bundle), /lib/modules
//	part 3     root B, 500 MiB, written by updates (an update goes to the root
//	           not in use, and is tried once before it is kept)
//	part 4     /perm, ext4 (mke2fs), the rest of the disk; gokrazy never
//	           formats it, so the image does; coopbox keeps /perm/coopbox there
//
// Files:
//
//	config.go    gokr-packer.json: gokrazy's instance config.json format
//	build.go     compiling the programs for linux/arm64, finding module folders
//	rootfs.go    the root file system tree and its squashfs
//	boot.go      the boot partition: firmware, kernel, cmdline.txt, config.txt
//	disk.go      the partition table, /perm, writing to a file or a card
//	image.go     Build: the whole image, its summary and compressed copy
//	progress.go  the progress display
//	qemu.go      booting an image under QEMU (virt, and raspi3b as far as it goes)
//	update.go    updating a running box through gokrazy's update endpoints,
//	             as a test boot that the box keeps or rolls back by itself
//
// services/ is the list of supervised programs, shared with cmd/coopbox-init;
// testboot/ is how the box decides whether an update stays, also used there.
package image
