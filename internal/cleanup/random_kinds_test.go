package cleanup_test

// Randomized engine test over every kind of leftover: each case builds an
// emulated App Runner world with App Runner's own in-use guard off (so
// that only the engine stands between a used resource and its deletion)
// and random connections, VPC connectors, auto scaling and observability
// configurations (several revisions of some names, App Runner's own
// DefaultConfiguration, sometimes an account default), random services
// using them, an engine with a random policy (the kinds it cleans up among
// them), and random batches of raw requests run as the trigger runs them
// (runRequests). Each run is then checked against the emulator's ground
// truth taken before it: what was really deleted must be safe, every
// resource asked about must have exactly one result, and each result must
// be the one the policy gives, which a model of the policy computes from
// the world alone.
//
// The seed and the number of cases are those of TestRandomEngine
// (-random.seed, -random.cases, $RANDOM_ENGINE_SEED, $RANDOM_ENGINE_CASES),
// with a smaller default number of cases.

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

func TestRandomEngineOverEveryKind(t *testing.T) {
	rndCases(t, "TestRandomEngineOverEveryKind", 200, 50, rkRunCase)
}

// FuzzEngineOverEveryKind is TestRandomEngineOverEveryKind with the
// fuzzer's bytes making the choices (see FuzzEngine):
//
//	go test -run XXX -fuzz FuzzEngineOverEveryKind -fuzztime 120s ./internal/cleanup/
func FuzzEngineOverEveryKind(f *testing.F) {
	// The first bytes choose the configured kinds, the dry run, the
	// minimum age, the idle period and the protection tag key.
	for _, seed := range [][]byte{
		nil,
		{15, 0, 0, 0, 1},
		{15, 1, 2, 2, 1},
		{1, 0, 1, 0, 0},
		{6, 0, 3, 3, 2},
		[]byte("every kind, every revision, the account's default"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rkRunCase(t, rndDiceFromBytes(data), nil)
	})
}

// ---- the world ------------------------------------------------------------

var (
	rkHome    = rndScope{account, region}
	rkForeign = []rndScope{{"222222222222", region}, {account, "eu-west-1"}}
	rkWords   = map[request.Kind][]string{
		request.KindConnection:    {"gh", "bb"},
		request.KindVPCConnector:  {"vpc", "net"},
		request.KindAutoScaling:   {"scale", "bb"},
		request.KindObservability: {"obs", "gh"},
	}
	rkProtectKeys   = []string{"apprunner-cleanup:protect", "apprunner-cleanup:protect", "keep"}
	rkProtectValues = []string{"true", "false", "FALSE", "yes", ""}
)

const rkDefaultName = "DefaultConfiguration"

// rkRes is one resource of any kind as the emulator holds it.
type rkRes struct {
	kind      request.Kind
	arn, name string
	live      bool // connections: not DELETED; the other kinds: ACTIVE
	createdAt time.Time
	tags      map[string]string
	isDefault bool // the account's default auto scaling configuration
}

// rkSnap is the emulator's ground truth of the engine's scope at one
// moment.
type rkSnap struct {
	res   map[string]rkRes
	users map[string][]string                    // resource ARN -> services not DELETED using it
	svcs  map[string]apprunnerlocal.ServiceState // every service, DELETED ones included
}

type rkWorld struct {
	emu     *apprunnerlocal.Server
	clock   *rndClock
	admin   *apprunner.Client
	conns   []string // connections of the engine's scope, DELETED ones too
	svcs    []string // services of the engine's scope, DELETED ones too
	foreign []string // resources of other scopes
	// foreignLive says which of them were live when seeded.
	foreignLive map[string]bool
	names       map[request.Kind][]string // names used in the engine's scope
	vpcActive   map[string]bool           // VPC connector names with an ACTIVE one
	hasDefault  bool
	serial      int
}

func (w *rkWorld) id() string {
	w.serial++
	x := uint64(w.serial) * 0x9e3779b97f4a7c15
	y := (x ^ x>>29) * 0xbf58476d1ce4e5b9
	return fmt.Sprintf("%016x%016x", x, y)
}

func rkTags(d rndDice, now, created time.Time) map[string]string {
	tags := map[string]string{}
	if rndChance(d, 2, 5) {
		tags[rndPick(d, rkProtectKeys...)] = rndPick(d, rkProtectValues...)
	}
	if rndChance(d, 1, 4) {
		tags["team"] = "platform"
	}
	if rndChance(d, 2, 5) {
		// An idle mark: honest (old or recent), or one this function
		// never writes (not a time, in the future, before the creation).
		tags[cleanup.MarkTagKey] = rndPick(d,
			now.Add(-8*24*time.Hour).Format(time.RFC3339), now.Add(-2*time.Hour).Format(time.RFC3339),
			now.Add(-25*time.Hour).Format(time.RFC3339), now.Add(-time.Hour).Format(time.RFC3339),
			"soon", "", now.Add(48*time.Hour).Format(time.RFC3339),
			created.Add(-10*24*time.Hour).Format(time.RFC3339))
	}
	return tags
}

// name picks a name for a new resource of kind k: a new one, or one of
// the kind already has (another revision), or App Runner's own name.
func (w *rkWorld) name(d rndDice, k request.Kind, sc rndScope) string {
	if sc == rkHome && k != request.KindConnection {
		if k == request.KindAutoScaling && rndChance(d, 1, 10) {
			return rkDefaultName // a revision of App Runner's own name
		}
		if used := w.names[k]; len(used) > 0 && rndChance(d, 1, 3) {
			return rndPick(d, used...)
		}
	}
	return fmt.Sprintf("%s-%s-%d", rndPick(d, rndNamePrefixes...), rndPick(d, rkWords[k]...), w.serial+1)
}

