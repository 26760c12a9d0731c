package apprunnerlocal

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Seeding VPC connectors, auto scaling configurations and observability
// configurations, and the services' references to them.

// SeedVPCConnector describes one VPC connector. Its revision is the next
// of its name. createdAt and createdAgo are as for SeedConnection.
type SeedVPCConnector struct {
	Name           string            `json:"name"`
	ID             string            `json:"id,omitempty"`     // 32 lowercase hex digits; random when empty
	Status         string            `json:"status,omitempty"` // ACTIVE (default) or INACTIVE
	Subnets        []string          `json:"subnets,omitempty"`
	SecurityGroups []string          `json:"securityGroups,omitempty"`
	CreatedAt      time.Time         `json:"createdAt,omitzero"`
	CreatedAgo     time.Duration     `json:"-"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// SeedAutoScalingConfiguration describes one revision of an auto scaling
// configuration. Revision 0 means the next of its name (1 for a new
// name; DefaultConfiguration has App Runner's revision 1 already).
// Default makes it the default of its account and region, which new
// services get; seeded services without a configuration use App Runner's
// own DefaultConfiguration whatever the default.
type SeedAutoScalingConfiguration struct {
	Name           string            `json:"name"`
	ID             string            `json:"id,omitempty"`
	Revision       int               `json:"revision,omitempty"`
	Status         string            `json:"status,omitempty"` // ACTIVE (default) or INACTIVE
	Default        bool              `json:"isDefault,omitempty"`
	MaxConcurrency int32             `json:"maxConcurrency,omitempty"` // 1..200, default 100
	MinSize        int32             `json:"minSize,omitempty"`        // 1..25, default 1
	MaxSize        int32             `json:"maxSize,omitempty"`        // at least MinSize, default 25
	CreatedAt      time.Time         `json:"createdAt,omitzero"`
	CreatedAgo     time.Duration     `json:"-"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// SeedObservabilityConfiguration describes one revision of an
// observability configuration; Revision as for auto scaling.
type SeedObservabilityConfiguration struct {
	Name        string            `json:"name"`
	ID          string            `json:"id,omitempty"`
	Revision    int               `json:"revision,omitempty"`
	Status      string            `json:"status,omitempty"`      // ACTIVE (default) or INACTIVE
	TraceVendor string            `json:"traceVendor,omitempty"` // AWSXRAY, or empty for no tracing
	CreatedAt   time.Time         `json:"createdAt,omitzero"`
	CreatedAgo  time.Duration     `json:"-"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// UnmarshalJSON accepts createdAgo as a Go duration string.
func (c *SeedVPCConnector) UnmarshalJSON(data []byte) error {
	type plain SeedVPCConnector
	aux := struct {
		*plain
		CreatedAgo string `json:"createdAgo"`
	}{plain: (*plain)(c)}
	if err := strictUnmarshal(data, &aux); err != nil {
		return fmt.Errorf("VPC connector: %w", err)
	}
	return parseAgo(aux.CreatedAgo, &c.CreatedAgo)
}

// UnmarshalJSON accepts createdAgo as a Go duration string.
func (c *SeedAutoScalingConfiguration) UnmarshalJSON(data []byte) error {
	type plain SeedAutoScalingConfiguration
	aux := struct {
		*plain
		CreatedAgo string `json:"createdAgo"`
	}{plain: (*plain)(c)}
	if err := strictUnmarshal(data, &aux); err != nil {
		return fmt.Errorf("auto scaling configuration: %w", err)
	}
	return parseAgo(aux.CreatedAgo, &c.CreatedAgo)
}

// UnmarshalJSON accepts createdAgo as a Go duration string.
func (c *SeedObservabilityConfiguration) UnmarshalJSON(data []byte) error {
	type plain SeedObservabilityConfiguration
	aux := struct {
		*plain
		CreatedAgo string `json:"createdAgo"`
	}{plain: (*plain)(c)}
	if err := strictUnmarshal(data, &aux); err != nil {
		return fmt.Errorf("observability configuration: %w", err)
	}
	return parseAgo(aux.CreatedAgo, &c.CreatedAgo)
}

// validateResource checks what the three kinds share.
func validateResource(name string, nameRE interface{ MatchString(string) bool }, id, status string, revision int, at time.Time, ago time.Duration, tags map[string]string) []error {
	var errs []error
	if !nameRE.MatchString(name) {
		errs = append(errs, fmt.Errorf("name %q: must match %v", name, nameRE))
	}
	if id != "" && !idRE.MatchString(id) {
		errs = append(errs, fmt.Errorf("id %q: must be 32 lowercase hex digits", id))
	}
	if status != "" && !slices.Contains(resourceStatuses, status) {
		errs = append(errs, fmt.Errorf("status %q: must be one of %v", status, resourceStatuses))
	}
	if revision < 0 {
		errs = append(errs, fmt.Errorf("revision %d: must not be negative", revision))
	}
	return append(errs, validateCreated(at, ago), validateTags(tags))
}

func (c *SeedVPCConnector) validate() error {
	return errors.Join(validateResource(c.Name, vpcConnectorNameRE, c.ID, c.Status, 0, c.CreatedAt, c.CreatedAgo, c.Tags)...)
}

func (c *SeedAutoScalingConfiguration) validate() error {
	errs := validateResource(c.Name, configNameRE, c.ID, c.Status, c.Revision, c.CreatedAt, c.CreatedAgo, c.Tags)
	if c.Default && c.Status == ResourceInactive {
		errs = append(errs, errors.New("isDefault: an INACTIVE configuration cannot be the default"))
	}
	minSize, maxSize := cmpOr(c.MinSize, 1), cmpOr(c.MaxSize, 25)
	switch {
	case c.MaxConcurrency < 0 || c.MaxConcurrency > 200:
		errs = append(errs, fmt.Errorf("maxConcurrency %d: must be 1..200", c.MaxConcurrency))
	case minSize < 1 || minSize > 25:
		errs = append(errs, fmt.Errorf("minSize %d: must be 1..25", c.MinSize))
	case maxSize < minSize:
		errs = append(errs, fmt.Errorf("maxSize %d: must be at least minSize %d", maxSize, minSize))
	}
	return errors.Join(errs...)
}

func (c *SeedObservabilityConfiguration) validate() error {
	errs := validateResource(c.Name, configNameRE, c.ID, c.Status, c.Revision, c.CreatedAt, c.CreatedAgo, c.Tags)
	if c.Name == DefaultAutoScalingName {
		errs = append(errs, fmt.Errorf("name %s: reserved by App Runner", c.Name))
	}
	if c.TraceVendor != "" && !slices.Contains(tracingVendors, c.TraceVendor) {
		errs = append(errs, fmt.Errorf("traceVendor %q: must be one of %v", c.TraceVendor, tracingVendors))
	}
	return errors.Join(errs...)
}

// validateRefs checks a seeded service's references to the three kinds.
func (sv *SeedService) validateRefs() []error {
	var errs []error
	both := func(name, arn, what string) {
		if name != "" && arn != "" {
			errs = append(errs, fmt.Errorf("set %sName or %sArn, not both", what, what))
		}
	}
	both(sv.VPCConnectorName, sv.VPCConnectorARN, "vpcConnector")
	both(sv.AutoScalingConfigurationName, sv.AutoScalingConfigurationARN, "autoScalingConfiguration")
	both(sv.ObservabilityConfigurationName, sv.ObservabilityConfigurationARN, "observabilityConfiguration")
	if sv.AutoScalingConfigurationRevision != 0 && sv.AutoScalingConfigurationName == "" {
		errs = append(errs, errors.New("autoScalingConfigurationRevision needs autoScalingConfigurationName"))
	}
	if sv.ObservabilityConfigurationRevision != 0 && sv.ObservabilityConfigurationName == "" {
		errs = append(errs, errors.New("observabilityConfigurationRevision needs observabilityConfigurationName"))
	}
	if sv.AutoScalingConfigurationRevision < 0 || sv.ObservabilityConfigurationRevision < 0 {
		errs = append(errs, errors.New("a configuration revision must not be negative"))
	}
	return errs
}

func cmpOr(v, def int32) int32 {
	if v == 0 {
		return def
	}
	return v
}

func (r SeedRegion) validateResources(where string) []error {
	var errs []error
	for i, c := range r.VPCConnectors {
		if err := c.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: VPC connector %d: %w", where, i, err))
		}
	}
	for i, c := range r.AutoScalingConfigurations {
		if err := c.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: auto scaling configuration %d: %w", where, i, err))
		}
	}
	for i, c := range r.ObservabilityConfigurations {
		if err := c.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: observability configuration %d: %w", where, i, err))
		}
	}
	return errs
}

// loadingResources is the part of a loading that holds the three kinds.
type loadingResources struct {
	res      []*resource
	resARNs  map[string]*resource
	resRevs  map[scopedKindName][]*resource
	defaults map[scope]*resource
}

type scopedKindName struct {
	scope
	kindName
}

// revisions returns a name's revisions in the store and in the seed so
// far.
func (l *loading) revisions(sc scope, kind, name string) ([]*resource, []*resource) {
	return l.st.revisionsOf(sc, kind, name), l.resRevs[scopedKindName{sc, kindName{kind, name}}]
}

// resources loads one region's VPC connectors and configurations.
func (l *loading) resources(sc scope, r SeedRegion) {
	// DefaultConfiguration is there before any seeded revision of it.
	l.st.region(sc)
	for _, c := range r.VPCConnectors {
		l.add(sc, &resource{
			kind: kindVPCConnector, name: c.Name, id: c.ID, status: c.Status, tags: c.Tags,
			createdAt: createdTime(c.CreatedAt, c.CreatedAgo, l.now),
			subnets:   slices.Clone(c.Subnets), securityGroups: slices.Clone(c.SecurityGroups),
		})
	}
	for _, c := range r.AutoScalingConfigurations {
		res := &resource{
			kind: kindAutoScaling, name: c.Name, id: c.ID, revision: c.Revision, status: c.Status, tags: c.Tags,
			createdAt:      createdTime(c.CreatedAt, c.CreatedAgo, l.now),
			maxConcurrency: cmpOr(c.MaxConcurrency, 100), minSize: cmpOr(c.MinSize, 1), maxSize: cmpOr(c.MaxSize, 25),
		}
		if l.add(sc, res) && c.Default {
			if prev := l.defaults[sc]; prev != nil {
				l.errs = append(l.errs, fmt.Errorf("%s/%s: both %s and %s are the default auto scaling configuration", sc.account, sc.region, prev.arn, res.arn))
			}
			l.defaults[sc] = res
		}
	}
	for _, c := range r.ObservabilityConfigurations {
		res := &resource{
			kind: kindObservability, name: c.Name, id: c.ID, revision: c.Revision, status: c.Status, tags: c.Tags,
			createdAt: createdTime(c.CreatedAt, c.CreatedAgo, l.now),
		}
		if c.TraceVendor != "" {
			res.trace = &traceConfiguration{Vendor: ptr(c.TraceVendor)}
		}
		l.add(sc, res)
	}
}

// add completes one seeded resource and takes it, or records why it
// cannot be added; it reports whether it took it.
func (l *loading) add(sc scope, r *resource) bool {
	r.scope = sc
	if r.id == "" {
		r.id = randomHex(32)
	}
	if r.status == "" {
		r.status = ResourceActive
	}
	if r.status == ResourceInactive {
		r.deletedAt = l.now
	}
	r.tags = maps.Clone(r.tags)
	if r.tags == nil {
		r.tags = map[string]string{}
	}
	stored, seeded := l.revisions(sc, r.kind, r.name)
	if r.revision == 0 {
		r.revision = nextRevision(stored, seeded)
	}
	r.arn = resourceARN(sc, r.kind, r.name, r.revision, r.id)
	where := fmt.Sprintf("%s/%s: %s %s", sc.account, sc.region, r.kind, r.name)
	switch {
	case l.st.resources[r.arn] != nil || l.resARNs[r.arn] != nil:
		l.errs = append(l.errs, fmt.Errorf("%s %s already exists", r.kind, r.arn))
		return false
	case r.active() && r.kind == kindVPCConnector && liveRevision(0, stored, seeded) != nil:
		l.errs = append(l.errs, fmt.Errorf("%s: name already in use", where))
		return false
	case r.active() && liveRevision(r.revision, stored, seeded) != nil:
		l.errs = append(l.errs, fmt.Errorf("%s: revision %d is already ACTIVE", where, r.revision))
		return false
	}
	l.resARNs[r.arn] = r
	k := scopedKindName{sc, kindName{r.kind, r.name}}
	l.resRevs[k] = append(l.resRevs[k], r)
	l.res = append(l.res, r)
	return true
}

// ref finds the resource of a kind that a seeded service names: by name
// (and revision, 0 for the latest) among the ACTIVE ones, or by ARN among
// all of its account and region. Empty when it names none.
func (l *loading) ref(sc scope, kind, name string, revision int, arn string) (string, error) {
	switch {
	case name != "":
		stored, seeded := l.revisions(sc, kind, name)
		r := liveRevision(revision, stored, seeded)
		if r == nil && revision != 0 {
			return "", fmt.Errorf("no ACTIVE %s named %s with revision %d", kind, name, revision)
		}
		if r == nil {
			return "", fmt.Errorf("no ACTIVE %s named %s", kind, name)
		}
		return r.arn, nil
	case arn != "":
		r := l.resARNs[arn]
		if r == nil {
			r = l.st.resources[arn]
		}
		if r == nil || r.kind != kind || r.scope != sc {
			return "", fmt.Errorf("no %s %s in this account and region", kind, arn)
		}
		return arn, nil
	}
	return "", nil
}

// seedRefs are the resolved references of a seeded service.
type seedRefs struct{ vpc, autoScaling, observability string }

func (l *loading) serviceRefs(sc scope, ss SeedService) (seedRefs, error) {
	var refs seedRefs
	var errs [3]error
	refs.vpc, errs[0] = l.ref(sc, kindVPCConnector, ss.VPCConnectorName, 0, ss.VPCConnectorARN)
	refs.autoScaling, errs[1] = l.ref(sc, kindAutoScaling, ss.AutoScalingConfigurationName, ss.AutoScalingConfigurationRevision, ss.AutoScalingConfigurationARN)
	refs.observability, errs[2] = l.ref(sc, kindObservability, ss.ObservabilityConfigurationName, ss.ObservabilityConfigurationRevision, ss.ObservabilityConfigurationARN)
	if refs.autoScaling == "" {
		refs.autoScaling = builtinAutoScalingARN(sc)
	}
	return refs, errors.Join(errs[:]...)
}

// apply sets a seeded service's references on its configuration.
func (refs seedRefs) apply(cfg *serviceConfig) {
	if refs.vpc != "" {
		cfg.Network.EgressConfiguration = &egressConfiguration{EgressType: ptr("VPC"), VpcConnectorArn: ptr(refs.vpc)}
	}
	cfg.AutoScalingARN = refs.autoScaling
	if refs.observability != "" {
		cfg.Observability = observabilityConfiguration{ObservabilityEnabled: ptr(true), ObservabilityConfigurationArn: ptr(refs.observability)}
	}
}

// commitResources adds the seed's resources; services come after them.
func (l *loading) commitResources() {
	for _, r := range l.res {
		l.st.addResource(r)
	}
	for sc, r := range l.defaults {
		l.st.region(sc).defaultAS = r
	}
}

// AddVPCConnector adds one VPC connector, as Load would, and returns its
// ARN.
func (s *Server) AddVPCConnector(account, region string, c SeedVPCConnector) (string, error) {
	if c.ID == "" {
		c.ID = randomHex(32)
	}
	seed := SeedRegion{VPCConnectors: []SeedVPCConnector{c}}
	return s.addSeeded(account, region, kindVPCConnector, c.Name, c.ID, seed)
}

// AddAutoScalingConfiguration adds one auto scaling configuration
// revision, as Load would, and returns its ARN.
func (s *Server) AddAutoScalingConfiguration(account, region string, c SeedAutoScalingConfiguration) (string, error) {
	if c.ID == "" {
		c.ID = randomHex(32)
	}
	seed := SeedRegion{AutoScalingConfigurations: []SeedAutoScalingConfiguration{c}}
	return s.addSeeded(account, region, kindAutoScaling, c.Name, c.ID, seed)
}

// AddObservabilityConfiguration adds one observability configuration
// revision, as Load would, and returns its ARN.
func (s *Server) AddObservabilityConfiguration(account, region string, c SeedObservabilityConfiguration) (string, error) {
	if c.ID == "" {
		c.ID = randomHex(32)
	}
	seed := SeedRegion{ObservabilityConfigurations: []SeedObservabilityConfiguration{c}}
	return s.addSeeded(account, region, kindObservability, c.Name, c.ID, seed)
}

// addSeeded loads one resource and returns its ARN, which holds the
// revision that loading chose.
func (s *Server) addSeeded(account, region, kind, name, id string, r SeedRegion) (string, error) {
	if err := s.Load(&Seed{Accounts: map[string]map[string]SeedRegion{account: {region: r}}}); err != nil {
		return "", fmt.Errorf("add %s %s: %w", kind, name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, res := range s.st.revisionsOf(scope{account: account, region: region}, kind, name) {
		if res.id == id {
			return res.arn, nil
		}
	}
	return "", fmt.Errorf("add %s %s: not found after loading", kind, name)
}
