//go:build unix

package benchrun

import (
	"os"
	"runtime"
	"syscall"
)

// peakRSS returns the peak resident set size in bytes of a process that
// has exited: ru_maxrss of the rusage wait4 returned, which Linux gives in
// KiB and macOS in bytes.
func peakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return -1
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return ru.Maxrss
	}
	return ru.Maxrss * 1024
}
