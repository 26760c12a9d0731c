package apprunnerlocal

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"
)

// demoJSON is the demo data set: connections in use, orphaned, protected,
// too young, pending and broken, VPC connectors and auto scaling and
// observability configurations used and free, in two accounts, and an
// organization around them.
//
//go:embed demo.json
var demoJSON []byte

// DemoJSON returns the embedded demo seed as JSON.
func DemoJSON() []byte { return slices.Clone(demoJSON) }

// DemoSeed returns the embedded demo seed.
func DemoSeed() *Seed {
	seed, err := ParseSeed(demoJSON)
	if err != nil {
		// The file is embedded and covered by tests: an error is a bug.
		panic(fmt.Sprintf("apprunnerlocal: embedded demo.json: %v", err))
	}
	return seed
}

// Seed is data to preload, which the API cannot create as such: statuses
// other than the initial ones, creation times in the past, and an AWS
// organization. Its JSON form is
//
//	{"accounts": {ACCOUNT: {REGION: {"connections": [...], "services": [...],
//	   "vpcConnectors": [...], "autoScalingConfigurations": [...],
//	   "observabilityConfigurations": [...]}}},
//	 "organization": {...}}
//
// where "organization" is optional (see [SeedOrganization]).
type Seed struct {
	Accounts     map[string]map[string]SeedRegion `json:"accounts"`
	Organization *SeedOrganization                `json:"organization,omitempty"`
}

// SeedRegion holds the resources of one account in one region.
type SeedRegion struct {
	Connections                 []SeedConnection                 `json:"connections,omitempty"`
	Services                    []SeedService                    `json:"services,omitempty"`
	VPCConnectors               []SeedVPCConnector               `json:"vpcConnectors,omitempty"`
	AutoScalingConfigurations   []SeedAutoScalingConfiguration   `json:"autoScalingConfigurations,omitempty"`
	ObservabilityConfigurations []SeedObservabilityConfiguration `json:"observabilityConfigurations,omitempty"`
}