// add seeds one resource of kind k in sc and returns its ARN.
func (w *rkWorld) add(t testing.TB, d rndDice, k request.Kind, sc rndScope, minAge time.Duration) string {
	t.Helper()
	now := w.clock.now()
	created := now.Add(-rndAge(d, minAge))
	name := w.name(d, k, sc)
	tags := rkTags(d, now, created)
	id := w.id()
	inactive := rndChance(d, 1, 6)
	status := apprunnerlocal.ResourceActive
	if inactive {
		status = apprunnerlocal.ResourceInactive
	}
	var arn string
	var err error
	switch k {
	case request.KindConnection:
		cs := rndPick(d, rndConnStates...)
		arn, err = w.emu.AddConnection(sc.account, sc.region, apprunnerlocal.SeedConnection{
			Name: name, ID: id, ProviderType: rndPick(d, "GITHUB", "BITBUCKET"), Status: cs, CreatedAt: created, Tags: tags})
		inactive = cs == apprunnerlocal.ConnectionDeleted
	case request.KindVPCConnector:
		if sc == rkHome && w.vpcActive[name] && !inactive {
			// One ACTIVE connector a name.
			name = fmt.Sprintf("%s-vpc-%d", rndPick(d, rndNamePrefixes...), w.serial)
		}
		arn, err = w.emu.AddVPCConnector(sc.account, sc.region, apprunnerlocal.SeedVPCConnector{
			Name: name, ID: id, Status: status, Subnets: []string{"subnet-" + id[:8]}, CreatedAt: created, Tags: tags})
		if err == nil && sc == rkHome && !inactive {
			w.vpcActive[name] = true
		}
	case request.KindAutoScaling:
		def := sc == rkHome && !inactive && !w.hasDefault && rndChance(d, 1, 4)
		arn, err = w.emu.AddAutoScalingConfiguration(sc.account, sc.region, apprunnerlocal.SeedAutoScalingConfiguration{
			Name: name, ID: id, Status: status, Default: def, CreatedAt: created, Tags: tags})
		if err == nil && def {
			w.hasDefault = true
		}
	case request.KindObservability:
		arn, err = w.emu.AddObservabilityConfiguration(sc.account, sc.region, apprunnerlocal.SeedObservabilityConfiguration{
			Name: name, ID: id, Status: status, TraceVendor: rndPick(d, "", "AWSXRAY"), CreatedAt: created, Tags: tags})
	}
	if err != nil {
		t.Fatalf("seed %s %s: %v", k, name, err)
	}
	switch {
	case sc != rkHome:
		w.foreign = append(w.foreign, arn)
		w.foreignLive[arn] = !inactive
	case k == request.KindConnection:
		w.conns = append(w.conns, arn)
	}
	if sc == rkHome && !slices.Contains(w.names[k], name) {
		w.names[k] = append(w.names[k], name)
	}
	return arn
}

// addService seeds a service of the engine's scope using random resources
// of each kind, gone ones and old revisions included; one without an auto
// scaling configuration gets App Runner's DefaultConfiguration.
func (w *rkWorld) addService(t testing.TB, d rndDice) string {
	t.Helper()
	id := w.id()
	sv := apprunnerlocal.SeedService{
		Name:      fmt.Sprintf("svc-%d", w.serial),
		ID:        id,
		Status:    rndPick(d, rndServiceStates...),
		CreatedAt: w.clock.now().Add(-time.Duration(d.intn(1000)) * time.Hour),
	}
	pick := func(states []apprunnerlocal.ResourceState) string {
		if len(states) == 0 {
			return ""
		}
		return states[d.intn(len(states))].ARN
	}
	if len(w.conns) > 0 && rndChance(d, 2, 3) {
		sv.ConnectionARN = rndPick(d, w.conns...)
	}
	if rndChance(d, 1, 2) {
		sv.VPCConnectorARN = pick(w.emu.VPCConnectors(rkHome.account, rkHome.region))
	}
	if !rndChance(d, 1, 3) {
		// DefaultConfiguration (revision 1) is among them.
		sv.AutoScalingConfigurationARN = pick(w.emu.AutoScalingConfigurations(rkHome.account, rkHome.region))
	}
	if rndChance(d, 1, 2) {
		sv.ObservabilityConfigurationARN = pick(w.emu.ObservabilityConfigurations(rkHome.account, rkHome.region))
	}
	arn, err := w.emu.AddService(rkHome.account, rkHome.region, sv)
	if err != nil {
		t.Fatalf("seed service: %v", err)
	}
	w.svcs = append(w.svcs, arn)
	return arn
}

func rkResState(k request.Kind, s apprunnerlocal.ResourceState) rkRes {
	return rkRes{kind: k, arn: s.ARN, name: s.Name, live: s.Status == apprunnerlocal.ResourceActive,
		createdAt: s.CreatedAt, tags: s.Tags, isDefault: s.IsDefault}
}

func (w *rkWorld) snap() rkSnap {
	s := rkSnap{res: map[string]rkRes{}, users: map[string][]string{}, svcs: map[string]apprunnerlocal.ServiceState{}}
	for _, arn := range w.conns {
		c, ok := w.emu.Connection(arn)
		if ok {
			s.res[arn] = rkRes{kind: request.KindConnection, arn: arn, name: c.Name, live: c.Status != apprunnerlocal.ConnectionDeleted,
				createdAt: c.CreatedAt, tags: c.Tags}
		}
	}
	for _, r := range w.emu.VPCConnectors(rkHome.account, rkHome.region) {
		s.res[r.ARN] = rkResState(request.KindVPCConnector, r)
	}
	for _, r := range w.emu.AutoScalingConfigurations(rkHome.account, rkHome.region) {
		s.res[r.ARN] = rkResState(request.KindAutoScaling, r)
	}
	for _, r := range w.emu.ObservabilityConfigurations(rkHome.account, rkHome.region) {
		s.res[r.ARN] = rkResState(request.KindObservability, r)
	}
	for _, arn := range w.svcs {
		sv, ok := w.emu.Service(arn)
		if !ok {
			continue
		}
		s.svcs[arn] = sv
		if sv.Status == apprunnerlocal.ServiceDeleted {
			continue
		}
		for _, ref := range rkRefs(sv) {
			s.users[ref] = append(s.users[ref], arn)
		}
	}
	return s
}

