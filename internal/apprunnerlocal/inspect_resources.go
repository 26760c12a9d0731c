package apprunnerlocal

import (
	"maps"
	"time"
)

// ResourceState is a VPC connector, an auto scaling configuration or an
// observability configuration as the store holds it, for assertions.
type ResourceState struct {
	ARN, Name, ID   string
	Account, Region string
	Revision        int
	Status          string // ACTIVE or INACTIVE
	CreatedAt       time.Time
	DeletedAt       time.Time // zero unless Status is INACTIVE
	Tags            map[string]string
	// IsDefault tells the auto scaling configuration that new services of
	// its account and region get; false for the other kinds.
	IsDefault bool
}

func (st *store) state(r *resource) ResourceState {
	return ResourceState{
		ARN: r.arn, Name: r.name, ID: r.id, Account: r.account, Region: r.region,
		Revision: r.revision, Status: r.status, CreatedAt: r.createdAt, DeletedAt: r.deletedAt,
		Tags: maps.Clone(r.tags), IsDefault: st.isDefault(r),
	}
}

// VPCConnector returns the VPC connector with this ARN, INACTIVE ones
// included.
func (s *Server) VPCConnector(arn string) (ResourceState, bool) {
	return s.resourceState(kindVPCConnector, arn)
}

// AutoScalingConfiguration returns the auto scaling configuration revision
// with this ARN, INACTIVE ones included.
func (s *Server) AutoScalingConfiguration(arn string) (ResourceState, bool) {
	return s.resourceState(kindAutoScaling, arn)
}

// ObservabilityConfiguration returns the observability configuration
// revision with this ARN, INACTIVE ones included.
func (s *Server) ObservabilityConfiguration(arn string) (ResourceState, bool) {
	return s.resourceState(kindObservability, arn)
}

func (s *Server) resourceState(kind, arn string) (ResourceState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.resources[arn]
	if r == nil || r.kind != kind {
		return ResourceState{}, false
	}
	return s.st.state(r), true
}

// VPCConnectors returns every VPC connector of an account and region,
// INACTIVE ones included, in list order.
func (s *Server) VPCConnectors(account, region string) []ResourceState {
	return s.resourceStates(kindVPCConnector, account, region)
}

// AutoScalingConfigurations returns every auto scaling configuration
// revision of an account and region, INACTIVE ones and App Runner's own
// DefaultConfiguration included, in list order.
func (s *Server) AutoScalingConfigurations(account, region string) []ResourceState {
	return s.resourceStates(kindAutoScaling, account, region)
}

// ObservabilityConfigurations returns every observability configuration
// revision of an account and region, INACTIVE ones included, in list
// order.
func (s *Server) ObservabilityConfigurations(account, region string) []ResourceState {
	return s.resourceStates(kindObservability, account, region)
}

func (s *Server) resourceStates(kind, account, region string) []ResourceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := scope{account: account, region: region}
	if kind == kindAutoScaling {
		s.st.region(sc)
	}
	rs := s.st.resourcesOf(sc, kind)
	out := make([]ResourceState, 0, len(rs))
	for _, r := range rs {
		out = append(out, s.st.state(r))
	}
	return out
}
