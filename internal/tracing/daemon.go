package tracing

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
)

// defaultDaemonAddress is the X-Ray daemon's documented default, used when
// AWS_XRAY_DAEMON_ADDRESS is unset (Lambda always sets it).
const defaultDaemonAddress = "127.0.0.1:2000"

// daemonHeader starts every datagram sent to the X-Ray daemon; the segment
// document follows it.
const daemonHeader = `{"format":"json","version":1}` + "\n"

// daemon sends segment documents to the X-Ray daemon, one UDP datagram
// each. It is safe for concurrent use.
type daemon struct {
	addr   string
	logger *slog.Logger

	dial sync.Once
	conn net.Conn
	err  error
	// failed reports the first error, once: UDP gives no other sign that
	// traces are lost.
	failed sync.Once
}

// send writes seg to the daemon. Sending is best effort, as in every X-Ray
// SDK: tracing never fails the work it traces.
func (d *daemon) send(seg *segment) {
	doc, err := json.Marshal(seg)
	if err != nil {
		d.report(fmt.Errorf("encode segment document: %w", err))
		return
	}
	d.dial.Do(func() { d.conn, d.err = net.Dial("udp", d.addr) })
	if d.err != nil {
		d.report(d.err)
		return
	}
	if _, err := d.conn.Write(append([]byte(daemonHeader), doc...)); err != nil {
		d.report(err)
	}
}

func (d *daemon) report(err error) {
	d.failed.Do(func() {
		if d.logger != nil {
			d.logger.Warn("x-ray segments cannot be sent to the daemon; later failures are not logged",
				"daemon", d.addr, "error", err.Error())
		}
	})
}

// daemonUDPAddress reads an AWS_XRAY_DAEMON_ADDRESS value: host:port, or
// "tcp:host:port udp:host:port" (either order), of which segments use the
// UDP one. Empty is the default address.
func daemonUDPAddress(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultDaemonAddress, nil
	}
	addr := v
	if strings.HasPrefix(v, "udp:") || strings.HasPrefix(v, "tcp:") {
		addr = ""
		for _, f := range strings.Fields(v) {
			if a, ok := strings.CutPrefix(f, "udp:"); ok {
				addr = a
			}
		}
	}
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("AWS_XRAY_DAEMON_ADDRESS=%q: want host:port or \"tcp:host:port udp:host:port\"", v)
	}
	return addr, nil
}
