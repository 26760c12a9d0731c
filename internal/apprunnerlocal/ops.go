package apprunnerlocal

import (
	"maps"
	"strings"
	"time"
)

// handler runs one operation for an authenticated caller.
type handler func(s *Server, c caller, body []byte) (any, *apiError)

// handlerFor returns the implementation of an X-Amz-Target operation name.
func handlerFor(op string) (handler, bool) {
	h, ok := appRunnerHandlers[op]
	return h, ok
}

// appRunnerHandlers are the App Runner operations the emulator serves, by
// their X-Amz-Target name (after "AppRunner.").
var appRunnerHandlers = map[string]handler{
	"CreateConnection":    operation((*Server).createConnection),
	"ListConnections":     operation((*Server).listConnections),
	"DeleteConnection":    operation((*Server).deleteConnection),
	"CreateService":       operation((*Server).createService),
	"DescribeService":     operation((*Server).describeService),
	"ListServices":        operation((*Server).listServices),
	"DeleteService":       operation((*Server).deleteService),
	"UpdateService":       operation((*Server).updateService),
	"PauseService":        operation((*Server).pauseService),
	"ResumeService":       operation((*Server).resumeService),
	"TagResource":         operation((*Server).tagResource),
	"UntagResource":       operation((*Server).untagResource),
	"ListTagsForResource": operation((*Server).listTagsForResource),

	"CreateVpcConnector":   operation((*Server).createVpcConnector),
	"DescribeVpcConnector": operation((*Server).describeVpcConnector),
	"ListVpcConnectors":    operation((*Server).listVpcConnectors),
	"DeleteVpcConnector":   operation((*Server).deleteVpcConnector),

	"CreateAutoScalingConfiguration":          operation((*Server).createAutoScalingConfiguration),
	"DescribeAutoScalingConfiguration":        operation((*Server).describeAutoScalingConfiguration),
	"ListAutoScalingConfigurations":           operation((*Server).listAutoScalingConfigurations),
	"DeleteAutoScalingConfiguration":          operation((*Server).deleteAutoScalingConfiguration),
	"ListServicesForAutoScalingConfiguration": operation((*Server).listServicesForAutoScalingConfiguration),
	"UpdateDefaultAutoScalingConfiguration":   operation((*Server).updateDefaultAutoScalingConfiguration),

	"CreateObservabilityConfiguration":   operation((*Server).createObservabilityConfiguration),
	"DescribeObservabilityConfiguration": operation((*Server).describeObservabilityConfiguration),
	"ListObservabilityConfigurations":    operation((*Server).listObservabilityConfigurations),
	"DeleteObservabilityConfiguration":   operation((*Server).deleteObservabilityConfiguration),
}

// operation makes a handler of run, which receives its input decoded and
// valid and runs under s.mu: every operation sees the store as a whole and
// leaves it so, and the lock is taken and released here only.
func operation[T any, PT input[T]](run func(*Server, caller, PT) (any, *apiError)) handler {
	return func(s *Server, c caller, body []byte) (any, *apiError) {
		in, err := decodeInput[T, PT](body)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return run(s, c, in)
	}
}

// defaultPageSize is used when MaxResults is omitted.
const defaultPageSize = 20

func (c caller) scope() scope { return scope{account: c.account, region: c.region} }

func (s *Server) createConnection(c caller, in *createConnectionInput) (any, *apiError) {
	sc := c.scope()
	if s.st.liveConnectionByName(sc, *in.ConnectionName) != nil {
		return nil, errInvalid("a connection named %s already exists in this account and region", *in.ConnectionName)
	}
	id := randomHex(32)
	conn := &connection{
		scope: sc, arn: connectionARN(sc, *in.ConnectionName, id), name: *in.ConnectionName, id: id,
		provider: *in.ProviderType, status: ConnectionPendingHandshake, createdAt: s.stamp(),
		tags: tagMap(in.Tags),
	}
	s.st.addConnection(conn)
	return map[string]any{"Connection": conn.wire()}, nil
}

func tagMap(tags []wireTag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		val := ""
		if t.Value != nil {
			val = *t.Value
		}
		m[*t.Key] = val
	}
	return m
}

