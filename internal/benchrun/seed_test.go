package benchrun

import (
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

func TestSeedUsesHalfTheConnections(t *testing.T) {
	for _, tt := range []struct{ c, s, inUse int }{{10, 30, 5}, {11, 30, 5}, {10, 3, 3}, {0, 5, 0}, {4, 0, 0}} {
		p := NewPopulation(tt.c, tt.s)
		if p.InUse != tt.inUse || p.Free != tt.c-tt.inUse {
			t.Errorf("NewPopulation(%d, %d) = %+v, want %d in use", tt.c, tt.s, p, tt.inUse)
		}
		emu := apprunnerlocal.New(apprunnerlocal.Options{})
		if err := emu.Load(Seed(p)); err != nil {
			t.Fatal(err)
		}
		conns := emu.Connections(Account, Region)
		services := emu.Services(Account, Region)
		if len(conns) != tt.c || len(services) != tt.s {
			t.Fatalf("loaded %d connections and %d services, want %d and %d", len(conns), len(services), tt.c, tt.s)
		}
		used := map[string]int{}
		for _, sv := range services {
			if sv.Status != apprunnerlocal.ServiceRunning {
				t.Errorf("service %s is %s", sv.Name, sv.Status)
			}
			if sv.ConnectionARN != "" {
				used[sv.ConnectionARN]++
			}
		}
		if len(used) != p.InUse {
			t.Errorf("%d connections in use, want %d", len(used), p.InUse)
		}
		for arn, n := range used {
			if n != 1 {
				t.Errorf("%s used by %d services", arn, n)
			}
		}
	}
}
