//go:build unix

package station

import "golang.org/x/sys/unix"

// freeBytes is the space left for an unprivileged user on dir's file system.
func freeBytes(dir string) int64 {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
