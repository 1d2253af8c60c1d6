package testboot

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// RunningPartition returns the number of the partition mounted at root
// ("/"), as sysfs (mounted at sys) tells it. This is what runs, whatever
// the kernel command line says: after gokrazy switched roots, the command
// line still names the previous one.
func RunningPartition(root, sys string) (int, error) {
	var st unix.Stat_t
	if err := unix.Stat(root, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", root, err)
	}
	file := filepath.Join(sys, "dev", "block", fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)), "partition")
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, fmt.Errorf("partition of %s: %w", root, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("partition of %s: %s: %w", root, file, err)
	}
	return n, nil
}
