//go:build !unix

package benchrun

import "os"

// peakRSS is unknown where the system has no rusage.
func peakRSS(*os.ProcessState) int64 { return -1 }