func (s *Server) listConnections(c caller, in *listConnectionsInput) (any, *apiError) {
	filter := ""
	if in.ConnectionName != nil {
		filter = *in.ConnectionName
	}
	want := pageToken{Op: "ListConnections", Account: c.account, Region: c.region, Filter: filter}
	cursor, limit, err := pageRequest(want, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	conns := s.st.scopes[c.scope()].connsOrNil()
	items, next := page(conns, cursor, limit, false, func(conn *connection) bool {
		return filter == "" || conn.name == filter
	})
	out := struct {
		ConnectionSummaryList []wireConnection
		NextToken             *string `json:",omitempty"`
	}{ConnectionSummaryList: make([]wireConnection, 0, len(items))}
	for _, conn := range items {
		out.ConnectionSummaryList = append(out.ConnectionSummaryList, conn.wire())
	}
	out.NextToken = tokenFor(want, next)
	return out, nil
}

// pageRequest reads the paging members of a list request: the cursor its
// NextToken carries (nil for the first page) and the page size.
func pageRequest(want pageToken, nextToken *string, maxResults *int32) (*sortKey, int, *apiError) {
	limit := defaultPageSize
	if maxResults != nil {
		limit = int(*maxResults)
	}
	// ListServices' model allows an empty NextToken, which asks for the
	// first page; ListConnections' does not, and validation refused it.
	if nextToken == nil || *nextToken == "" {
		return nil, limit, nil
	}
	k, err := decodeToken(*nextToken, want)
	if err != nil {
		return nil, 0, err
	}
	return &k, limit, nil
}

func tokenFor(t pageToken, next *sortKey) *string {
	if next == nil {
		return nil
	}
	t.Nanos = next.createdAt.UnixNano()
	t.ARN = next.arn
	return ptr(encodeToken(t))
}

// page returns up to limit items after cursor for which include holds, and
// the cursor of the next page (nil on the last page). With raw, the page is
// cut from all items before include filters it, so it can come out short or
// empty while more pages follow: the real ListServices behaves so.
func page[T interface{ key() sortKey }](items []T, cursor *sortKey, limit int, raw bool, include func(T) bool) ([]T, *sortKey) {
	i := 0
	if cursor != nil {
		i = after(items, *cursor)
	}
	var out []T
	if raw {
		end := min(i+limit, len(items))
		for _, it := range items[i:end] {
			if include(it) {
				out = append(out, it)
			}
		}
		if end < len(items) {
			k := items[end-1].key()
			return out, &k
		}
		return out, nil
	}
	for ; i < len(items); i++ {
		if !include(items[i]) {
			continue
		}
		if len(out) == limit {
			k := out[len(out)-1].key()
			return out, &k
		}
		out = append(out, items[i])
	}
	return out, nil
}

func (s *Server) deleteConnection(c caller, in *deleteConnectionInput) (any, *apiError) {
	conn := s.st.conns[*in.ConnectionArn]
	if conn == nil || conn.scope != c.scope() || conn.status == ConnectionDeleted {
		return nil, errNotFound("connection %s not found", *in.ConnectionArn)
	}
	users := s.st.usersOf(conn, s.now())
	if len(users) > 0 && !s.opts.DisableInUseGuard {
		what, advice := "service", "delete the service or change its source first"
		if len(users) > 1 {
			what, advice = "services", "delete the services or change their sources first"
		}
		return nil, errInvalid("cannot delete connection %s: connection %s is used by %s %s; %s",
			conn.name, conn.arn, what, strings.Join(users, ", "), advice)
	}
	// Stamped only once the deletion is sure: a refused call changes
	// nothing, so it records no time.
	at := s.stamp()
	if len(users) > 0 {
		s.st.unsafe = append(s.st.unsafe, UnsafeDeletion{ConnectionARN: conn.arn, ResourceARN: conn.arn, ServiceARNs: users, At: at})
	}
	s.st.deleteConnection(conn, at)
	return map[string]any{"Connection": conn.wire()}, nil
}

func (s *Server) createService(c caller, in *createServiceInput) (any, *apiError) {
	sc := c.scope()
	now := s.now()
	if s.st.liveServiceByName(sc, *in.ServiceName, now) != nil {
		return nil, errInvalid("a service named %s already exists in this account and region", *in.ServiceName)
	}
	if err := s.checkServiceConnection(sc, in.SourceConfiguration); err != nil {
		return nil, err
	}
	refs, err := s.resolveRefs(c, in.NetworkConfiguration, in.AutoScalingConfigurationArn, in.ObservabilityConfiguration, true)
	if err != nil {
		return nil, err
	}
	cfg := defaultConfig(sc, *in.SourceConfiguration)
	if in.InstanceConfiguration != nil {
		ic := *in.InstanceConfiguration
		if ic.Cpu == nil {
			ic.Cpu = cfg.Instance.Cpu
		}
		if ic.Memory == nil {
			ic.Memory = cfg.Instance.Memory
		}
		cfg.Instance = ic
	}
	if in.HealthCheckConfiguration != nil {
		cfg.Health = mergeHealth(cfg.Health, *in.HealthCheckConfiguration)
	}
	cfg.Encryption = in.EncryptionConfiguration
	refs.apply(&cfg)
	sv := newService(sc, *in.ServiceName, randomHex(32), ServiceRunning, s.stamp(), cfg, tagMap(in.Tags))
	s.st.addService(sv)
	return map[string]any{"OperationId": newUUID(), "Service": s.st.wireService(sv, now)}, nil
}

func newService(sc scope, name, id, status string, createdAt time.Time, cfg serviceConfig, tags map[string]string) *service {
	sv := &service{
		scope: sc, arn: serviceARN(sc, name, id), name: name, id: id,
		url: id[:10] + "." + sc.region + ".awsapprunner.com", status: status,
		createdAt: createdAt, updatedAt: createdAt, cfg: cfg, tags: tags,
	}
	if status == ServiceDeleted {
		sv.deletedAt = createdAt
	}
	return sv
}

func mergeHealth(def, in healthCheckConfiguration) healthCheckConfiguration {
	if in.HealthyThreshold == nil {
		in.HealthyThreshold = def.HealthyThreshold
	}
	if in.UnhealthyThreshold == nil {
		in.UnhealthyThreshold = def.UnhealthyThreshold
	}
	if in.Interval == nil {
		in.Interval = def.Interval
	}
	if in.Timeout == nil {
		in.Timeout = def.Timeout
	}
	if in.Path == nil {
		in.Path = def.Path
	}
	if in.Protocol == nil {
		in.Protocol = def.Protocol
	}
	return in
}

// checkServiceConnection refuses a source whose connection is missing, of
// another account or region, or not AVAILABLE. The caller holds s.mu.
func (s *Server) checkServiceConnection(sc scope, src *sourceConfiguration) *apiError {
	a := src.AuthenticationConfiguration
	if a == nil || a.ConnectionArn == nil {
		return nil
	}
	conn := s.st.conns[*a.ConnectionArn]
	if conn == nil || conn.scope != sc || conn.status == ConnectionDeleted {
		return errInvalid("connection %s does not exist", *a.ConnectionArn)
	}
	if conn.status != ConnectionAvailable {
		return errInvalid("connection %s is %s, not AVAILABLE: complete the handshake first", conn.arn, conn.status)
	}
	return nil
}

// lookupService finds the caller's service with this ARN, its deletion
// settled if due. The caller holds s.mu.
func (s *Server) lookupService(c caller, arn string) (*service, *apiError) {
	sv := s.st.services[arn]
	if sv == nil || sv.scope != c.scope() {
		return nil, errNotFound("service %s not found", arn)
	}
	sv.settle(s.now())
	return sv, nil
}

func (s *Server) describeService(c caller, in *serviceARNInput) (any, *apiError) {
	sv, err := s.lookupService(c, *in.ServiceArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Service": s.st.wireService(sv, s.now())}, nil
}

func (s *Server) listServices(c caller, in *listServicesInput) (any, *apiError) {
	want := pageToken{Op: "ListServices", Account: c.account, Region: c.region}
	cursor, limit, err := pageRequest(want, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	now := s.now()
	items, next := page(s.st.scopes[c.scope()].servicesOrNil(), cursor, limit, s.opts.EmptyPageQuirk, func(sv *service) bool {
		sv.settle(now)
		return sv.status != ServiceDeleted
	})
	out := struct {
		NextToken          *string `json:",omitempty"`
		ServiceSummaryList []wireServiceSummary
	}{ServiceSummaryList: make([]wireServiceSummary, 0, len(items))}
	for _, sv := range items {
		out.ServiceSummaryList = append(out.ServiceSummaryList, sv.summary())
	}
	out.NextToken = tokenFor(want, next)
	return out, nil
}

func (s *Server) deleteService(c caller, in *serviceARNInput) (any, *apiError) {
	sv, err := s.lookupService(c, *in.ServiceArn)
	if err != nil {
		return nil, err
	}
	switch sv.status {
	case ServiceDeleted:
		return nil, errNotFound("service %s not found: it is deleted", sv.arn)
	case ServiceOperationInProgress:
		return nil, errState("service %s has an operation in progress", sv.arn)
	}
	now := s.stamp()
	sv.updatedAt = now
	if d := s.opts.DeleteServiceDelay; d > 0 {
		sv.status = ServiceOperationInProgress
		sv.deleteDoneAt = now.Add(d)
	} else {
		sv.status = ServiceDeleted
		sv.deletedAt = now
	}
	return map[string]any{"OperationId": newUUID(), "Service": s.st.wireService(sv, s.now())}, nil
}

// updateService models the part of UpdateService that matters here: a new
// source, which may point the service at another connection, and new
// network, auto scaling and observability configurations, which may point
// it at other VPC connectors and configurations; other members are
// accepted and ignored. It completes at once: the service stays RUNNING
// with a new UpdatedAt, as the real one is once its operation is over.
func (s *Server) updateService(c caller, in *updateServiceInput) (any, *apiError) {
	sv, err := s.lookupService(c, *in.ServiceArn)
	if err != nil {
		return nil, err
	}
	if sv.status != ServiceRunning {
		return nil, errState("cannot update service %s: its status is %s, not RUNNING", sv.arn, sv.status)
	}
	if in.SourceConfiguration != nil {
		if err := s.checkServiceConnection(sv.scope, in.SourceConfiguration); err != nil {
			return nil, err
		}
	}
	refs, err := s.resolveRefs(c, in.NetworkConfiguration, in.AutoScalingConfigurationArn, in.ObservabilityConfiguration, false)
	if err != nil {
		return nil, err
	}
	if in.SourceConfiguration != nil {
		sv.cfg.Source = *in.SourceConfiguration
	}
	s.st.unindex(sv)
	refs.apply(&sv.cfg)
	s.st.index(sv)
	sv.updatedAt = s.stamp()
	return map[string]any{"OperationId": newUUID(), "Service": s.st.wireService(sv, s.now())}, nil
}

func (s *Server) pauseService(c caller, in *serviceARNInput) (any, *apiError) {
	return s.transition(c, *in.ServiceArn, "pause", ServiceRunning, ServicePaused)
}

func (s *Server) resumeService(c caller, in *serviceARNInput) (any, *apiError) {
	return s.transition(c, *in.ServiceArn, "resume", ServicePaused, ServiceRunning)
}

func (s *Server) transition(c caller, arn, verb, from, to string) (any, *apiError) {
	sv, err := s.lookupService(c, arn)
	if err != nil {
		return nil, err
	}
	if sv.status != from {
		return nil, errState("cannot %s service %s: its status is %s, not %s", verb, sv.arn, sv.status, from)
	}
	sv.status = to
	sv.updatedAt = s.stamp()
	return map[string]any{"OperationId": newUUID(), "Service": s.st.wireService(sv, s.now())}, nil
}

// taggable returns the tags of a connection, a service, a VPC connector or
// a configuration revision; the caller holds s.mu.
func (s *Server) taggable(c caller, arn string) (map[string]string, *apiError) {
	if r := s.st.resources[arn]; r != nil && r.scope == c.scope() && r.active() {
		return r.tags, nil
	}
	p, ok := parseARN(arn)
	if ok && p.scope == c.scope() {
		switch p.kind {
		case "connection":
			if conn := s.st.conns[arn]; conn != nil && conn.status != ConnectionDeleted {
				return conn.tags, nil
			}
		case "service":
			if sv := s.st.services[arn]; sv != nil {
				sv.settle(s.now())
				if sv.status == ServiceDeleted {
					return nil, errState("service %s is deleted", arn)
				}
				return sv.tags, nil
			}
		}
	}
	return nil, errNotFound("resource %s not found", arn)
}

// maxTags is how many tags an App Runner resource may carry, as for every
// AWS resource that takes tags.
const maxTags = 50

func (s *Server) tagResource(c caller, in *tagResourceInput) (any, *apiError) {
	tags, err := s.taggable(c, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	add := tagMap(in.Tags)
	n := len(tags)
	for k := range add {
		if _, ok := tags[k]; !ok {
			n++
		}
	}
	if n > maxTags {
		return nil, errInvalid("resource %s would have %d tags: at most %d are allowed", *in.ResourceArn, n, maxTags)
	}
	maps.Copy(tags, add)
	return struct{}{}, nil
}

func (s *Server) untagResource(c caller, in *untagResourceInput) (any, *apiError) {
	tags, err := s.taggable(c, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	for _, k := range in.TagKeys {
		delete(tags, k)
	}
	return struct{}{}, nil
}

func (s *Server) listTagsForResource(c caller, in *listTagsForResourceInput) (any, *apiError) {
	tags, err := s.taggable(c, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Tags": wireTags(tags)}, nil
}
