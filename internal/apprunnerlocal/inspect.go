package apprunnerlocal

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"
)

// What tests may look at inside a running emulator, through Go or over
// HTTP. None of it is part of App Runner's API.

// Stats counts calls per operation, and per operation and outcome ("ok" or
// an error code such as "ThrottlingException").
type Stats struct {
	Calls    map[string]int            `json:"calls"`
	Outcomes map[string]map[string]int `json:"outcomes"`
}

// Total returns the number of calls of all operations.
func (st Stats) Total() int {
	n := 0
	for _, c := range st.Calls {
		n += c
	}
	return n
}

func emptyStats() Stats {
	return Stats{Calls: map[string]int{}, Outcomes: map[string]map[string]int{}}
}

// Stats returns a copy of the call counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := emptyStats()
	maps.Copy(out.Calls, s.stats.Calls)
	for op, m := range s.stats.Outcomes {
		out.Outcomes[op] = maps.Clone(m)
	}
	return out
}

// ResetStats zeroes the call counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = emptyStats()
}

// serveStats answers GET /_local/stats with Stats as JSON.
func (s *Server) serveStats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.Stats())
}

// UnsafeDeletion records a resource deleted while services referenced it,
// which only Options.DisableInUseGuard allows: a connection, a VPC
// connector, or a revision of an auto scaling or observability
// configuration (DeleteAllRevisions records each revision in use).
type UnsafeDeletion struct {
	// ConnectionARN is the connection deleted; empty when the resource is
	// of another kind.
	ConnectionARN string
	// ResourceARN is the resource deleted, whatever its kind (for a
	// connection, ConnectionARN again).
	ResourceARN string
	// ServiceARNs are the services not DELETED that used it.
	ServiceARNs []string
	At          time.Time
}

// UnsafeDeletions returns every unsafe deletion so far, oldest first.
func (s *Server) UnsafeDeletions() []UnsafeDeletion {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]UnsafeDeletion, len(s.st.unsafe))
	for i, u := range s.st.unsafe {
		u.ServiceARNs = slices.Clone(u.ServiceARNs)
		out[i] = u
	}
	return out
}

// ConnectionState is a connection as the store holds it, for assertions.
type ConnectionState struct {
	ARN, Name, ID   string
	Account, Region string
	ProviderType    string
	Status          string
	CreatedAt       time.Time
	DeletedAt       time.Time // zero unless Status is DELETED
	Tags            map[string]string
}

func (c *connection) state() ConnectionState {
	return ConnectionState{
		ARN: c.arn, Name: c.name, ID: c.id, Account: c.account, Region: c.region,
		ProviderType: c.provider, Status: c.status, CreatedAt: c.createdAt, DeletedAt: c.deletedAt,
		Tags: maps.Clone(c.tags),
	}
}

// Connection returns the connection with this ARN, deleted ones included.
func (s *Server) Connection(arn string) (ConnectionState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.conns[arn]
	if c == nil {
		return ConnectionState{}, false
	}
	return c.state(), true
}

// Connections returns the connections of an account and region that are
// not deleted, in list order.
func (s *Server) Connections(account, region string) []ConnectionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := s.st.scopes[scope{account: account, region: region}].connsOrNil()
	out := make([]ConnectionState, 0, len(conns))
	for _, c := range conns {
		out = append(out, c.state())
	}
	return out
}

// ServiceState is a service as the store holds it, for assertions.
type ServiceState struct {
	ARN, Name, ID   string
	Account, Region string
	Status          string
	ConnectionARN   string // empty when the source needs no connection
	// VPCConnectorARN is empty when the service's egress is DEFAULT, and
	// ObservabilityConfigurationARN when observability is off;
	// AutoScalingConfigurationARN is always set.
	VPCConnectorARN               string
	AutoScalingConfigurationARN   string
	ObservabilityConfigurationARN string
	CreatedAt                     time.Time
	DeletedAt                     time.Time
	Tags                          map[string]string
}

func (sv *service) state() ServiceState {
	return ServiceState{
		ARN: sv.arn, Name: sv.name, ID: sv.id, Account: sv.account, Region: sv.region,
		Status: sv.status, ConnectionARN: sv.connectionARN(), VPCConnectorARN: sv.vpcConnectorARN(),
		AutoScalingConfigurationARN: sv.cfg.AutoScalingARN, ObservabilityConfigurationARN: sv.observabilityARN(),
		CreatedAt: sv.createdAt,
		DeletedAt: sv.deletedAt, Tags: maps.Clone(sv.tags),
	}
}

// Service returns the service with this ARN, DELETED ones included.
func (s *Server) Service(arn string) (ServiceState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.st.services[arn]
	if sv == nil {
		return ServiceState{}, false
	}
	sv.settle(s.now())
	return sv.state(), true
}

// Services returns the services of an account and region that are not
// DELETED, in list order.
func (s *Server) Services(account, region string) []ServiceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []ServiceState
	for _, sv := range s.st.scopes[scope{account: account, region: region}].servicesOrNil() {
		sv.settle(now)
		if sv.status != ServiceDeleted {
			out = append(out, sv.state())
		}
	}
	return out
}