// rkRefs are the resources a service refers to.
func rkRefs(sv apprunnerlocal.ServiceState) []string {
	var out []string
	for _, a := range []string{sv.ConnectionARN, sv.VPCConnectorARN, sv.AutoScalingConfigurationARN, sv.ObservabilityConfigurationARN} {
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

// arns returns the ARNs of the snapshot's resources, of kind k when k is
// not empty, sorted.
func (s rkSnap) arns(k request.Kind, liveOnly bool) []string {
	var out []string
	for arn, r := range s.res {
		if (k == "" || r.kind == k) && (!liveOnly || r.live) {
			out = append(out, arn)
		}
	}
	sort.Strings(out)
	return out
}

// rkKindOf is the kind an ARN of the test's world names.
func rkKindOf(arn string) request.Kind {
	for _, k := range request.Kinds() {
		if strings.Contains(arn, ":"+k.ARNResource()+"/") {
			return k
		}
	}
	return ""
}

// rkNameOf is the name an ARN names.
func rkNameOf(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	f := strings.Split(p[len(p)-1], "/")
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// ---- the case -------------------------------------------------------------

type rkCase struct {
	w   *rkWorld
	cfg cleanup.Config
}

func rkRunCase(t *testing.T, d rndDice, stats *rndStats) {
	t.Helper()
	clock := &rndClock{}
	clock.ns.Store(rndBase.UnixNano())

	// Policy first: the fuzzer's first bytes choose it.
	var kinds []request.Kind
	mask := 1 + d.intn(15)
	for i, k := range request.Kinds() {
		if mask&(1<<i) != 0 {
			kinds = append(kinds, k)
		}
	}
	cfg := cleanup.Config{
		Account:        account,
		Region:         region,
		Kinds:          kinds,
		DryRun:         rndChance(d, 1, 5),
		MinAge:         rndPick(d, time.Duration(0), time.Hour, 24*time.Hour, 72*time.Hour),
		UnusedFor:      rndPick(d, time.Duration(0), 0, time.Hour, 24*time.Hour),
		ProtectTagKey:  rndPick(d, "", "apprunner-cleanup:protect", "apprunner-cleanup:protect", "keep"),
		MaxConcurrency: rndPick(d, 1, 4, 8),
		IndexTTL:       rndPick(d, time.Duration(0), time.Hour),
		Now:            clock.now,
	}
	for range d.intn(3) {
		cfg.NameExclude = append(cfg.NameExclude, rndPick(d, rndExcludeGlobs...))
	}
	if rndChance(d, 1, 3) {
		for range 1 + d.intn(2) {
			cfg.NameInclude = append(cfg.NameInclude, rndPick(d, rndIncludeGlobs...))
		}
	}

	emu := apprunnerlocal.New(apprunnerlocal.Options{DisableInUseGuard: true, Now: clock.now, EmptyPageQuirk: rndChance(d, 1, 2)})
	client := func() *apprunner.Client {
		return apprunnerlocal.NewClient("http://apprunner.test", region, "AKIDTEST", func(o *apprunner.Options) {
			o.HTTPClient, o.Retryer = rndDirect{emu}, aws.NopRetryer{}
		})
	}
	w := &rkWorld{emu: emu, clock: clock, admin: client(), foreignLive: map[string]bool{},
		names: map[request.Kind][]string{}, vpcActive: map[string]bool{}}
	for _, k := range request.Kinds() {
		for range d.intn(9) {
			w.add(t, d, k, rkHome, cfg.MinAge)
		}
		for _, sc := range rkForeign {
			for range d.intn(2) {
				w.add(t, d, k, sc, cfg.MinAge)
			}
		}
	}
	for range d.intn(9) {
		w.addService(t, d)
	}
	e, err := cleanup.New(client(), cfg, nil)
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	c := &rkCase{w: w, cfg: cfg}
	stats.add("cases", 1)

	for b := range 1 + d.intn(3) {
		if b > 0 {
			clock.advance(rndPick(d, time.Minute, 2*time.Hour, 25*time.Hour, 8*24*time.Hour))
			for range d.intn(3) {
				c.mutate(t, d)
			}
		}
		before := w.snap()
		unsafeBefore := len(emu.UnsafeDeletions())
		raws, infos := c.requests(d, before, b)
		runCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		rep := runRequests(runCtx, t, e, raws)
		cancel()
		after := w.snap()
		stats.add("runs", 1)
		stats.add("requests", len(raws))
		for _, r := range rep.Results {
			stats.add(fmt.Sprintf("%s %s", rndOr(string(r.ResourceType), "-"), r.Outcome), 1)
		}
		model := c.model(raws, infos, before)
		if bad := c.check(raws, infos, model, rep, before, after, emu.UnsafeDeletions()[unsafeBefore:]); len(bad) > 0 {
			t.Errorf("run %d: %d invariant(s) broken:\n  - %s\n\n%s", b, len(bad), strings.Join(bad, "\n  - "), c.describe(raws, rep, before, model))
			return
		}
	}
}

// mutate changes the world between two runs: a service added or deleted,
// a resource added, a tag written or removed.
func (c *rkCase) mutate(t *testing.T, d rndDice) {
	t.Helper()
	w := c.w
	ctx := context.Background()
	switch d.intn(4) {
	case 0:
		w.addService(t, d)
	case 1:
		var live []string
		for _, arn := range w.svcs {
			if sv, ok := w.emu.Service(arn); ok && sv.Status != apprunnerlocal.ServiceDeleted {
				live = append(live, arn)
			}
		}
		if len(live) > 0 {
			_, _ = w.admin.DeleteService(ctx, &apprunner.DeleteServiceInput{ServiceArn: aws.String(rndPick(d, live...))})
		}
	case 2:
		w.add(t, d, rndPick(d, request.Kinds()...), rkHome, c.cfg.MinAge)
	default:
		live := w.snap().arns("", true)
		if len(live) == 0 {
			return
		}
		arn := aws.String(rndPick(d, live...))
		key := rndPick(d, append(rkProtectKeys, cleanup.MarkTagKey)...)
		if rndChance(d, 1, 2) {
			v := rndPick(d, rkProtectValues...)
			if key == cleanup.MarkTagKey {
				v = w.clock.now().Add(-time.Duration(d.intn(200)) * time.Hour).Format(time.RFC3339)
			}
			_, _ = w.admin.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String(key), Value: aws.String(v)}}})
		} else {
			_, _ = w.admin.UntagResource(ctx, &apprunner.UntagResourceInput{ResourceArn: arn, TagKeys: []string{key}})
		}
	}
}

