package benchrun

import (
	"bufio"
	"os"
	"runtime"
	"strings"
)

// Machine is what the results say about the machine they come from.
type Machine struct {
	CPU      string
	Cores    int
	OS, Arch string
	Go       string
}

// ThisMachine describes the machine the benchmarks run on. The Go version
// is the one that built this program, which go run also uses to build the
// functions.
func ThisMachine() Machine {
	return Machine{CPU: cpuModel(), Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version()}
}

// cpuModel reads the CPU's name from Linux's /proc/cpuinfo: "model name"
// on x86, "Model" or "Hardware" on some ARM systems.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown " + runtime.GOARCH
	}
	defer f.Close()
	found := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if ok && v != "" && found[k] == "" {
			found[k] = v
		}
	}
	for _, k := range []string{"model name", "Model", "Hardware", "cpu model"} {
		if v := found[k]; v != "" {
			return v
		}
	}
	return "unknown " + runtime.GOARCH
}
