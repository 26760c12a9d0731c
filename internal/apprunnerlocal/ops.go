package apprunnerlocal

import (
	"fmt"
	"maps"
	"strings"
	"time"
)

// handler runs one operation for an authenticated caller.
type handler func(s *Server, c caller, body []byte) (any, *apiError)

// handlerFor returns the implementation of an X-Amz-Target operation name.
func handlerFor(op string) (handler, bool) {
	switch op {
	case "CreateConnection":
		return (*Server).createConnection, true
	case "ListConnections":
		return (*Server).listConnections, true
	case "DeleteConnection":
		return (*Server).deleteConnection, true
	case "CreateService":
		return (*Server).createService, true
	case "DescribeService":
		return (*Server).describeService, true
	case "ListServices":
		return (*Server).listServices, true
	case "DeleteService":
		return (*Server).deleteService, true
	case "UpdateService":
		return (*Server).updateService, true
	case "PauseService":
		return (*Server).pauseService, true
	case "ResumeService":
		return (*Server).resumeService, true
	case "TagResource":
		return (*Server).tagResource, true
	case "UntagResource":
		return (*Server).untagResource, true
	case "ListTagsForResource":
		return (*Server).listTagsForResource, true
	}
	return nil, false
}

// defaultPageSize is used when MaxResults is omitted.
const defaultPageSize = 20

func (c caller) scope() scope { return scope(c) }