// ---- requests -------------------------------------------------------------

// rkInfo is what the generator knows about one request.
type rkInfo struct {
	rejected bool // Check must reject it whole
	// A sweep: the kinds it covers (nil: the configured ones), whether
	// the engine refuses them (a kind it does not clean up), and its
	// service, if any, and whether that is outside the engine's scope.
	sweep       bool
	kinds       []request.Kind
	kindRefused bool
	svc         string
	svcRefused  bool
	// A deletion: the ARNs it names that the engine decides (canonical),
	// those it must refuse by name (another scope, or a kind it does not
	// clean up), and how many distinct malformed entries it has.
	named, refused []string
	bad            int
	after          time.Duration // afterUnusedFor
}

func (c *rkCase) requests(d rndDice, before rkSnap, b int) ([]request.RawRequest, []rkInfo) {
	n := 1 + d.intn(4)
	var raws []request.RawRequest
	var infos []rkInfo
	for i := range n {
		raw := request.RawRequest{ID: fmt.Sprintf("b%d-m%d", b, i), DryRun: rndChance(d, 1, 3)}
		var info rkInfo
		if rndChance(d, 2, 5) {
			v := rndPick(d, "0s", "1h", "30h", "7d")
			raw.AfterUnusedFor = &v
			info.after, _ = request.ParseAge(v)
		}
		switch k := d.intn(20); {
		case k < 7:
			raw.Action = request.ActionSweep
			c.sweepKinds(d, &raw, &info)
		case k < 9:
			raw.Action = request.ActionSweep
			c.sweepKinds(d, &raw, &info)
			info.svc, info.svcRefused = c.serviceARN(d)
			raw.ServiceARN = info.svc
		case k < 18:
			raw.Action = request.ActionDelete
			m := 1 + d.intn(8)
			if rndChance(d, 1, 8) {
				m = 12 + d.intn(10) // past the engine's lookup threshold
			}
			for range m {
				raw.ConnectionARNs = append(raw.ConnectionARNs, c.entry(d, &info, raw.ConnectionARNs, before))
			}
		case k < 19:
			// The ARNs of a deletion say their kinds: resourceTypes is
			// refused.
			raw.Action = request.ActionDelete
			raw.ConnectionARNs = []string{c.real(d, before, "")}
			raw.ResourceTypes = []string{string(rndPick(d, request.Kinds()...))}
			info.rejected = true
		default:
			raw.Action = request.ActionSweep
			raw.ResourceTypes = rndPick(d, []string{}, []string{"bucket"}, []string{"connection", "vpc-connectors"})
			info.rejected = true
		}
		raws = append(raws, raw)
		infos = append(infos, info)
	}
	return raws, infos
}

// sweepKinds chooses the kinds a sweep names: none (the configured
// ones), all, or some, perhaps some the engine does not clean up.
func (c *rkCase) sweepKinds(d rndDice, raw *request.RawRequest, info *rkInfo) {
	info.sweep = true
	switch d.intn(6) {
	case 0, 1:
		return
	case 2:
		raw.ResourceTypes = []string{"all"}
		info.kinds = request.Kinds()
	default:
		for _, k := range request.Kinds() {
			if rndChance(d, 1, 2) {
				raw.ResourceTypes = append(raw.ResourceTypes, rndPick(d, string(k), " "+string(k)))
				info.kinds = append(info.kinds, k)
			}
		}
		if len(info.kinds) == 0 {
			k := rndPick(d, request.Kinds()...)
			raw.ResourceTypes = []string{string(k)}
			info.kinds = []request.Kind{k}
		}
	}
	for _, k := range info.kinds {
		if !slices.Contains(c.cfg.Kinds, k) {
			info.kindRefused = true
		}
	}
}

// serviceARN picks the service of a sweep after a service deletion, and
// says whether it is outside the engine's scope.
func (c *rkCase) serviceARN(d rndDice) (string, bool) {
	w := c.w
	switch d.intn(5) {
	case 0, 1, 2:
		if len(w.svcs) > 0 {
			return rndPick(d, w.svcs...), false
		}
		fallthrough
	case 3:
		// A service App Runner does not know: every resource is swept.
		return fmt.Sprintf("arn:aws:apprunner:%s:%s:service/vanished-%d/%s", region, account, w.serial, w.id()), false
	default:
		return fmt.Sprintf("arn:aws:apprunner:%s:222222222222:service/theirs-%d/%s", region, w.serial, w.id()), true
	}
}

// real picks a resource of the engine's scope, of kind k or any: mostly
// live ones.
func (c *rkCase) real(d rndDice, before rkSnap, k request.Kind) string {
	live, all := before.arns(k, true), before.arns(k, false)
	switch {
	case len(live) > 0 && rndChance(d, 4, 5):
		return rndPick(d, live...)
	case len(all) > 0:
		return rndPick(d, all...)
	}
	return c.ghost(rndPick(d, request.Kinds()...))
}

// ghost is a well-formed ARN of the engine's scope that App Runner never
// knew.
func (c *rkCase) ghost(k request.Kind) string {
	w := c.w
	id := w.id()
	if k == request.KindConnection {
		return fmt.Sprintf("arn:aws:apprunner:%s:%s:connection/ghost-%d/%s", region, account, w.serial, id)
	}
	return fmt.Sprintf("arn:aws:apprunner:%s:%s:%s/ghost-%d/%d/%s", region, account, k.ARNResource(), w.serial, 1+w.serial%3, id)
}

