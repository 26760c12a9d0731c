package benchrun

import (
	"fmt"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

// Where the seeded resources live: the emulator's default account, so
// that any access key reaches them.
const (
	Account = apprunnerlocal.DefaultAccount
	Region  = "us-east-1"
)

// seedAge is how long ago every seeded resource was created: older than
// the function's default minimum age (24h), so that no connection is
// too_young and every free one is a candidate.
const seedAge = 48 * time.Hour

// Population is what a seed holds and what a dry-run sweep of it decides.
type Population struct {
	Connections, Services int
	// InUse connections are each used by one service; Free ones by none.
	InUse, Free int
}

// NewPopulation is the population of Seed: half the connections
// (rounded down) in use, each by one service, as far as there are
// services; the rest free.
func NewPopulation(connections, services int) Population {
	inUse := min(connections/2, services)
	return Population{Connections: connections, Services: services, InUse: inUse, Free: connections - inUse}
}

// Seed returns p as an emulator seed in Account and Region: connections
// conn-000000.. and services svc-000000.., all created two days ago,
// AVAILABLE and RUNNING. Service j < p.InUse uses connection 2j, so that
// every other connection is in use; the other services deploy an image and
// use none. IDs are derived from the indexes, so the listing order is the
// same in every run.
func Seed(p Population) *apprunnerlocal.Seed {
	r := apprunnerlocal.SeedRegion{
		Connections: make([]apprunnerlocal.SeedConnection, p.Connections),
		Services:    make([]apprunnerlocal.SeedService, p.Services),
	}
	for i := range r.Connections {
		r.Connections[i] = apprunnerlocal.SeedConnection{
			Name: connectionName(i), ID: fmt.Sprintf("%032x", i), CreatedAgo: seedAge,
		}
	}
	for j := range r.Services {
		sv := apprunnerlocal.SeedService{
			Name: fmt.Sprintf("svc-%06d", j), ID: fmt.Sprintf("%032x", 1<<32+j), CreatedAgo: seedAge,
		}
		if j < p.InUse {
			sv.ConnectionName = connectionName(2 * j)
		}
		r.Services[j] = sv
	}
	return &apprunnerlocal.Seed{Accounts: map[string]map[string]apprunnerlocal.SeedRegion{Account: {Region: r}}}
}

func connectionName(i int) string { return fmt.Sprintf("conn-%06d", i) }
