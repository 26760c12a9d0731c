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
	// Others are VPC connectors, auto scaling and observability
	// configurations, swept with RESOURCE_TYPES=all when there are any.
	Others []OtherPopulation
}

// OtherPopulation is a population of one other kind: InUse of them each
// used by one service, Free ones by none.
type OtherPopulation struct {
	Kind               string
	Total, InUse, Free int
}

// WithOthers is p with n of each other kind, half of each (rounded down)
// in use by one service each as far as there are services.
func (p Population) WithOthers(n int) Population {
	p.Others = nil
	for _, k := range []string{KindVPCConnector, KindAutoScaling, KindObservability} {
		inUse := min(n/2, p.Services)
		p.Others = append(p.Others, OtherPopulation{Kind: k, Total: n, InUse: inUse, Free: n - inUse})
	}
	return p
}

// other returns the population of kind k (zero if none).
func (p Population) other(k string) OtherPopulation {
	for _, o := range p.Others {
		if o.Kind == k {
			return o
		}
	}
	return OtherPopulation{Kind: k}
}

// leftovers is what the sweep's bound counts of the other kinds. App
// Runner's own auto scaling configuration (DefaultConfiguration, which
// every service without one of its own uses) is listed too: one more to
// list, never free.
func (p Population) leftovers() []Leftovers {
	var out []Leftovers
	for _, o := range p.Others {
		total := o.Total
		if o.Kind == KindAutoScaling {
			total++
		}
		out = append(out, Leftovers{Kind: o.Kind, Total: total, Free: o.Free})
	}
	return out
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
// use none. The other kinds are alike: service j uses VPC connector
// vpc-..2j, auto scaling configuration scale-..2j and observability
// configuration trace-..2j while j is below each kind's InUse. IDs are derived from the indexes, so the listing order is the
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
		if j < p.other(KindVPCConnector).InUse {
			sv.VPCConnectorName = otherName("vpc", 2*j)
		}
		if j < p.other(KindAutoScaling).InUse {
			sv.AutoScalingConfigurationName = otherName("scale", 2*j)
		}
		if j < p.other(KindObservability).InUse {
			sv.ObservabilityConfigurationName = otherName("trace", 2*j)
		}
		r.Services[j] = sv
	}
	for _, o := range p.Others {
		for i := range o.Total {
			id := fmt.Sprintf("%032x", 2<<32+i)
			switch o.Kind {
			case KindVPCConnector:
				r.VPCConnectors = append(r.VPCConnectors, apprunnerlocal.SeedVPCConnector{
					Name: otherName("vpc", i), ID: id, Subnets: []string{"subnet-bench"}, CreatedAgo: seedAge})
			case KindAutoScaling:
				r.AutoScalingConfigurations = append(r.AutoScalingConfigurations, apprunnerlocal.SeedAutoScalingConfiguration{
					Name: otherName("scale", i), ID: id, CreatedAgo: seedAge})
			case KindObservability:
				r.ObservabilityConfigurations = append(r.ObservabilityConfigurations, apprunnerlocal.SeedObservabilityConfiguration{
					Name: otherName("trace", i), ID: id, CreatedAgo: seedAge})
			}
		}
	}
	return &apprunnerlocal.Seed{Accounts: map[string]map[string]apprunnerlocal.SeedRegion{Account: {Region: r}}}
}

func connectionName(i int) string { return fmt.Sprintf("conn-%06d", i) }

func otherName(prefix string, i int) string { return fmt.Sprintf("%s-%06d", prefix, i) }