// entry returns one ARN for a delete request and records what it is.
func (c *rkCase) entry(d rndDice, info *rkInfo, earlier []string, before rkSnap) string {
	name := func(s string) string {
		if slices.Contains(c.cfg.Kinds, rkKindOf(s)) {
			if !slices.Contains(info.named, s) {
				info.named = append(info.named, s)
			}
		} else if !slices.Contains(info.refused, s) {
			info.refused = append(info.refused, s)
		}
		return s
	}
	refuse := func(s string) string {
		if !slices.Contains(info.refused, s) {
			info.refused = append(info.refused, s)
		}
		return s
	}
	k := rndPick(d, request.Kinds()...)
	switch v := d.intn(20); {
	case v < 8:
		return name(c.real(d, before, k))
	case v < 9:
		// Surrounding blanks are trimmed.
		return rndPick(d, " ", "\t", "\n ") + name(c.real(d, before, k)) + rndPick(d, " ", "", "\r\n")
	case v < 10:
		// App Runner's own, or the account's default.
		for _, arn := range before.arns(request.KindAutoScaling, true) {
			if r := before.res[arn]; r.name == rkDefaultName || r.isDefault {
				if rndChance(d, 1, 2) {
					return name(arn)
				}
			}
		}
		return name(c.ghost(k))
	case v < 11:
		return name(c.ghost(k))
	case v < 13:
		if len(c.w.foreign) > 0 && rndChance(d, 2, 3) {
			return refuse(rndPick(d, c.w.foreign...))
		}
		return refuse(strings.Replace(c.real(d, before, k), ":"+account+":", ":999999999999:", 1))
	case v < 14:
		return refuse(strings.Replace(c.real(d, before, k), "arn:aws:", "arn:"+rndPick(d, "aws-cn:", "aws-us-gov:", "aws-iso-b:"), 1))
	case v < 17:
		s := rkMalformed(d, c.real(d, before, k))
		info.bad++ // at least one invalid result each; repeats counted once below
		for _, e := range earlier {
			if strings.TrimSpace(e) == strings.TrimSpace(s) {
				info.bad--
				break
			}
		}
		return s
	default:
		if len(earlier) > 0 {
			return rndPick(d, earlier...) // recorded as the first one was
		}
		return name(c.real(d, before, k))
	}
}

// rkMalformed spoils an ARN of any kind in one of the ways that must make
// it invalid.
func rkMalformed(d rndDice, arn string) string {
	k := rkKindOf(arn)
	p := strings.SplitN(arn, ":", 6)
	prefix := strings.Join(p[:5], ":") + ":"
	f := strings.Split(p[5], "/")
	id := f[len(f)-1]
	switch d.intn(10) {
	case 0:
		return rndPick(d, "", "   ")
	case 1:
		return strings.TrimSuffix(arn, id) + "0123456789ABCDEF0123456789ABCDEF"
	case 2:
		if k == request.KindConnection {
			return prefix + strings.Join([]string{f[0], f[1], "1", id}, "/") // a revision too many
		}
		return prefix + strings.Join([]string{f[0], f[1], id}, "/") // no revision
	case 3:
		if k == request.KindConnection {
			return strings.TrimSuffix(arn, id) + "abc123"
		}
		return prefix + strings.Join([]string{f[0], f[1], rndPick(d, "0", "x", "01"), id}, "/")
	case 4:
		return prefix + "service/" + strings.Join(f[1:], "/")
	case 5:
		return "arn:aws:s3:::my-bucket"
	case 6:
		return strings.Replace(arn, ":"+account+":", ":12345:", 1)
	case 7:
		return arn + "/extra"
	case 8:
		g := slices.Clone(f)
		g[1] = rndPick(d, "ab", "-bad-name", "bad.name")
		return prefix + strings.Join(g, "/")
	default:
		return strings.Replace(arn, ":apprunner:", ":apprunnr:", 1)
	}
}

// ---- the model ------------------------------------------------------------

// rkWaits is the shortest idle period some requesters ask for.
type rkWaits struct {
	d    time.Duration
	have bool
}

func (w *rkWaits) take(d time.Duration) {
	if !w.have || d < w.d {
		w.d, w.have = d, true
	}
}

// rkTarget is a resource the requests are about, and who asked.
type rkTarget struct {
	kind      request.Kind
	arn, name string
	ids       []string
	// namedReal and sweptReal: asked by a request that is not a dry run.
	named, namedReal, swept, sweptReal bool
	namedWaitReal, namedWaitAll        rkWaits
	sweptWaitReal, sweptWaitAll        rkWaits

	// What the policy decides (see expect).
	want   request.Outcome
	why    string
	dryRun bool
	// unmark: in use, and its mark is to be removed.
	unmark bool
}

// model computes, from the world before the run and the requests alone,
// which resources the run is about and what it decides of each.
func (c *rkCase) model(raws []request.RawRequest, infos []rkInfo, before rkSnap) map[string]*rkTarget {
	cfg := c.cfg
	targets := map[string]*rkTarget{}
	add := func(arn, id string, named, dry bool, wait time.Duration) {
		t := targets[arn]
		if t == nil {
			t = &rkTarget{kind: rkKindOf(arn), arn: arn, name: rkNameOf(arn)}
			if r, ok := before.res[arn]; ok {
				t.name = r.name
			}
			targets[arn] = t
		}
		if !slices.Contains(t.ids, id) {
			t.ids = append(t.ids, id)
		}
		if named {
			t.named = true
			t.namedWaitAll.take(wait)
			if !dry {
				t.namedReal = true
				t.namedWaitReal.take(wait)
			}
		} else {
			t.swept = true
			t.sweptWaitAll.take(wait)
			if !dry {
				t.sweptReal = true
				t.sweptWaitReal.take(wait)
			}
		}
	}
	for i, raw := range raws {
		info := infos[i]
		if info.rejected || info.kindRefused || info.svcRefused {
			continue
		}
		dry := cfg.DryRun || raw.DryRun
		if !info.sweep {
			for _, arn := range info.named {
				add(arn, raw.ID, true, dry, info.after)
			}
			continue
		}
		kinds := info.kinds
		if kinds == nil {
			kinds = cfg.Kinds
		}
		wait := max(cfg.UnusedFor, info.after)
		if sv, ok := before.svcs[info.svc]; ok {
			for _, ref := range rkRefs(sv) {
				if slices.Contains(kinds, rkKindOf(ref)) {
					add(ref, raw.ID, false, dry, wait)
				}
			}
			continue
		}
		for _, k := range kinds {
			for _, arn := range before.arns(k, true) {
				add(arn, raw.ID, false, dry, wait)
			}
		}
	}
	for _, t := range targets {
		t.want, t.why, t.dryRun = c.expect(t, before)
		if t.want == request.OutcomeInUse {
			t.unmark = t.namedReal && t.namedWaitReal.d > 0 || t.sweptReal && t.sweptWaitReal.d > 0
		}
	}
	return targets
}