// SeedConnection describes one connection. In JSON, createdAt is RFC 3339
// and createdAgo a Go duration ("36h") before the time of loading; at most
// one of them may be set, and neither means now.
type SeedConnection struct {
	Name         string            `json:"name"`
	ID           string            `json:"id,omitempty"`           // 32 lowercase hex digits; random when empty
	ProviderType string            `json:"providerType,omitempty"` // GITHUB (default) or BITBUCKET
	Status       string            `json:"status,omitempty"`       // AVAILABLE by default
	CreatedAt    time.Time         `json:"createdAt,omitzero"`
	CreatedAgo   time.Duration     `json:"-"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// SeedService describes one service. Its source is a code repository
// through the connection named ConnectionName (or ConnectionARN, from Go),
// or a public image when neither is set. It uses the VPC connector, auto
// scaling configuration and observability configuration named likewise,
// found in its account and region (in the store or earlier in the seed):
// by name among the ACTIVE ones (a revision of 0 is the latest), or by
// ARN among all, INACTIVE ones included. Without a VPC connector its
// egress is DEFAULT, without an auto scaling configuration it uses App
// Runner's own DefaultConfiguration, and without an observability
// configuration observability is off.
type SeedService struct {
	Name                               string            `json:"name"`
	ID                                 string            `json:"id,omitempty"`
	Status                             string            `json:"status,omitempty"` // RUNNING by default
	CreatedAt                          time.Time         `json:"createdAt,omitzero"`
	CreatedAgo                         time.Duration     `json:"-"`
	ConnectionName                     string            `json:"connectionName,omitempty"`
	ConnectionARN                      string            `json:"connectionArn,omitempty"`
	VPCConnectorName                   string            `json:"vpcConnectorName,omitempty"`
	VPCConnectorARN                    string            `json:"vpcConnectorArn,omitempty"`
	AutoScalingConfigurationName       string            `json:"autoScalingConfigurationName,omitempty"`
	AutoScalingConfigurationRevision   int               `json:"autoScalingConfigurationRevision,omitempty"`
	AutoScalingConfigurationARN        string            `json:"autoScalingConfigurationArn,omitempty"`
	ObservabilityConfigurationName     string            `json:"observabilityConfigurationName,omitempty"`
	ObservabilityConfigurationRevision int               `json:"observabilityConfigurationRevision,omitempty"`
	ObservabilityConfigurationARN      string            `json:"observabilityConfigurationArn,omitempty"`
	Tags                               map[string]string `json:"tags,omitempty"`
}

// UnmarshalJSON accepts createdAgo as a Go duration string.
func (c *SeedConnection) UnmarshalJSON(data []byte) error {
	type plain SeedConnection
	aux := struct {
		*plain
		CreatedAgo string `json:"createdAgo"`
	}{plain: (*plain)(c)}
	if err := strictUnmarshal(data, &aux); err != nil {
		return fmt.Errorf("connection: %w", err)
	}
	return parseAgo(aux.CreatedAgo, &c.CreatedAgo)
}

// UnmarshalJSON accepts createdAgo as a Go duration string.
func (sv *SeedService) UnmarshalJSON(data []byte) error {
	type plain SeedService
	aux := struct {
		*plain
		CreatedAgo string `json:"createdAgo"`
	}{plain: (*plain)(sv)}
	if err := strictUnmarshal(data, &aux); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	return parseAgo(aux.CreatedAgo, &sv.CreatedAgo)
}

func parseAgo(s string, d *time.Duration) error {
	if s == "" {
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("createdAgo: %w", err)
	}
	*d = v
	return nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// ParseSeed decodes and checks a seed in its JSON form. Unknown fields are
// errors, to catch typos in hand-written seeds.
func ParseSeed(data []byte) (*Seed, error) {
	var seed Seed
	if err := strictUnmarshal(data, &seed); err != nil {
		return nil, fmt.Errorf("parse seed: %w", err)
	}
	if err := seed.validate(); err != nil {
		return nil, fmt.Errorf("parse seed: %w", err)
	}
	return &seed, nil
}

// LoadSeedFile reads and parses a seed file.
func LoadSeedFile(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load seed: %w", err)
	}
	seed, err := ParseSeed(data)
	if err != nil {
		return nil, fmt.Errorf("load seed %s: %w", path, err)
	}
	return seed, nil
}

func (seed *Seed) validate() error {
	var errs []error
	for _, account := range sortedKeys(seed.Accounts) {
		if !accountRE.MatchString(account) {
			errs = append(errs, fmt.Errorf("account %q: not 12 digits", account))
		}
		regions := seed.Accounts[account]
		for _, region := range sortedKeys(regions) {
			if !regionRE.MatchString(region) {
				errs = append(errs, fmt.Errorf("account %s: region %q: not a region name", account, region))
			}
			r := regions[region]
			for i, c := range r.Connections {
				if err := c.validate(); err != nil {
					errs = append(errs, fmt.Errorf("%s/%s: connection %d: %w", account, region, i, err))
				}
			}
			for i, sv := range r.Services {
				if err := sv.validate(); err != nil {
					errs = append(errs, fmt.Errorf("%s/%s: service %d: %w", account, region, i, err))
				}
			}
			errs = append(errs, r.validateResources(account+"/"+region)...)
		}
	}
	if seed.Organization != nil {
		errs = append(errs, seed.Organization.validate())
	}
	return errors.Join(errs...)
}

func (c *SeedConnection) validate() error {
	var errs []error
	if !connectionNameRE.MatchString(c.Name) {
		errs = append(errs, fmt.Errorf("name %q: must match %s", c.Name, connectionNameRE))
	}
	if c.ID != "" && !idRE.MatchString(c.ID) {
		errs = append(errs, fmt.Errorf("id %q: must be 32 lowercase hex digits", c.ID))
	}
	if c.ProviderType != "" && !slices.Contains(providerTypes, c.ProviderType) {
		errs = append(errs, fmt.Errorf("providerType %q: must be one of %v", c.ProviderType, providerTypes))
	}
	if c.Status != "" && !slices.Contains(connectionStatuses, c.Status) {
		errs = append(errs, fmt.Errorf("status %q: must be one of %v", c.Status, connectionStatuses))
	}
	errs = append(errs, validateCreated(c.CreatedAt, c.CreatedAgo), validateTags(c.Tags))
	return errors.Join(errs...)
}

func (sv *SeedService) validate() error {
	var errs []error
	if !serviceNameRE.MatchString(sv.Name) {
		errs = append(errs, fmt.Errorf("name %q: must match %s", sv.Name, serviceNameRE))
	}
	if sv.ID != "" && !idRE.MatchString(sv.ID) {
		errs = append(errs, fmt.Errorf("id %q: must be 32 lowercase hex digits", sv.ID))
	}
	if sv.Status != "" && !slices.Contains(serviceStatuses, sv.Status) {
		errs = append(errs, fmt.Errorf("status %q: must be one of %v", sv.Status, serviceStatuses))
	}
	if sv.ConnectionName != "" && sv.ConnectionARN != "" {
		errs = append(errs, errors.New("set connectionName or connectionArn, not both"))
	}
	errs = append(errs, sv.validateRefs()...)
	errs = append(errs, validateCreated(sv.CreatedAt, sv.CreatedAgo), validateTags(sv.Tags))
	return errors.Join(errs...)
}

func validateCreated(at time.Time, ago time.Duration) error {
	switch {
	case !at.IsZero() && ago != 0:
		return errors.New("set createdAt or createdAgo, not both")
	case ago < 0:
		return fmt.Errorf("createdAgo %s: must not be negative", ago)
	}
	return nil
}

func validateTags(tags map[string]string) error {
	var v validator
	for _, k := range sortedKeys(tags) {
		v.tagKey("tags", k)
		val := tags[k]
		v.str("tags."+k, &val, 0, 256, nil)
	}
	if err := v.err(); err != nil {
		return errors.New(err.msg)
	}
	return nil
}

func createdTime(at time.Time, ago time.Duration, now time.Time) time.Time {
	switch {
	case !at.IsZero():
		return at.Round(0)
	default:
		return now.Add(-ago)
	}
}

// Load adds the resources of a seed. It checks the whole seed before adding
// anything: names must not clash with live resources (nor revisions with
// ACTIVE ones), ARNs must be new, what a service uses (connection, VPC
// connector, configurations) must exist in its account and region (in the
// store or earlier in the seed), an account and region has at most one
// default auto scaling configuration, and there is at most one
// organization. Load may be called several times.
func (s *Server) Load(seed *Seed) error {
	if err := seed.validate(); err != nil {
		return fmt.Errorf("load seed: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// One stamp for the whole seed: it is one change. Times given as
	// CreatedAgo count back from it.
	l := newLoading(s.st, s.stamp())
	for _, account := range sortedKeys(seed.Accounts) {
		regions := seed.Accounts[account]
		for _, region := range sortedKeys(regions) {
			l.region(scope{account: account, region: region}, regions[region])
		}
	}
	if seed.Organization != nil {
		l.organization(seed.Organization)
	}
	if err := errors.Join(l.errs...); err != nil {
		return fmt.Errorf("load seed: %w", err)
	}
	l.commit()
	return nil
}

// loading is one Load in progress. It holds what the seed adds, and checks
// each resource against the store and against what the seed added before
// it, until commit adds them all.
type loading struct {
	st       *store
	now      time.Time
	conns    []*connection
	services []*service
	connARNs map[string]*connection
	// connNames and svcNames hold the live resources only: a deleted one
	// leaves its name free.
	connNames map[scopedName]*connection
	svcARNs   map[string]bool
	svcNames  map[scopedName]bool
	loadingResources
	org  *organization
	errs []error
}

type scopedName struct {
	scope
	name string
}

func newLoading(st *store, now time.Time) *loading {
	return &loading{
		st: st, now: now,
		connARNs: map[string]*connection{}, connNames: map[scopedName]*connection{},
		svcARNs: map[string]bool{}, svcNames: map[scopedName]bool{},
		loadingResources: loadingResources{
			resARNs: map[string]*resource{}, resRevs: map[scopedKindName][]*resource{}, defaults: map[scope]*resource{},
		},
	}
}

// region loads one account's region: its connections, VPC connectors and
// configurations first, so that its services can use them.
func (l *loading) region(sc scope, r SeedRegion) {
	l.resources(sc, r)
	for _, c := range r.Connections {
		l.connection(sc, c)
	}
	for _, ss := range r.Services {
		l.service(sc, ss)
	}
}

// connection takes one seeded connection, or records why it cannot be
// added.
func (l *loading) connection(sc scope, c SeedConnection) {
	conn := newSeedConnection(sc, c, l.now)
	name := scopedName{sc, conn.name}
	live := conn.status != ConnectionDeleted
	switch {
	case l.st.conns[conn.arn] != nil || l.connARNs[conn.arn] != nil:
		l.errs = append(l.errs, fmt.Errorf("connection %s already exists", conn.arn))
	case live && (l.st.liveConnectionByName(sc, conn.name) != nil || l.connNames[name] != nil):
		l.errs = append(l.errs, fmt.Errorf("%s/%s: connection name %s already in use", sc.account, sc.region, conn.name))
	default:
		l.connARNs[conn.arn] = conn
		if live {
			l.connNames[name] = conn
		}
		l.conns = append(l.conns, conn)
	}
}

// service takes one seeded service, or records why it cannot be added.
func (l *loading) service(sc scope, ss SeedService) {
	connARN, err := l.serviceConnection(sc, ss)
	refs, refErr := l.serviceRefs(sc, ss)
	if err := errors.Join(err, refErr); err != nil {
		l.errs = append(l.errs, fmt.Errorf("%s/%s: service %s: %w", sc.account, sc.region, ss.Name, err))
		return
	}
	sv := newSeedService(sc, ss, connARN, refs, l.now)
	name := scopedName{sc, sv.name}
	live := sv.status != ServiceDeleted
	switch {
	case l.st.services[sv.arn] != nil || l.svcARNs[sv.arn]:
		l.errs = append(l.errs, fmt.Errorf("service %s already exists", sv.arn))
	case live && (l.st.liveServiceByName(sc, sv.name, l.now) != nil || l.svcNames[name]):
		l.errs = append(l.errs, fmt.Errorf("%s/%s: service name %s already in use", sc.account, sc.region, sv.name))
	default:
		l.svcARNs[sv.arn] = true
		if live {
			l.svcNames[name] = true
		}
		l.services = append(l.services, sv)
	}
}

// serviceConnection returns the ARN of the connection a seeded service
// uses, if any, found in the service's account and region: by name among
// the live connections, or by ARN among all.
func (l *loading) serviceConnection(sc scope, ss SeedService) (string, error) {
	switch {
	case ss.ConnectionName != "":
		conn := l.connNames[scopedName{sc, ss.ConnectionName}]
		if conn == nil {
			conn = l.st.liveConnectionByName(sc, ss.ConnectionName)
		}
		if conn == nil {
			return "", fmt.Errorf("no connection named %s", ss.ConnectionName)
		}
		return conn.arn, nil
	case ss.ConnectionARN != "":
		conn := l.connARNs[ss.ConnectionARN]
		if conn == nil {
			conn = l.st.conns[ss.ConnectionARN]
		}
		if conn == nil || conn.scope != sc {
			return "", fmt.Errorf("no connection %s in this account and region", ss.ConnectionARN)
		}
	}
	return ss.ConnectionARN, nil
}

// organization takes the seed's organization, unless there is one already:
// the emulator serves one organization.
func (l *loading) organization(so *SeedOrganization) {
	if l.st.org != nil {
		l.errs = append(l.errs, fmt.Errorf("organization %s: organization %s is already loaded", so.ID, l.st.org.id))
		return
	}
	l.org = newOrganization(so, l.now)
}

// commit adds everything the seed holds; the checks have all passed.
func (l *loading) commit() {
	if l.org != nil {
		l.st.org = l.org
	}
	l.commitResources()
	for _, c := range l.conns {
		l.st.addConnection(c)
	}
	for _, sv := range l.services {
		l.st.addService(sv)
	}
}

func newSeedConnection(sc scope, c SeedConnection, now time.Time) *connection {
	id := c.ID
	if id == "" {
		id = randomHex(32)
	}
	conn := &connection{
		scope: sc, arn: connectionARN(sc, c.Name, id), name: c.Name, id: id,
		provider: c.ProviderType, status: c.Status,
		createdAt: createdTime(c.CreatedAt, c.CreatedAgo, now),
		tags:      maps.Clone(c.Tags),
	}
	if conn.provider == "" {
		conn.provider = "GITHUB"
	}
	if conn.status == "" {
		conn.status = ConnectionAvailable
	}
	if conn.tags == nil {
		conn.tags = map[string]string{}
	}
	if conn.status == ConnectionDeleted {
		conn.deletedAt = now
	}
	return conn
}

func newSeedService(sc scope, ss SeedService, connARN string, refs seedRefs, now time.Time) *service {
	id := ss.ID
	if id == "" {
		id = randomHex(32)
	}
	var src sourceConfiguration
	if connARN != "" {
		src = sourceConfiguration{
			AuthenticationConfiguration: &authenticationConfiguration{ConnectionArn: ptr(connARN)},
			AutoDeploymentsEnabled:      ptr(true),
			CodeRepository: &codeRepository{
				RepositoryUrl:     ptr("https://github.com/example/" + ss.Name),
				SourceCodeVersion: &sourceCodeVersion{Type: ptr("BRANCH"), Value: ptr("main")},
				CodeConfiguration: &codeConfiguration{ConfigurationSource: ptr("REPOSITORY")},
			},
		}
	} else {
		src = sourceConfiguration{
			AutoDeploymentsEnabled: ptr(false),
			ImageRepository: &imageRepository{
				ImageIdentifier:     ptr("public.ecr.aws/aws-containers/hello-app-runner:latest"),
				ImageRepositoryType: ptr("ECR_PUBLIC"),
				ImageConfiguration:  &imageConfiguration{Port: ptr("8000")},
			},
		}
	}
	status := ss.Status
	if status == "" {
		status = ServiceRunning
	}
	tags := maps.Clone(ss.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	cfg := defaultConfig(sc, src)
	refs.apply(&cfg)
	return newService(sc, ss.Name, id, status, createdTime(ss.CreatedAt, ss.CreatedAgo, now), cfg, tags)
}

// AddConnection adds one connection, as Load would, and returns its ARN.
// It is cheap enough to create thousands.
func (s *Server) AddConnection(account, region string, c SeedConnection) (string, error) {
	seedRegion := SeedRegion{Connections: []SeedConnection{c}}
	if c.ID == "" {
		c.ID = randomHex(32)
		seedRegion.Connections[0] = c
	}
	if err := s.Load(&Seed{Accounts: map[string]map[string]SeedRegion{account: {region: seedRegion}}}); err != nil {
		return "", fmt.Errorf("add connection %s: %w", c.Name, err)
	}
	return connectionARN(scope{account: account, region: region}, c.Name, c.ID), nil
}

// AddService adds one service, as Load would, and returns its ARN.
func (s *Server) AddService(account, region string, sv SeedService) (string, error) {
	if sv.ID == "" {
		sv.ID = randomHex(32)
	}
	seed := &Seed{Accounts: map[string]map[string]SeedRegion{account: {region: {Services: []SeedService{sv}}}}}
	if err := s.Load(seed); err != nil {
		return "", fmt.Errorf("add service %s: %w", sv.Name, err)
	}
	return serviceARN(scope{account: account, region: region}, sv.Name, sv.ID), nil
}