func (s *Server) createConnection(c caller, body []byte) (any, *apiError) {
	var in struct {
		ConnectionName *string
		ProviderType   *string
		Tags           []wireTag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v validator
	if v.required("ConnectionName", in.ConnectionName != nil) {
		v.str("connectionName", in.ConnectionName, 4, 32, connectionNameRE)
	}
	if v.required("ProviderType", in.ProviderType != nil) {
		v.enum("providerType", in.ProviderType, providerTypes)
	}
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
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

func (s *Server) listConnections(c caller, body []byte) (any, *apiError) {
	var in struct {
		ConnectionName *string
		MaxResults     *int32
		NextToken      *string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v validator
	v.str("connectionName", in.ConnectionName, 4, 32, connectionNameRE)
	v.intRange("maxResults", in.MaxResults, 1, 100)
	v.str("nextToken", in.NextToken, 1, 1024, nil)
	if err := v.err(); err != nil {
		return nil, err
	}
	filter := ""
	if in.ConnectionName != nil {
		filter = *in.ConnectionName
	}
	want := pageToken{Op: "ListConnections", Account: c.account, Region: c.region, Filter: filter}
	var cursor *sortKey
	if in.NextToken != nil {
		k, err := decodeToken(*in.NextToken, want)
		if err != nil {
			return nil, err
		}
		cursor = &k
	}
	limit := defaultPageSize
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
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

func (s *Server) deleteConnection(c caller, body []byte) (any, *apiError) {
	var in struct{ ConnectionArn *string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v validator
	if v.required("ConnectionArn", in.ConnectionArn != nil) {
		v.arn("connectionArn", in.ConnectionArn)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
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
		s.st.unsafe = append(s.st.unsafe, UnsafeDeletion{ConnectionARN: conn.arn, ServiceARNs: users, At: at})
	}
	s.st.deleteConnection(conn, at)
	return map[string]any{"Connection": conn.wire()}, nil
}

type createServiceInput struct {
	AutoScalingConfigurationArn *string
	EncryptionConfiguration     *encryptionConfiguration
	HealthCheckConfiguration    *healthCheckConfiguration
	InstanceConfiguration       *instanceConfiguration
	NetworkConfiguration        *networkConfiguration
	ObservabilityConfiguration  *observabilityConfiguration
	ServiceName                 *string
	SourceConfiguration         *sourceConfiguration
	Tags                        []wireTag
}

func (in *createServiceInput) validate() *apiError {
	var v validator
	if v.required("ServiceName", in.ServiceName != nil) {
		v.str("serviceName", in.ServiceName, 4, 40, serviceNameRE)
	}
	if v.required("SourceConfiguration", in.SourceConfiguration != nil) {
		validateSource(&v, in.SourceConfiguration)
	}
	v.arn("autoScalingConfigurationArn", in.AutoScalingConfigurationArn)
	if e := in.EncryptionConfiguration; e != nil && v.required("EncryptionConfiguration.KmsKey", e.KmsKey != nil) {
		v.str("encryptionConfiguration.kmsKey", e.KmsKey, 0, 256, kmsKeyARNRE)
	}
	if h := in.HealthCheckConfiguration; h != nil {
		v.intRange("healthCheckConfiguration.healthyThreshold", h.HealthyThreshold, 1, 20)
		v.intRange("healthCheckConfiguration.unhealthyThreshold", h.UnhealthyThreshold, 1, 20)
		v.intRange("healthCheckConfiguration.interval", h.Interval, 1, 20)
		v.intRange("healthCheckConfiguration.timeout", h.Timeout, 1, 20)
		v.str("healthCheckConfiguration.path", h.Path, 1, 0, nil)
		v.enum("healthCheckConfiguration.protocol", h.Protocol, []string{"TCP", "HTTP"})
	}
	if ic := in.InstanceConfiguration; ic != nil {
		v.str("instanceConfiguration.cpu", ic.Cpu, 3, 9, cpuRE)
		v.str("instanceConfiguration.memory", ic.Memory, 3, 6, memoryRE)
		v.str("instanceConfiguration.instanceRoleArn", ic.InstanceRoleArn, 29, 1024, roleARNRE)
	}
	if n := in.NetworkConfiguration; n != nil {
		if e := n.EgressConfiguration; e != nil {
			v.enum("networkConfiguration.egressConfiguration.egressType", e.EgressType, []string{"DEFAULT", "VPC"})
			v.arn("networkConfiguration.egressConfiguration.vpcConnectorArn", e.VpcConnectorArn)
		}
		v.enum("networkConfiguration.ipAddressType", n.IpAddressType, []string{"IPV4", "DUAL_STACK"})
	}
	if o := in.ObservabilityConfiguration; o != nil {
		v.required("ObservabilityConfiguration.ObservabilityEnabled", o.ObservabilityEnabled != nil)
		v.arn("observabilityConfiguration.observabilityConfigurationArn", o.ObservabilityConfigurationArn)
	}
	v.tags("tags", in.Tags)
	return v.err()
}

func validateSource(v *validator, src *sourceConfiguration) {
	if a := src.AuthenticationConfiguration; a != nil {
		v.arn("sourceConfiguration.authenticationConfiguration.connectionArn", a.ConnectionArn)
		v.str("sourceConfiguration.authenticationConfiguration.accessRoleArn", a.AccessRoleArn, 29, 1024, roleARNRE)
	}
	switch {
	case src.CodeRepository != nil && src.ImageRepository != nil:
		v.add("sourceConfiguration must specify either CodeRepository or ImageRepository, not both")
	case src.CodeRepository != nil:
		cr := src.CodeRepository
		if v.required("SourceConfiguration.CodeRepository.RepositoryUrl", cr.RepositoryUrl != nil) {
			v.str("sourceConfiguration.codeRepository.repositoryUrl", cr.RepositoryUrl, 0, 51200, nil)
		}
		if v.required("SourceConfiguration.CodeRepository.SourceCodeVersion", cr.SourceCodeVersion != nil) {
			scv := cr.SourceCodeVersion
			if v.required("SourceConfiguration.CodeRepository.SourceCodeVersion.Type", scv.Type != nil) {
				v.enum("sourceConfiguration.codeRepository.sourceCodeVersion.type", scv.Type, []string{"BRANCH"})
			}
			v.required("SourceConfiguration.CodeRepository.SourceCodeVersion.Value", scv.Value != nil)
		}
		v.str("sourceConfiguration.codeRepository.sourceDirectory", cr.SourceDirectory, 1, 4096, nil)
		if cc := cr.CodeConfiguration; cc != nil {
			if v.required("SourceConfiguration.CodeRepository.CodeConfiguration.ConfigurationSource", cc.ConfigurationSource != nil) {
				v.enum("sourceConfiguration.codeRepository.codeConfiguration.configurationSource", cc.ConfigurationSource, []string{"REPOSITORY", "API"})
			}
			if vals := cc.CodeConfigurationValues; vals != nil {
				if v.required("SourceConfiguration.CodeRepository.CodeConfiguration.CodeConfigurationValues.Runtime", vals.Runtime != nil) {
					v.enum("sourceConfiguration.codeRepository.codeConfiguration.codeConfigurationValues.runtime", vals.Runtime, runtimes)
				}
				v.str("sourceConfiguration.codeRepository.codeConfiguration.codeConfigurationValues.buildCommand", vals.BuildCommand, 0, 0, commandRE)
				v.str("sourceConfiguration.codeRepository.codeConfiguration.codeConfigurationValues.startCommand", vals.StartCommand, 0, 0, commandRE)
			}
		}
		if a := src.AuthenticationConfiguration; a == nil || a.ConnectionArn == nil {
			v.add("sourceConfiguration.authenticationConfiguration.connectionArn is required for a code repository source")
		}
	case src.ImageRepository != nil:
		ir := src.ImageRepository
		if v.required("SourceConfiguration.ImageRepository.ImageIdentifier", ir.ImageIdentifier != nil) {
			v.str("sourceConfiguration.imageRepository.imageIdentifier", ir.ImageIdentifier, 1, 1024, imageIdentifierRE)
		}
		if v.required("SourceConfiguration.ImageRepository.ImageRepositoryType", ir.ImageRepositoryType != nil) {
			v.enum("sourceConfiguration.imageRepository.imageRepositoryType", ir.ImageRepositoryType, []string{"ECR", "ECR_PUBLIC"})
		}
		if ic := ir.ImageConfiguration; ic != nil {
			v.str("sourceConfiguration.imageRepository.imageConfiguration.startCommand", ic.StartCommand, 0, 0, commandRE)
		}
	default:
		v.add("sourceConfiguration must specify a CodeRepository or an ImageRepository")
	}
}

func (s *Server) createService(c caller, body []byte) (any, *apiError) {
	var in createServiceInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := c.scope()
	now := s.now()
	if s.st.liveServiceByName(sc, *in.ServiceName, now) != nil {
		return nil, errInvalid("a service named %s already exists in this account and region", *in.ServiceName)
	}
	if err := s.checkServiceConnection(sc, in.SourceConfiguration); err != nil {
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
	if in.NetworkConfiguration != nil {
		n := *in.NetworkConfiguration
		if n.EgressConfiguration == nil {
			n.EgressConfiguration = cfg.Network.EgressConfiguration
		}
		if n.IngressConfiguration == nil {
			n.IngressConfiguration = cfg.Network.IngressConfiguration
		}
		if n.IpAddressType == nil {
			n.IpAddressType = cfg.Network.IpAddressType
		}
		cfg.Network = n
	}
	cfg.Encryption = in.EncryptionConfiguration
	if in.ObservabilityConfiguration != nil {
		cfg.Observability = *in.ObservabilityConfiguration
	}
	if in.AutoScalingConfigurationArn != nil {
		cfg.AutoScalingARN = *in.AutoScalingConfigurationArn
	}
	sv := newService(sc, *in.ServiceName, randomHex(32), ServiceRunning, s.stamp(), cfg, tagMap(in.Tags))
	s.st.addService(sv)
	return map[string]any{"OperationId": newUUID(), "Service": sv.wire()}, nil
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

// serviceArnInput is the input of the operations that name one service.
type serviceArnInput struct{ ServiceArn *string }

// lookupService decodes, validates and finds the service of a request, and
// returns it with s.mu held; the caller must unlock.
func (s *Server) lookupService(c caller, body []byte) (*service, *apiError) {
	var in serviceArnInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v validator
	if v.required("ServiceArn", in.ServiceArn != nil) {
		v.arn("serviceArn", in.ServiceArn)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	sv := s.st.services[*in.ServiceArn]
	if sv == nil || sv.scope != c.scope() {
		s.mu.Unlock()
		return nil, errNotFound("service %s not found", *in.ServiceArn)
	}
	sv.settle(s.now())
	return sv, nil
}

func (s *Server) describeService(c caller, body []byte) (any, *apiError) {
	sv, err := s.lookupService(c, body)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return map[string]any{"Service": sv.wire()}, nil
}

func (s *Server) listServices(c caller, body []byte) (any, *apiError) {
	var in struct {
		MaxResults *int32
		NextToken  *string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v validator
	v.intRange("maxResults", in.MaxResults, 1, 20)
	v.str("nextToken", in.NextToken, 0, 51200, nil)
	if err := v.err(); err != nil {
		return nil, err
	}
	want := pageToken{Op: "ListServices", Account: c.account, Region: c.region}
	var cursor *sortKey
	if in.NextToken != nil && *in.NextToken != "" {
		k, err := decodeToken(*in.NextToken, want)
		if err != nil {
			return nil, err
		}
		cursor = &k
	}
	limit := defaultPageSize
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
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

func (s *Server) deleteService(c caller, body []byte) (any, *apiError) {
	sv, err := s.lookupService(c, body)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
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
	return map[string]any{"OperationId": newUUID(), "Service": sv.wire()}, nil
}

// updateService models the part of UpdateService that matters here: a new
// source, which may point the service at another connection; other members
// are accepted and ignored. It completes at once: the service stays RUNNING
// with a new UpdatedAt, as the real one is once its operation is over.
func (s *Server) updateService(c caller, body []byte) (any, *apiError) {
	var in struct{ SourceConfiguration *sourceConfiguration }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.SourceConfiguration != nil {
		var v validator
		validateSource(&v, in.SourceConfiguration)
		if err := v.err(); err != nil {
			return nil, err
		}
	}
	sv, err := s.lookupService(c, body)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if sv.status != ServiceRunning {
		return nil, errState("cannot update service %s: its status is %s, not RUNNING", sv.arn, sv.status)
	}
	if in.SourceConfiguration != nil {
		if err := s.checkServiceConnection(sv.scope, in.SourceConfiguration); err != nil {
			return nil, err
		}
		sv.cfg.Source = *in.SourceConfiguration
	}
	sv.updatedAt = s.stamp()
	return map[string]any{"OperationId": newUUID(), "Service": sv.wire()}, nil
}

func (s *Server) pauseService(c caller, body []byte) (any, *apiError) {
	return s.transition(c, body, "pause", ServiceRunning, ServicePaused)
}

func (s *Server) resumeService(c caller, body []byte) (any, *apiError) {
	return s.transition(c, body, "resume", ServicePaused, ServiceRunning)
}

func (s *Server) transition(c caller, body []byte, verb, from, to string) (any, *apiError) {
	sv, err := s.lookupService(c, body)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if sv.status != from {
		return nil, errState("cannot %s service %s: its status is %s, not %s", verb, sv.arn, sv.status, from)
	}
	sv.status = to
	sv.updatedAt = s.stamp()
	return map[string]any{"OperationId": newUUID(), "Service": sv.wire()}, nil
}

// taggable returns the tags of a connection or service; the caller holds
// s.mu.
func (s *Server) taggable(c caller, arn string) (map[string]string, *apiError) {
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

func (s *Server) tagResource(c caller, body []byte) (any, *apiError) {
	var in struct {
		ResourceArn *string
		Tags        []wireTag
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v validator
	if v.required("ResourceArn", in.ResourceArn != nil) {
		v.arn("resourceArn", in.ResourceArn)
	}
	if v.required("Tags", in.Tags != nil) {
		v.tags("tags", in.Tags)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.taggable(c, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	maps.Copy(tags, tagMap(in.Tags))
	return struct{}{}, nil
}

func (s *Server) untagResource(c caller, body []byte) (any, *apiError) {
	var in struct {
		ResourceArn *string
		TagKeys     []string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v validator
	if v.required("ResourceArn", in.ResourceArn != nil) {
		v.arn("resourceArn", in.ResourceArn)
	}
	if v.required("TagKeys", in.TagKeys != nil) {
		for i, k := range in.TagKeys {
			v.tagKey(fmt.Sprintf("tagKeys.%d.member", i+1), k)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.taggable(c, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	for _, k := range in.TagKeys {
		delete(tags, k)
	}
	return struct{}{}, nil
}

func (s *Server) listTagsForResource(c caller, body []byte) (any, *apiError) {
	var in struct{ ResourceArn *string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v validator
	if v.required("ResourceArn", in.ResourceArn != nil) {
		v.arn("resourceArn", in.ResourceArn)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.taggable(c, *in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Tags": wireTags(tags)}, nil
}