// protectedName says why the name globs keep a name, or "".
func (c *rkCase) protectedName(name string) string {
	for _, g := range c.cfg.NameExclude {
		if ok, _ := path.Match(g, name); ok {
			return "its name matches exclude glob " + g
		}
	}
	if len(c.cfg.NameInclude) > 0 && !slices.ContainsFunc(c.cfg.NameInclude, func(g string) bool {
		ok, _ := path.Match(g, name)
		return ok
	}) {
		return "its name matches no include glob"
	}
	return ""
}

// protectedTag says why the protection tag keeps a resource, or "".
func (c *rkCase) protectedTag(tags map[string]string) string {
	key := c.cfg.ProtectTagKey
	if v, ok := tags[key]; key != "" && ok && !strings.EqualFold(v, "false") {
		return fmt.Sprintf("tag %s=%q", key, v)
	}
	return ""
}

func (c *rkCase) young(r rkRes) bool { return c.w.clock.now().Sub(r.createdAt) < c.cfg.MinAge }

// idleFor says whether a resource's mark is one to believe and at least
// wait old.
func (c *rkCase) idleFor(r rkRes, wait time.Duration) bool {
	if wait == 0 {
		return true
	}
	at, ok := c.believable(r, r.tags)
	return ok && c.w.clock.now().Sub(at) >= wait
}

// believable reads a mark that this function would have written.
func (c *rkCase) believable(r rkRes, tags map[string]string) (time.Time, bool) {
	v, ok := tags[cleanup.MarkTagKey]
	at, err := time.Parse(time.RFC3339, v)
	now := c.w.clock.now()
	return at, ok && err == nil && !at.After(now.Add(time.Minute)) && !at.Before(r.createdAt.Add(-time.Minute))
}

// expect is the policy's decision of a target, the world as it was
// before the run.
func (c *rkCase) expect(t *rkTarget, before rkSnap) (request.Outcome, string, bool) {
	r, ok := before.res[t.arn]
	switch {
	case !ok || !r.live:
		return request.OutcomeAlreadyDeleted, "gone", false
	case t.kind == request.KindAutoScaling && r.name == rkDefaultName:
		return request.OutcomeProtected, "App Runner's own", false
	case r.isDefault:
		return request.OutcomeProtected, "the account's default", false
	case c.protectedName(r.name) != "":
		return request.OutcomeProtected, c.protectedName(r.name), false
	case !t.named && c.young(r):
		return request.OutcomeTooYoung, "young", false
	case len(before.users[t.arn]) > 0:
		return request.OutcomeInUse, "used by " + strings.Join(before.users[t.arn], ", "), false
	case c.protectedTag(r.tags) != "":
		return request.OutcomeProtected, c.protectedTag(r.tags), false
	}
	var real, all rkWaits
	if t.namedReal {
		real.take(t.namedWaitReal.d)
	}
	if t.sweptReal && !c.young(r) {
		real.take(t.sweptWaitReal.d)
	}
	if t.named {
		all.take(t.namedWaitAll.d)
	}
	if t.swept && !c.young(r) {
		all.take(t.sweptWaitAll.d)
	}
	w, dry := real.d, !real.have
	if dry {
		w = all.d
	}
	if !c.idleFor(r, w) {
		if _, ok := c.believable(r, r.tags); !ok && r.createdAt.After(c.w.clock.now().Add(time.Minute)) {
			// Created after the engine's clock: no mark it writes would
			// be believed, so it writes none.
			return request.OutcomeTooYoung, "created after the clock", dry
		}
		return request.OutcomeMarked, fmt.Sprintf("idle period %s not over", w), dry
	}
	if dry {
		return request.OutcomeWouldDelete, "free, dry run", true
	}
	return request.OutcomeDeleted, "free", false
}

// ---- invariants -----------------------------------------------------------

