package lambdarun

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// procNet tells whether this system describes sockets in /proc as Linux
// does. Where it does not, Start trusts a successful connection alone.
var procNet = sync.OnceValue(func() bool {
	_, err := os.Stat("/proc/self/net/tcp")
	return err == nil
})

// listensOn tells whether process pid itself holds a listening TCP socket
// on the port of every one of addrs. known is false where /proc cannot
// tell. A process that is gone holds nothing.
func listensOn(pid int, addrs ...string) (owned, known bool) {
	if !procNet() {
		return false, false
	}
	want := map[int]bool{}
	for _, a := range addrs {
		_, p, err := net.SplitHostPort(a)
		if err != nil {
			return false, true
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return false, true
		}
		want[n] = true
	}
	// Listening sockets of the process's network namespace, by inode.
	listening := map[string]int{}
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fs := strings.Fields(line)
			if len(fs) < 10 || fs[3] != "0A" { // 0A: TCP_LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fs[1], ":")
			if !ok {
				continue
			}
			port, err := strconv.ParseInt(hexPort, 16, 32)
			if err != nil || !want[int(port)] {
				continue
			}
			listening[fs[9]] = int(port)
		}
	}
	if len(listening) < len(want) {
		return false, true
	}
	// Which of them are the process's own: its descriptors name the
	// sockets' inodes.
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false, true
	}
	held := map[int]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err != nil {
			continue
		}
		inode, ok := strings.CutPrefix(link, "socket:[")
		if !ok {
			continue
		}
		if port, ok := listening[strings.TrimSuffix(inode, "]")]; ok {
			held[port] = true
		}
	}
	return len(held) == len(want), true
}