func (c *rkCase) check(raws []request.RawRequest, infos []rkInfo, model map[string]*rkTarget, rep *request.Report,
	before, after rkSnap, unsafe []apprunnerlocal.UnsafeDeletion) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	cfg := c.cfg
	now := c.w.clock.now()

	// SAFETY, against what App Runner really holds.
	for _, u := range unsafe {
		fail("deleted %s while services not DELETED used it: %v", u.ResourceARN, u.ServiceARNs)
	}
	var deleted []string
	for arn, r := range before.res {
		if a, ok := after.res[arn]; r.live && (!ok || !a.live) {
			deleted = append(deleted, arn)
		}
	}
	sort.Strings(deleted)
	for _, arn := range c.w.foreign {
		live := false
		switch rkKindOf(arn) {
		case request.KindConnection:
			s, ok := c.w.emu.Connection(arn)
			live = ok && s.Status != apprunnerlocal.ConnectionDeleted
		case request.KindVPCConnector:
			s, _ := c.w.emu.VPCConnector(arn)
			live = s.Status == apprunnerlocal.ResourceActive
		case request.KindAutoScaling:
			s, _ := c.w.emu.AutoScalingConfiguration(arn)
			live = s.Status == apprunnerlocal.ResourceActive
		case request.KindObservability:
			s, _ := c.w.emu.ObservabilityConfiguration(arn)
			live = s.Status == apprunnerlocal.ResourceActive
		}
		if c.w.foreignLive[arn] && !live {
			fail("deleted %s, outside the engine's account and region", arn)
		}
	}
	for arn, r := range before.res {
		if r.kind == request.KindAutoScaling && r.live && (r.name == rkDefaultName || r.isDefault) && slices.Contains(deleted, arn) {
			fail("deleted %s, App Runner's own or the account's default auto scaling configuration", arn)
		}
	}
	for _, arn := range deleted {
		r := before.res[arn]
		t := model[arn]
		if !slices.Contains(cfg.Kinds, r.kind) {
			fail("deleted %s, a %s, which the engine does not clean up (kinds %v)", arn, r.kind, cfg.Kinds)
		}
		if u := before.users[arn]; len(u) > 0 {
			fail("deleted %s, used by %v", arn, u)
		}
		if cfg.DryRun {
			fail("deleted %s in a dry-run configuration", arn)
		}
		if why := c.protectedName(r.name); why != "" {
			fail("deleted %s (%s): %s", arn, r.name, why)
		}
		if why := c.protectedTag(r.tags); why != "" {
			fail("deleted %s (%s), protected by %s", arn, r.name, why)
		}
		if t == nil {
			fail("deleted %s, which no request asked about", arn)
			continue
		}
		sweptOnly := !t.namedReal
		switch {
		case !t.namedReal && !t.sweptReal:
			fail("deleted %s, which only dry-run requests asked about", arn)
		case sweptOnly && c.young(r):
			fail("deleted %s by a sweep alone, created %s ago, under the minimum age %s", arn, now.Sub(r.createdAt), cfg.MinAge)
		}
		// Some real requester's idle period must be over.
		ok := t.namedReal && c.idleFor(r, t.namedWaitReal.d) || t.sweptReal && !c.young(r) && c.idleFor(r, t.sweptWaitReal.d)
		if !ok {
			fail("deleted %s before any real requester's idle period was over (mark %q)", arn, r.tags[cleanup.MarkTagKey])
		}
	}
	// Marks: no dry run writes or removes one; what is not decided keeps
	// its own.
	for arn, r := range before.res {
		a, ok := after.res[arn]
		if !ok {
			continue
		}
		was, is := r.tags[cleanup.MarkTagKey], a.tags[cleanup.MarkTagKey]
		_, had := r.tags[cleanup.MarkTagKey]
		_, has := a.tags[cleanup.MarkTagKey]
		t := model[arn]
		switch {
		case t != nil && t.want == request.OutcomeMarked && !t.dryRun:
			if _, ok := c.believable(r, a.tags); !ok {
				fail("%s was marked, but its mark %q is not one to believe", arn, is)
			}
		case t != nil && t.unmark:
			if has {
				fail("%s is in use again, but its mark %q stayed", arn, is)
			}
		case was != is || had != has:
			fail("the mark of %s changed from %q to %q, though it was neither marked for real nor in use again", arn, was, is)
		}
	}

	// ACCOUNTING: the report against the model and the world.
	seen := map[string]int{}
	invalidOf := map[string]int{}
	var reported []string
	ids := map[string]bool{}
	for _, r := range raws {
		ids[r.ID] = true
	}
	for _, res := range rep.Results {
		if len(res.RequestIDs) == 0 {
			fail("result %s (%s) carries no request ID", res.ARN, res.Outcome)
		}
		for _, id := range res.RequestIDs {
			if !ids[id] {
				fail("result %s carries request ID %q, of no request", res.ARN, id)
			}
		}
		if res.Outcome == request.OutcomeInvalid {
			for _, id := range res.RequestIDs {
				invalidOf[id]++
			}
			continue
		}
		seen[res.ARN]++
		if res.Outcome == request.OutcomeDeleted {
			reported = append(reported, res.ARN)
		}
		if !slices.Contains(cfg.Kinds, res.ResourceType) {
			fail("%s %s is %s, though the engine cleans up %v only", res.ResourceType, res.ARN, res.Outcome, cfg.Kinds)
		}
		t := model[res.ARN]
		if t == nil {
			fail("%s %s (%s) is %s, though no request asked about it", res.ResourceType, res.Name, res.ARN, res.Outcome)
			continue
		}
		if res.ResourceType != t.kind || res.Name != t.name {
			fail("%s: result names %s %q, want %s %q", res.ARN, res.ResourceType, res.Name, t.kind, t.name)
		}
		if got, want := slices.Sorted(slices.Values(res.RequestIDs)), slices.Sorted(slices.Values(t.ids)); !slices.Equal(got, want) {
			fail("%s: request IDs %v, want %v", res.ARN, got, want)
		}
		r, known := before.res[res.ARN]
		a := after.res[res.ARN]
		switch res.Outcome {
		case request.OutcomeDeleted:
			if a.live {
				fail("%s is reported deleted, but App Runner still holds it", res.ARN)
			}
		case request.OutcomeInUse:
			if len(before.users[res.ARN]) == 0 {
				fail("%s is reported in_use (%s), but no service not DELETED used it", res.ARN, res.Reason)
			}
		case request.OutcomeAlreadyDeleted:
			if known && r.live {
				fail("%s is reported already_deleted (%s), but it was live", res.ARN, res.Reason)
			}
		case request.OutcomeWouldDelete, request.OutcomeMarked:
			if len(before.users[res.ARN]) > 0 {
				fail("%s is used by %v, yet %s", res.ARN, before.users[res.ARN], res.Outcome)
			}
		case request.OutcomeTooYoung:
			// Or, whoever asked, created after the engine's clock, when
			// a mark could not be believed.
			future := known && r.createdAt.After(c.w.clock.now().Add(time.Minute))
			if !future && (t.named || !known || !c.young(r)) {
				fail("%s is too_young (%s), but it was named or old enough", res.ARN, res.Reason)
			}
		}
		if res.Outcome != t.want {
			fail("%s %s (%s): %s (%s), the policy says %s (%s)", res.ResourceType, res.Name, res.ARN, res.Outcome, res.Reason, t.want, t.why)
		}
	}
	sort.Strings(reported)
	if !slices.Equal(reported, deleted) {
		fail("results say deleted %v; App Runner deleted %v", reported, deleted)
	}
	for _, arn := range slices.Sorted(maps.Keys(model)) {
		if seen[arn] != 1 {
			t := model[arn]
			fail("%s %s (%s), asked about by %v: %d results, want exactly one", t.kind, t.name, arn, t.ids, seen[arn])
		}
	}
	sum := 0
	for _, n := range rep.Counts {
		sum += n
	}
	if sum != len(rep.Results) {
		fail("counts add up to %d for %d results", sum, len(rep.Results))
	}

	// LIVENESS: free, old enough, unprotected and allowed, swept for real
	// without an idle period: deleted.
	for arn, t := range model {
		r, ok := before.res[arn]
		if ok && r.live && t.sweptReal && t.sweptWaitReal.d == 0 && !c.young(r) && len(before.users[arn]) == 0 &&
			c.protectedName(r.name) == "" && c.protectedTag(r.tags) == "" && !r.isDefault && !(r.kind == request.KindAutoScaling && r.name == rkDefaultName) {
			if a := after.res[arn]; a.live {
				fail("%s %s is free, old enough, unprotected and swept for real, but was not deleted", t.kind, arn)
			}
		}
	}

	// Every refusal is reported.
	for i, raw := range raws {
		info := infos[i]
		has := func(pred func(request.Result) bool) bool {
			return slices.ContainsFunc(rep.Results, func(res request.Result) bool {
				return res.Outcome == request.OutcomeInvalid && slices.Contains(res.RequestIDs, raw.ID) && pred(res)
			})
		}
		switch {
		case info.rejected:
			if invalidOf[raw.ID] != 1 {
				fail("request %s breaks a rule: %d invalid results, want one", raw.ID, invalidOf[raw.ID])
			}
			for _, res := range rep.Results {
				if res.Outcome != request.OutcomeInvalid && slices.Contains(res.RequestIDs, raw.ID) {
					fail("request %s was rejected whole, yet %s is %s for it", raw.ID, res.ARN, res.Outcome)
				}
			}
		case info.kindRefused:
			if !has(func(res request.Result) bool { return strings.Contains(res.Reason, "RESOURCE_TYPES") }) {
				fail("request %s sweeps %v, not all of %v: no invalid result names RESOURCE_TYPES", raw.ID, info.kinds, cfg.Kinds)
			}
		case info.svcRefused:
			if !has(func(res request.Result) bool { return res.ARN == info.svc }) {
				fail("request %s sweeps after service %s of another account: no invalid result for it", raw.ID, info.svc)
			}
		}
		if info.rejected {
			continue
		}
		for _, s := range info.refused {
			if !has(func(res request.Result) bool { return res.ARN == s }) {
				fail("request %s named %s, outside the engine's scope or kinds: no invalid result for it", raw.ID, s)
			}
		}
		if invalidOf[raw.ID] < info.bad+len(info.refused) {
			fail("request %s: %d invalid results, want at least %d", raw.ID, invalidOf[raw.ID], info.bad+len(info.refused))
		}
	}
	return bad
}

// describe prints a run for a person reading a failure.
func (c *rkCase) describe(raws []request.RawRequest, rep *request.Report, before rkSnap, model map[string]*rkTarget) string {
	var sb strings.Builder
	cfg := c.cfg
	now := c.w.clock.now()
	fmt.Fprintf(&sb, "engine: kinds %v dryRun=%v minAge=%s unusedFor=%s protectTag=%q include=%q exclude=%q concurrency=%d indexTTL=%s clock %s\n",
		cfg.Kinds, cfg.DryRun, cfg.MinAge, cfg.UnusedFor, cfg.ProtectTagKey, cfg.NameInclude, cfg.NameExclude, cfg.MaxConcurrency, cfg.IndexTTL, now.Format(time.RFC3339))
	sb.WriteString("requests:\n")
	for _, r := range raws {
		fmt.Fprintf(&sb, "  %s action=%q dryRun=%v resourceTypes=%q serviceArn=%q", r.ID, r.Action, r.DryRun, r.ResourceTypes, r.ServiceARN)
		if r.AfterUnusedFor != nil {
			fmt.Fprintf(&sb, " afterUnusedFor=%s", *r.AfterUnusedFor)
		}
		fmt.Fprintf(&sb, " arns=%q\n", r.ConnectionARNs)
	}
	sb.WriteString("resources before the run:\n")
	for _, arn := range before.arns("", false) {
		r := before.res[arn]
		fmt.Fprintf(&sb, "  %s live=%v default=%v age=%s tags=%v users=%v\n", arn, r.live, r.isDefault, now.Sub(r.createdAt), r.tags, before.users[arn])
	}
	sb.WriteString("services before the run:\n")
	for _, arn := range slices.Sorted(maps.Keys(before.svcs)) {
		sv := before.svcs[arn]
		fmt.Fprintf(&sb, "  %s %s uses %v\n", arn, sv.Status, rkRefs(sv))
	}
	sb.WriteString("the model:\n")
	for _, arn := range slices.Sorted(maps.Keys(model)) {
		t := model[arn]
		fmt.Fprintf(&sb, "  %s %s ids=%v named=%v/%v swept=%v/%v: %s (%s)\n", t.kind, arn, t.ids, t.named, t.namedReal, t.swept, t.sweptReal, t.want, t.why)
	}
	fmt.Fprintf(&sb, "report: dryRun=%v counts=%v\n", rep.DryRun, rep.Counts)
	for _, r := range rep.Results {
		fmt.Fprintf(&sb, "  %-15s %s %s ids=%v: %s\n", r.Outcome, r.ResourceType, rndExcerpt(r.ARN), r.RequestIDs, r.Reason)
	}
	return sb.String()
}
