package cleanup_test

// Randomized engine test: each case builds an emulated App Runner world with
// App Runner's own in-use guard off, an engine with a random policy, and
// random batches of raw requests, run as the trigger runs them (rndRun:
// RawRequest.Check, then one engine run of the valid requests, and the
// rejections added to the report); then it checks the engine's safety
// against what the emulator really holds, not against what it reports.
//
// The same generator and checker drive FuzzEngine (fuzz_engine_test.go),
// where the fuzzer's bytes make the choices instead of a seeded PRNG.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

var (
	rndSeedFlag  = flag.Uint64("random.seed", 0, "first seed of TestRandomEngine; case i uses seed+i (default: $RANDOM_ENGINE_SEED, else a fixed seed)")
	rndCasesFlag = flag.Int("random.cases", 0, "number of TestRandomEngine cases (default: $RANDOM_ENGINE_CASES, else 1000, or 100 with -short)")
)

// rndDefaultSeed is fixed so that a plain `go test` is reproducible.
const rndDefaultSeed = 20260301

// rndSettings returns the first seed and the number of cases: flags first,
// then environment variables, then the defaults (cases, or short with
// -short).
func rndSettings(t *testing.T, cases, short int) (uint64, int) {
	t.Helper()
	seed, n := uint64(rndDefaultSeed), cases
	if testing.Short() {
		n = short
	}
	if v := os.Getenv("RANDOM_ENGINE_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("RANDOM_ENGINE_SEED=%q: %v", v, err)
		}
		seed = s
	}
	if v := os.Getenv("RANDOM_ENGINE_CASES"); v != "" {
		c, err := strconv.Atoi(v)
		if err != nil || c < 1 {
			t.Fatalf("RANDOM_ENGINE_CASES=%q: want a positive number", v)
		}
		n = c
	}
	if *rndSeedFlag != 0 {
		seed = *rndSeedFlag
	}
	if *rndCasesFlag > 0 {
		n = *rndCasesFlag
	}
	return seed, n
}

func TestRandomEngine(t *testing.T) {
	rndCases(t, "TestRandomEngine", 1000, 100, func(t *testing.T, d rndDice, stats *rndStats) {
		rndRunCase(t, d, rndCaseOptions{realServer: true, stats: stats})
	})
}

// rndCases runs the cases of a randomized test named name, each with the
// dice of its seed, cases of them by default (short with -short; see
// rndSettings): in parallel, each failure saying how to rerun its case
// alone, and the log saying what the cases covered, so that a generator
// that drifted into trivial cases shows (go test -v).
func rndCases(t *testing.T, name string, cases, short int, run func(t *testing.T, d rndDice, stats *rndStats)) {
	seed, n := rndSettings(t, cases, short)
	t.Logf("cases %d, seeds %d..%d", n, seed, seed+uint64(n)-1)
	stats := &rndStats{n: map[string]int{}}
	t.Cleanup(func() { t.Logf("covered: %s", stats) })
	for i := range n {
		s := seed + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) {
			t.Parallel()
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("rerun this case alone: go test -race -run '%s' ./internal/cleanup/ -random.seed=%d -random.cases=1", name, s)
				}
			})
			run(t, rndDiceFromSeed(s), stats)
		})
	}
}

// ---- choices ------------------------------------------------------------

// rndDice makes every random choice of a case, so that a case is a function
// of its dice: a seeded PRNG for TestRandomEngine, the fuzzer's bytes for
// FuzzEngine. The world, the policy and the requests are then the same on
// every rerun; only which calls an injected fault hits may differ when the
// engine makes calls concurrently, as the fault sequence follows the order
// in which calls arrive.
type rndDice interface {
	intn(n int) int
}

type rndPCG struct{ r *rand.Rand }

func rndDiceFromSeed(seed uint64) rndDice {
	return &rndPCG{rand.New(rand.NewPCG(seed, 0x636c65616e7570))}
}

func (p *rndPCG) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return p.r.IntN(n)
}

// rndBytes takes its choices from data, one byte each (two for choices
// among more than 256), and once data runs out from a PRNG seeded with a
// hash of data: short inputs still make full cases, and the first bytes,
// which pick the policy and the shape of the world, stay under the
// fuzzer's control.
type rndBytes struct {
	data []byte
	rest *rand.Rand
}

func rndDiceFromBytes(data []byte) rndDice {
	h := fnv.New64a()
	_, _ = h.Write(data)
	return &rndBytes{data: data, rest: rand.New(rand.NewPCG(h.Sum64(), 0x66757a7a))}
}

func (b *rndBytes) intn(n int) int {
	if n <= 1 {
		return 0
	}
	if len(b.data) == 0 {
		return b.rest.IntN(n)
	}
	v := int(b.data[0])
	b.data = b.data[1:]
	if n > 256 && len(b.data) > 0 {
		v = v<<8 | int(b.data[0])
		b.data = b.data[1:]
	}
	return v % n
}

func rndPick[T any](d rndDice, xs ...T) T { return xs[d.intn(len(xs))] }

// rndChance is true num times in den.
func rndChance(d rndDice, num, den int) bool { return d.intn(den) < num }

// ---- the world ------------------------------------------------------------

const rndHomeAccount = "111111111111"

var (
	rndOtherAccounts = []string{"222222222222", "333333333333"}
	// Regions where App Runner exists, so that a policy of the engine on
	// regions cannot turn a case away.
	rndRegions       = []string{"us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2"}
	rndTagKeys       = []string{"apprunner-cleanup:protect", "protect", "keep"}
	rndTagValues     = []string{"true", "false", "FALSE", "yes", "", "1"}
	rndNamePrefixes  = []string{"app", "prod", "dev", "keep", "team-a", "Legacy", "x9"}
	rndIncludeGlobs  = []string{"app-*", "dev-*", "*-gh-*", "team-?-*", "*", "[a-d]*"}
	rndExcludeGlobs  = []string{"prod-*", "*keep*", "Legacy-*", "*-bb-1?", "[x]*"}
	rndServiceStates = []string{
		apprunnerlocal.ServiceRunning, apprunnerlocal.ServiceRunning, apprunnerlocal.ServicePaused,
		apprunnerlocal.ServiceOperationInProgress, apprunnerlocal.ServiceDeleteFailed,
		apprunnerlocal.ServiceCreateFailed, apprunnerlocal.ServiceDeleted, apprunnerlocal.ServiceDeleted,
	}
	rndConnStates = []string{
		apprunnerlocal.ConnectionAvailable, apprunnerlocal.ConnectionAvailable, apprunnerlocal.ConnectionAvailable,
		apprunnerlocal.ConnectionPendingHandshake, apprunnerlocal.ConnectionError, apprunnerlocal.ConnectionDeleted,
	}
	// rndBase is the emulator's and the engine's clock at the start of every
	// case: whole seconds, so that ages survive the wire exactly.
	rndBase = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

type rndScope struct{ account, region string }

func (s rndScope) String() string { return s.account + "/" + s.region }

// rndClock is shared by the emulator and the engine. It moves only between
// batches: creation ages, the index TTL and the token buckets then depend on
// the case alone, never on how fast the machine is.
type rndClock struct{ ns atomic.Int64 }

func (c *rndClock) now() time.Time           { return time.Unix(0, c.ns.Load()).UTC() }
func (c *rndClock) advance(by time.Duration) { c.ns.Add(int64(by)) }

type rndWorld struct {
	emu    *apprunnerlocal.Server
	clock  *rndClock
	home   rndScope // the engine's account and region
	scopes []rndScope
	conns  []string // every connection ARN seeded, in every scope, deleted ones too
	svcs   []string // every service ARN seeded
	serial int      // makes names and IDs unique
}

// rndID derives a 32-hex ID from the case's serial number, so that ARNs,
// and with them the emulator's list order, are the same on every rerun.
func (w *rndWorld) rndID() string {
	w.serial++
	x := uint64(w.serial) * 0x9e3779b97f4a7c15
	y := (x ^ x>>29) * 0xbf58476d1ce4e5b9
	return fmt.Sprintf("%016x%016x", x, y)
}

func (w *rndWorld) addConn(t testing.TB, d rndDice, sc rndScope, minAge time.Duration, status string) string {
	t.Helper()
	id := w.rndID()
	c := apprunnerlocal.SeedConnection{
		Name:         fmt.Sprintf("%s-%s-%d", rndPick(d, rndNamePrefixes...), rndPick(d, "gh", "bb"), w.serial),
		ID:           id,
		ProviderType: rndPick(d, "GITHUB", "BITBUCKET"),
		Status:       status,
		CreatedAt:    w.clock.now().Add(-rndAge(d, minAge)),
		Tags:         map[string]string{},
	}
	if rndChance(d, 2, 5) {
		c.Tags[rndPick(d, rndTagKeys...)] = rndPick(d, rndTagValues...)
	}
	if rndChance(d, 1, 4) {
		c.Tags["team"] = "platform"
	}
	if rndChance(d, 1, 3) {
		// An idle mark: honest (old or recent), or one this function
		// never writes (not a time, in the future, before the creation).
		now := w.clock.now()
		c.Tags[cleanup.MarkTagKey] = rndPick(d,
			now.Add(-8*24*time.Hour).Format(time.RFC3339), now.Add(-2*time.Hour).Format(time.RFC3339),
			now.Add(-25*time.Hour).Format(time.RFC3339), "soon", "", now.Add(48*time.Hour).Format(time.RFC3339),
			c.CreatedAt.Add(-10*24*time.Hour).Format(time.RFC3339))
	}
	arn, err := w.emu.AddConnection(sc.account, sc.region, c)
	if err != nil {
		t.Fatalf("seed connection: %v", err)
	}
	w.conns = append(w.conns, arn)
	return arn
}

// rndAge picks a creation age on either side of the minimum age, the
// boundary itself included, and sometimes in the future (clock skew).
func rndAge(d rndDice, minAge time.Duration) time.Duration {
	switch d.intn(9) {
	case 0:
		return 0
	case 1:
		return minAge - time.Second
	case 2:
		return minAge - time.Hour
	case 3:
		return minAge
	case 4:
		return minAge + time.Second
	case 5:
		return minAge + 24*time.Hour
	case 6:
		return -time.Hour
	default:
		return minAge + 400*24*time.Hour
	}
}

// addService adds a service in sc using one of sc's connections (deleted
// ones included, as a service may outlive its connection) or an image.
func (w *rndWorld) addService(t testing.TB, d rndDice, sc rndScope, status string) string {
	t.Helper()
	id := w.rndID()
	s := apprunnerlocal.SeedService{
		Name:      fmt.Sprintf("svc-%d", w.serial),
		ID:        id,
		Status:    status,
		CreatedAt: w.clock.now().Add(-time.Duration(d.intn(1000)) * time.Hour),
	}
	if own := w.connsIn(sc); len(own) > 0 && rndChance(d, 3, 4) {
		s.ConnectionARN = rndPick(d, own...)
	}
	arn, err := w.emu.AddService(sc.account, sc.region, s)
	if err != nil {
		t.Fatalf("seed service: %v", err)
	}
	w.svcs = append(w.svcs, arn)
	return arn
}

// addOldDeletedService adds a DELETED image service older than any other.
func (w *rndWorld) addOldDeletedService(t testing.TB, sc rndScope) {
	t.Helper()
	id := w.rndID()
	s := apprunnerlocal.SeedService{
		Name:      fmt.Sprintf("gone-%d", w.serial),
		ID:        id,
		Status:    apprunnerlocal.ServiceDeleted,
		CreatedAt: w.clock.now().Add(-time.Duration(2000+w.serial) * time.Hour),
	}
	if _, err := w.emu.AddService(sc.account, sc.region, s); err != nil {
		t.Fatalf("seed service: %v", err)
	}
}

func (w *rndWorld) connsIn(sc rndScope) []string {
	var out []string
	for _, arn := range w.conns {
		if rndScopeOf(arn) == sc {
			out = append(out, arn)
		}
	}
	return out
}

func (w *rndWorld) svcsIn(sc rndScope) []string {
	var out []string
	for _, arn := range w.svcs {
		if rndScopeOf(arn) == sc {
			out = append(out, arn)
		}
	}
	return out
}

// rndARNParts splits an ARN into partition, region and account; ok is false
// for anything that is not arn:P:apprunner:R:A:...
func rndARNParts(arn string) (partition, region, account string, ok bool) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "apprunner" {
		return "", "", "", false
	}
	return p[1], p[3], p[4], true
}

func rndScopeOf(arn string) rndScope {
	_, region, account, _ := rndARNParts(arn)
	return rndScope{account: account, region: region}
}

// rndPartitionOf is the partition of the regions these tests use.
func rndPartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// rndSnap is the emulator's ground truth at one moment.
type rndSnap struct {
	live  map[string]apprunnerlocal.ConnectionState // connections not deleted, every scope
	users map[string][]string                       // connection ARN -> services not DELETED using it
}

func (w *rndWorld) snap() rndSnap {
	s := rndSnap{live: map[string]apprunnerlocal.ConnectionState{}, users: map[string][]string{}}
	for _, sc := range w.scopes {
		for _, c := range w.emu.Connections(sc.account, sc.region) {
			s.live[c.ARN] = c
		}
		for _, sv := range w.emu.Services(sc.account, sc.region) {
			if sv.ConnectionARN != "" {
				s.users[sv.ConnectionARN] = append(s.users[sv.ConnectionARN], sv.ARN)
			}
		}
	}
	return s
}

func (s rndSnap) liveIn(sc rndScope) []string {
	var out []string
	for arn, c := range s.live {
		if (rndScope{c.Account, c.Region}) == sc {
			out = append(out, arn)
		}
	}
	sort.Strings(out)
	return out
}

// ---- the case -------------------------------------------------------------

type rndCaseOptions struct {
	// realServer lets some cases go through an httptest server and the
	// network stack instead of calling the emulator's handler directly.
	realServer bool
	stats      *rndStats // nil: not counted
}

// rndStats counts what the cases exercised.
type rndStats struct {
	mu sync.Mutex
	n  map[string]int
}

func (s *rndStats) add(key string, n int) {
	if s == nil || n == 0 {
		return
	}
	s.mu.Lock()
	s.n[key] += n
	s.mu.Unlock()
}

func (s *rndStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := slices.Sorted(maps.Keys(s.n))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, s.n[k])
	}
	return strings.Join(parts, " ")
}

// misroute says how the engine's credentials disagree with its
// configuration: the engine alone must then keep to its configured scope.
type rndMisroute string

const (
	rndRouted          rndMisroute = ""
	rndOtherAccountKey rndMisroute = "credentials of another account"
	rndOtherRegion     rndMisroute = "client in another region"
	rndOtherPartition  rndMisroute = "configured region of another partition than App Runner's ARNs"
)

type rndCase struct {
	w         *rndWorld
	cfg       cleanup.Config
	partition string // the engine's partition, as its region implies
	client    rndScope
	misroute  rndMisroute
	faulty    bool // faults or throttling: calls may fail
	cancelled bool // the run's context ended before it started
	knobs     string
	retryer   string
}

func rndRunCase(t *testing.T, d rndDice, opts rndCaseOptions) {
	t.Helper()
	clock := &rndClock{}
	clock.ns.Store(rndBase.UnixNano())
	c := &rndCase{}

	// Policy first: the fuzzer's first bytes choose it.
	homeRegion := rndPick(d, rndRegions...)
	cfg := cleanup.Config{
		Account:        rndHomeAccount,
		Region:         homeRegion,
		DryRun:         rndChance(d, 1, 5),
		MinAge:         rndPick(d, time.Duration(0), time.Hour, 24*time.Hour, 72*time.Hour),
		ProtectTagKey:  rndPick(d, append([]string{""}, rndTagKeys...)...),
		MaxConcurrency: rndPick(d, 1, 2, 4, 8, 16),
		IndexTTL:       rndPick(d, time.Duration(0), 0, time.Minute, time.Hour),
		Now:            clock.now,
	}
	// The idle period last, so that the earlier choices of a seed stay.
	cfg.UnusedFor = rndPick(d, time.Duration(0), 0, time.Hour, 24*time.Hour, 7*24*time.Hour)
	for range d.intn(3) {
		cfg.NameExclude = append(cfg.NameExclude, rndPick(d, rndExcludeGlobs...))
	}
	if rndChance(d, 1, 3) {
		for range 1 + d.intn(2) {
			cfg.NameInclude = append(cfg.NameInclude, rndPick(d, rndIncludeGlobs...))
		}
	}

	// Scopes: the engine's, its account's other regions, other accounts.
	home := rndScope{rndHomeAccount, homeRegion}
	c.client = home
	switch d.intn(12) {
	case 0:
		c.misroute = rndOtherAccountKey
	case 1:
		c.misroute = rndOtherRegion
	case 2:
		// App Runner's ARNs here are always of partition aws; an engine
		// configured for a region of another partition must find every
		// one of them out of scope.
		c.misroute = rndOtherPartition
		home.region = rndPick(d, "cn-north-1", "us-gov-west-1")
		cfg.Region = home.region
		c.client = home
	}
	c.partition = rndPartitionOf(cfg.Region)
	scopes := []rndScope{home}
	for _, r := range rndRegions {
		if r != home.region && rndChance(d, 1, 2) {
			scopes = append(scopes, rndScope{rndHomeAccount, r})
		}
	}
	for _, a := range rndOtherAccounts {
		for _, r := range append([]string{home.region}, rndRegions...) {
			if !slices.Contains(scopes, rndScope{a, r}) && rndChance(d, 1, 3) {
				scopes = append(scopes, rndScope{a, r})
			}
		}
	}
	switch c.misroute {
	case rndOtherAccountKey:
		c.client = rndScope{rndPick(d, rndOtherAccounts...), home.region}
	case rndOtherRegion:
		c.client = rndScope{rndHomeAccount, rndPick(d, slices.DeleteFunc(slices.Clone(rndRegions), func(r string) bool { return r == home.region })...)}
	}
	if !slices.Contains(scopes, c.client) {
		scopes = append(scopes, c.client)
	}

	// The emulator, with its own in-use guard off: only the engine stands
	// between a connection in use and its deletion.
	accounts := map[string]string{}
	for _, a := range append([]string{rndHomeAccount}, rndOtherAccounts...) {
		accounts[rndKey(a)] = a
	}
	eo := apprunnerlocal.Options{
		Accounts:           accounts,
		DisableInUseGuard:  true,
		EmptyPageQuirk:     rndChance(d, 1, 2),
		DeleteServiceDelay: rndPick(d, time.Duration(0), 0, 30*time.Minute),
		Now:                clock.now,
	}
	if rndChance(d, 1, 4) {
		eo.FaultRate = rndPick(d, 0.02, 0.1, 0.3, 0.6)
		eo.FaultSeed = int64(d.intn(1 << 30))
	}
	throttled := false
	if rndChance(d, 1, 4) {
		throttled = true
		eo.RateLimits = map[string]apprunnerlocal.RateLimit{}
		for _, op := range cleanup.Operations() {
			if rndChance(d, 1, 2) {
				eo.RateLimits[op] = apprunnerlocal.RateLimit{PerSecond: rndPick(d, 0, 0.01, 1), Burst: 1 + d.intn(25)}
			}
		}
	}
	c.faulty = eo.FaultRate > 0 || len(eo.RateLimits) > 0
	c.knobs = fmt.Sprintf("faultRate=%v faultSeed=%d rateLimits=%v emptyPageQuirk=%v deleteServiceDelay=%s",
		eo.FaultRate, eo.FaultSeed, eo.RateLimits, eo.EmptyPageQuirk, eo.DeleteServiceDelay)
	w := &rndWorld{emu: apprunnerlocal.New(eo), clock: clock, home: home, scopes: scopes}
	c.w = w

	// Resources. A few cases are big enough to page ListConnections (100)
	// and ListServices (20), with DELETED services for the empty pages.
	big := rndChance(d, 1, 15)
	for _, sc := range scopes {
		nc, ns := d.intn(7), d.intn(5)
		if sc == home || sc == c.client {
			nc, ns = d.intn(17), d.intn(12)
			if big {
				nc, ns = 90+d.intn(40), 25+d.intn(25)
			}
		}
		for range nc {
			w.addConn(t, d, sc, cfg.MinAge, rndPick(d, rndConnStates...))
		}
		for range ns {
			w.addService(t, d, sc, rndPick(d, rndServiceStates...))
		}
		if eo.EmptyPageQuirk && rndChance(d, 1, 2) {
			// A run of DELETED services older than the rest: with the
			// quirk, the first pages of ListServices come back empty but
			// with a NextToken, and a client that stops there misses
			// every user of a connection.
			for range 20 + d.intn(30) {
				w.addOldDeletedService(t, sc)
			}
		}
	}

	client := c.newClient(t, d, opts, throttled)
	st := opts.stats
	st.add("cases", 1)
	if c.misroute != rndRouted {
		st.add("cases "+string(c.misroute), 1)
	}
	if c.faulty {
		st.add("cases with faults or throttling", 1)
	}
	if cfg.DryRun {
		st.add("cases dry-run config", 1)
	}
	if big {
		st.add("cases big", 1)
	}
	st.add("cases retry "+strings.SplitN(c.retryer, ",", 2)[0], 1)
	if strings.Contains(c.retryer, "httptest") {
		st.add("cases over httptest", 1)
	}
	e, err := cleanup.New(client, cfg, nil)
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	c.cfg = cfg

	for b := range 1 + d.intn(4) {
		if b > 0 {
			// Time passes and the world changes between runs; a warm
			// engine must see services created, repointed or deleted since.
			clock.advance(rndPick(d, time.Second, 5*time.Second, time.Minute, 2*time.Hour, 30*24*time.Hour))
			for range d.intn(4) {
				c.mutate(t, d)
			}
		}
		before := w.snap()
		unsafeBefore := len(w.emu.UnsafeDeletions())
		raws, infos := c.requests(d, before, b)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		c.cancelled = rndChance(d, 1, 40)
		if c.cancelled {
			cancel()
		}
		rep, ran := rndRun(ctx, e, cfg.DryRun, raws)
		cancel()
		after := w.snap()
		st := opts.stats
		st.add("runs", 1)
		st.add("requests", len(raws))
		st.add("requests run", len(ran.reqs))
		st.add("requests rejected whole", len(ran.whole))
		st.add("ARNs rejected by Check", ran.rejected)
		if len(ran.reqs) == 0 {
			st.add("runs with no valid request", 1)
		}
		st.add("really deleted", len(before.live)-len(after.live))
		for o, n := range rep.Counts {
			st.add("outcome "+string(o), n)
		}
		if bad := c.check(b, raws, infos, ran, rep, before, after, w.emu.UnsafeDeletions()[unsafeBefore:]); len(bad) > 0 {
			t.Errorf("batch %d: %d invariant(s) broken:\n  - %s\n\n%s", b, len(bad), strings.Join(bad, "\n  - "), c.describe(raws, infos, ran, rep, before))
			return
		}
	}
}

func rndKey(account string) string { return "AKID" + account }

// rndRan is what rndRun did with a batch of raw requests.
type rndRan struct {
	reqs     []request.Request // what Check made of them, run together
	whole    map[string]string // request ID -> the rule Check said it breaks
	rejected int               // ARNs Check rejected alone
	// problems are requests of Check that do not say what their raw
	// request said.
	problems []string
}

// rndRun runs a batch as the trigger does: it checks each raw request,
// runs the valid ones in one engine run, and adds to the report what Check
// rejected: a request that breaks a rule as one invalid result carrying
// its ID, and each ARN rejected alone. With no valid request, the engine
// is not run and the report holds the rejections only.
func rndRun(ctx context.Context, e *cleanup.Engine, dryRun bool, raws []request.RawRequest) (*request.Report, rndRan) {
	ran := rndRan{whole: map[string]string{}}
	var rejected []request.Rejection
	for _, raw := range raws {
		req, rej, err := raw.Check()
		if err != nil {
			ran.whole[raw.ID] = err.Error()
			rejected = append(rejected, request.Reject(raw.ID, rndRawInput(raw), err.Error()))
			if req != nil || len(rej) > 0 {
				ran.problems = append(ran.problems, fmt.Sprintf("Check rejected request %s whole, yet returned a request (%v) or %d rejections", raw.ID, req != nil, len(rej)))
			}
			continue
		}
		ran.rejected += len(rej)
		rejected = append(rejected, rej...)
		if req == nil {
			continue
		}
		if req.ID != raw.ID || req.Action != raw.Action || req.DryRun != raw.DryRun || req.WaitForServices != raw.WaitForServices {
			ran.problems = append(ran.problems, fmt.Sprintf("Check made request %s: id=%q action=%q dryRun=%v waitForServices=%v of id=%q action=%q dryRun=%v waitForServices=%v",
				raw.ID, req.ID, req.Action, req.DryRun, req.WaitForServices, raw.ID, raw.Action, raw.DryRun, raw.WaitForServices))
		}
		ran.reqs = append(ran.reqs, *req)
	}
	var rep *request.Report
	if len(ran.reqs) > 0 {
		rep = e.Run(ctx, ran.reqs)
	} else {
		rep = request.NewReport(nil, dryRun)
	}
	if rep != nil {
		rep.Reject(rejected...)
	}
	return rep, ran
}

// rndRawInput is the whole input of a rejected request, as its result
// repeats it.
func rndRawInput(raw request.RawRequest) string {
	b, err := json.Marshal(raw)
	if err != nil {
		return fmt.Sprintf("%+v", raw)
	}
	return string(b)
}

// rndDirect serves the SDK's requests with the emulator's handler in the
// calling goroutine: in process, through httptest's recorder, with no
// sockets, so thousands of cases cost no ports and no timing.
type rndDirect struct{ h http.Handler }

func (d rndDirect) Do(req *http.Request) (*http.Response, error) {
	// As net/http does: a request whose context has ended is not sent.
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	in := req.Clone(req.Context())
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.ContentLength = int64(len(body))
	rec := httptest.NewRecorder()
	d.h.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// rndNoBackoff retries at once: with a fixed clock, waiting changes nothing
// but the duration of the test.
type rndNoBackoff struct{}

func (rndNoBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// newClient returns the real SDK client for c.client's scope, with a retry
// strategy of the case: none, standard, or the adaptive one that
// production uses (with its waits kept short).
func (c *rndCase) newClient(t *testing.T, d rndDice, opts rndCaseOptions, throttled bool) *apprunner.Client {
	t.Helper()
	var retryer aws.Retryer
	switch d.intn(3) {
	case 0:
		retryer, c.retryer = aws.NopRetryer{}, "none"
	case 1:
		n := 2 + d.intn(3)
		noQuota := rndChance(d, 1, 2)
		retryer = retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = n
			o.Backoff = rndNoBackoff{}
			if noQuota {
				o.RateLimiter = ratelimit.None
			}
		})
		c.retryer = fmt.Sprintf("standard, %d attempts, retry quota %v", n, !noQuota)
	default:
		// As cmd/handler builds it, but with backoff capped. When the
		// emulator throttles, the adaptive limiter fails fast instead of
		// sleeping for tokens: with a fixed clock the buckets never refill
		// within a run, so waiting would only make the test slow.
		n := 2 + d.intn(3)
		retryer = retry.AddWithMaxBackoffDelay(retry.AddWithMaxAttempts(retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.FailOnNoAttemptTokens = throttled
		}), n), time.Millisecond)
		c.retryer = fmt.Sprintf("adaptive, %d attempts", n)
	}
	key := rndKey(c.client.account)
	withRetryer := func(o *apprunner.Options) { o.Retryer = retryer }
	if opts.realServer && rndChance(d, 1, 10) {
		srv := httptest.NewServer(c.w.emu)
		t.Cleanup(srv.Close)
		c.retryer += ", over httptest"
		return apprunnerlocal.NewClient(srv.URL, c.client.region, key, withRetryer)
	}
	return apprunnerlocal.NewClient("http://apprunner.test", c.client.region, key, withRetryer,
		func(o *apprunner.Options) { o.HTTPClient = rndDirect{c.w.emu} })
}

// mutate changes the world between two runs, as people and deployments do.
func (c *rndCase) mutate(t *testing.T, d rndDice) {
	t.Helper()
	w := c.w
	admin := apprunnerlocal.NewClient("http://apprunner.test", w.home.region, rndKey(w.home.account), func(o *apprunner.Options) {
		o.HTTPClient, o.Retryer = rndDirect{w.emu}, aws.NopRetryer{}
	})
	ctx := context.Background()
	svcs := w.svcsIn(w.home)
	live := w.snap().liveIn(w.home)
	// Repointing is what a reused usage index can miss, so it is the most
	// frequent change, between a running service and an available
	// connection, which App Runner accepts.
	var running, available []string
	for _, sv := range w.emu.Services(w.home.account, w.home.region) {
		if sv.Status == apprunnerlocal.ServiceRunning {
			running = append(running, sv.ARN)
		}
	}
	for _, arn := range live {
		if cs, _ := w.emu.Connection(arn); cs.Status == apprunnerlocal.ConnectionAvailable {
			available = append(available, arn)
		}
	}
	// Admin calls may be throttled or faulted like any other: a failed
	// change is a change that did not happen, and the checks read the
	// world as it is.
	switch d.intn(10) {
	case 0:
		w.addService(t, d, w.home, rndPick(d, rndServiceStates...))
	case 1:
		w.addConn(t, d, w.home, c.cfg.MinAge, rndPick(d, rndConnStates...))
	case 2, 7, 8, 9:
		if len(running) == 0 || len(available) == 0 {
			return
		}
		_, _ = admin.UpdateService(ctx, &apprunner.UpdateServiceInput{
			ServiceArn: aws.String(rndPick(d, running...)),
			SourceConfiguration: &types.SourceConfiguration{
				AuthenticationConfiguration: &types.AuthenticationConfiguration{ConnectionArn: aws.String(rndPick(d, available...))},
				CodeRepository: &types.CodeRepository{
					RepositoryUrl:     aws.String("https://github.com/example/app"),
					SourceCodeVersion: &types.SourceCodeVersion{Type: types.SourceCodeVersionTypeBranch, Value: aws.String("main")},
				},
			},
		})
	case 3:
		if len(svcs) > 0 {
			_, _ = admin.DeleteService(ctx, &apprunner.DeleteServiceInput{ServiceArn: aws.String(rndPick(d, svcs...))})
		}
	case 4:
		if len(svcs) > 0 {
			arn := aws.String(rndPick(d, svcs...))
			_, _ = admin.PauseService(ctx, &apprunner.PauseServiceInput{ServiceArn: arn})
			if rndChance(d, 1, 3) {
				_, _ = admin.ResumeService(ctx, &apprunner.ResumeServiceInput{ServiceArn: arn})
			}
		}
	case 5:
		if len(live) == 0 {
			return
		}
		arn := aws.String(rndPick(d, live...))
		key := rndPick(d, rndTagKeys...)
		if rndChance(d, 1, 2) {
			_, _ = admin.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String(key), Value: aws.String(rndPick(d, rndTagValues...))}}})
		} else {
			_, _ = admin.UntagResource(ctx, &apprunner.UntagResourceInput{ResourceArn: arn, TagKeys: []string{key}})
		}
	case 6:
		sc := rndPick(d, w.scopes...)
		w.addService(t, d, sc, rndPick(d, rndServiceStates...))
	}
}

// ---- requests -------------------------------------------------------------

// rndInfo is what the generator knows about one request.
type rndInfo struct {
	// rejected: the request breaks a rule of RawRequest.Check, which must
	// reject it whole (one invalid result); it is never run.
	rejected bool
	bad      int      // inputs that must each come back as an invalid result
	spoilt   []string // malformed entries, trimmed: each refused once
	named    []string // entries naming a connection of the engine's scope, trimmed
	other    []string // entries of another partition
	foreign  []string // well-formed entries outside the engine's scope, each once
	svc      string   // a sweep's service ARN
	svcHome  bool     // ... well-formed and of the engine's scope
}

// requests generates a batch of raw requests, as a trigger decodes them:
// RawRequest.Check must turn them into what the engine runs.
func (c *rndCase) requests(d rndDice, before rndSnap, b int) ([]request.RawRequest, []rndInfo) {
	w := c.w
	home := w.home
	homeAll := w.connsIn(home)
	homeLive := before.liveIn(home)
	var foreign []string
	for _, arn := range w.conns {
		if rndScopeOf(arn) != home {
			foreign = append(foreign, arn)
		}
	}
	// A well-formed ARN of the engine's scope that App Runner never knew.
	ghost := func() string {
		id := w.rndID()
		return fmt.Sprintf("arn:%s:apprunner:%s:%s:connection/ghost-%d/%s", c.partition, home.region, home.account, w.serial, id)
	}
	real := func() string {
		switch {
		case len(homeLive) > 0 && (len(homeAll) == 0 || rndChance(d, 4, 5)):
			return rndPick(d, homeLive...)
		case len(homeAll) > 0:
			return rndPick(d, homeAll...)
		}
		return ghost()
	}
	// Once a *bool: left out, false, true. Left out and false both mean
	// "as configured", so a dry run is asked for one time in three, as
	// before, with the same choice made.
	dry := func() bool { return d.intn(3) == 2 }

	n := 1 + d.intn(5)
	raws := make([]request.RawRequest, 0, n)
	infos := make([]rndInfo, 0, n)
	for i := range n {
		raw := request.RawRequest{ID: fmt.Sprintf("b%d-m%d", b, i), DryRun: dry(), WaitForServices: rndChance(d, 1, 4)}
		var info rndInfo
		switch k := d.intn(40); {
		case k < 10:
			raw.Action = request.ActionSweep
		case k < 14:
			raw.Action = request.ActionSweep
			var malformed bool
			info.svc, info.svcHome, malformed = c.serviceARN(d)
			raw.ServiceARN = info.svc
			if !info.svcHome {
				info.bad++
			}
			// A service ARN that does not parse must not widen the sweep
			// to every connection: Check rejects the sweep whole.
			info.rejected = malformed
		case k < 32:
			raw.Action = request.ActionDelete
			m := 1 + d.intn(8)
			if rndChance(d, 1, 6) {
				m = 10 + d.intn(16) // past the engine's lookup threshold
			}
			for range m {
				raw.ConnectionARNs = append(raw.ConnectionARNs, c.entry(d, &info, raw.ConnectionARNs, real, ghost, foreign))
			}
		case k < 34:
			raw.Action = request.ActionDelete // and no ARN
			info.bad++
			info.rejected = true
		case k < 35:
			raw.Action = request.ActionSweep
			raw.ConnectionARNs = []string{real()}
			info.bad++
			info.rejected = true
		case k < 37:
			raw.Action = rndPick(d, request.Action("explode"), "SWEEP")
			info.bad++
			info.rejected = true
		default:
			// Formerly a request the decoder had marked invalid ("body is
			// not JSON"), naming a real connection. A payload that is not
			// JSON never becomes a RawRequest, so this is now a delete of
			// a real connection that breaks a rule of Check: a field of
			// offboarding, or more ARNs than one request may name. Check
			// must reject it whole and the connection must not be touched.
			// The variant follows from the request's place, so the dice
			// make the same choices as before.
			raw.Action = request.ActionDelete
			raw.ConnectionARNs = []string{real()}
			switch (b + i) % 4 {
			case 0:
				raw.AccountID = aws.String(home.account)
			case 1:
				raw.RoleARN = aws.String("arn:aws:iam::" + home.account + ":role/cleanup")
			case 2:
				raw.Regions = []string{home.region}
			default:
				raw.ConnectionARNs = slices.Repeat(raw.ConnectionARNs, request.MaxConnectionARNs+1)
			}
			info.bad = 1
			info.rejected = true
		}
		raws = append(raws, raw)
		infos = append(infos, info)
	}
	return raws, infos
}

// entry returns one connection ARN for a delete request and records what
// it is in info.
func (c *rndCase) entry(d rndDice, info *rndInfo, earlier []string, real, ghost func() string, foreign []string) string {
	home := c.w.home
	switch k := d.intn(20); {
	case k < 9:
		s := real()
		info.named = append(info.named, s)
		return s
	case k < 10:
		// Surrounding blanks are trimmed: still the same connection.
		s := real()
		info.named = append(info.named, s)
		return rndPick(d, " ", "\t", "\n ") + s + rndPick(d, " ", "", "\r\n")
	case k < 11:
		s := ghost()
		info.named = append(info.named, s)
		return s
	case k < 13:
		if len(foreign) > 0 {
			return c.outOfScope(info, rndPick(d, foreign...))
		}
		return c.outOfScope(info, strings.Replace(real(), ":"+home.account+":", ":999999999999:", 1))
	case k < 14:
		return c.outOfScope(info, strings.Replace(real(), ":"+home.region+":", ":"+rndPick(d, "eu-central-1", "us-east-2")+":", 1))
	case k < 15:
		s := real()
		p, _, _, _ := rndARNParts(s)
		s = strings.Replace(s, "arn:"+p+":", "arn:"+rndPick(d, "aws-cn", "aws-us-gov", "aws-iso-b")+":", 1)
		if q, _, _, _ := rndARNParts(s); q == c.partition {
			info.named = append(info.named, s)
		} else {
			info.other = append(info.other, s)
		}
		return s
	case k < 18:
		// Check rejects each entry that is not a connection ARN, once
		// however often a request names it.
		s := rndMalformed(d, real())
		if t := strings.TrimSpace(s); !slices.Contains(info.spoilt, t) {
			info.spoilt = append(info.spoilt, t)
			info.bad++
		}
		return s
	default:
		if len(earlier) > 0 {
			s := rndPick(d, earlier...)
			c.reclassify(info, s)
			return s
		}
		s := real()
		info.named = append(info.named, s)
		return s
	}
}

// outOfScope records s, a well-formed connection ARN outside the engine's
// scope, and returns it. Check parses a request's ARNs into a set, as the
// engine decides each connection once: an ARN named twice in a request,
// or picked twice, is one input, refused with one invalid result.
func (c *rndCase) outOfScope(info *rndInfo, s string) string {
	if !slices.Contains(info.foreign, s) {
		info.foreign = append(info.foreign, s)
		info.bad++
	}
	return s
}

// reclassify records a repeated entry as the first one was recorded.
func (c *rndCase) reclassify(info *rndInfo, s string) {
	t := strings.TrimSpace(s)
	switch {
	case slices.Contains(info.named, t):
		info.named = append(info.named, t)
	case slices.Contains(info.other, t):
		info.other = append(info.other, t)
	case slices.Contains(info.foreign, t):
		// Already counted: one result for the ARN (see outOfScope).
	default:
		// A malformed entry again: already counted, refused once.
	}
}

// rndMalformed spoils a connection ARN in one of the ways that must make it
// invalid.
func rndMalformed(d rndDice, arn string) string {
	id := arn[len(arn)-32:]
	stem := arn[:len(arn)-32]
	switch d.intn(11) {
	case 0:
		return ""
	case 1:
		return "   "
	case 2:
		return stem + "0123456789ABCDEF0123456789ABCDEF" // upper-case ID
	case 3:
		return stem + "abc123"
	case 4:
		return strings.Replace(arn, ":connection/", ":service/", 1)
	case 5:
		return "arn:aws:s3:::my-bucket"
	case 6:
		return strings.Repeat("x$%", 1+d.intn(500))
	case 7:
		return strings.Replace(arn, ":"+rndHomeAccount+":", ":12345:", 1)
	case 8:
		return arn + "/extra"
	case 9:
		i := strings.Index(arn, ":connection/")
		return arn[:i] + ":connection/a/" + id
	default:
		return strings.Replace(arn, "arn:", "arn:aws:", 1) // one field too many
	}
}

// serviceARN picks the service ARN of a sweep after a service deletion and
// says whether the engine must accept it, and whether it is no service ARN
// at all (Check must then reject the sweep whole).
func (c *rndCase) serviceARN(d rndDice) (arn string, inScope, malformed bool) {
	w := c.w
	home := w.home
	switch d.intn(6) {
	case 0, 1:
		if s := w.svcsIn(home); len(s) > 0 {
			return rndPick(d, s...), c.misroute != rndOtherPartition, false
		}
		fallthrough
	case 2:
		// A service App Runner no longer knows: the sweep widens to all.
		id := w.rndID()
		return fmt.Sprintf("arn:%s:apprunner:%s:%s:service/vanished-%d/%s", c.partition, home.region, home.account, w.serial, id), true, false
	case 3:
		for _, s := range w.svcs {
			if rndScopeOf(s) != home {
				return s, false, false
			}
		}
		return fmt.Sprintf("arn:aws:apprunner:%s:999999999999:service/theirs-1/%s", home.region, w.rndID()), false, false
	case 4:
		return "not-an-arn", false, true
	default:
		// A connection's ARN, or a service name too short.
		if s := w.connsIn(home); len(s) > 0 {
			return rndPick(d, s...), false, true
		}
		return "arn:aws:apprunner:" + home.region + ":" + home.account + ":service/x/y", false, true
	}
}

// ---- invariants -----------------------------------------------------------

// check compares one batch's report and the emulator's state before and
// after it. What the requests ask for is read from the raw requests and
// what the generator knows of them, never from what Check made of them.
// Safety invariants hold in every case; the liveness ones (what must have
// been deleted) only where no call can fail.
func (c *rndCase) check(b int, reqs []request.RawRequest, infos []rndInfo, ran rndRan, rep *request.Report, before, after rndSnap, unsafe []apprunnerlocal.UnsafeDeletion) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	if rep == nil {
		return []string{"Run returned no report"}
	}
	cfg := c.cfg
	home := c.w.home
	bad = append(bad, ran.problems...)

	// Check rejects whole exactly the requests that break a rule.
	for i, r := range reqs {
		why, whole := ran.whole[r.ID]
		switch {
		case infos[i].rejected && !whole:
			fail("request %s breaks a rule, but Check accepted it (action=%q arns=%d serviceArn=%q offboarding fields=%v)",
				r.ID, r.Action, len(r.ConnectionARNs), rndExcerpt(r.ServiceARN), r.AccountID != nil || r.RoleARN != nil || r.Regions != nil)
		case !infos[i].rejected && whole:
			fail("Check rejected request %s whole (%s), which breaks no rule", r.ID, why)
		}
	}

	isDry := func(r request.RawRequest) bool { return cfg.DryRun || r.DryRun }
	onlyDry := true
	realSweep, realPlainSweep, plainSweep := false, false, false
	namedReal := map[string]bool{}
	namedAny := map[string]bool{}
	for i, r := range reqs {
		if infos[i].rejected {
			continue // never run
		}
		if !r.DryRun {
			onlyDry = false
		}
		switch r.Action {
		case request.ActionSweep:
			if r.ServiceARN != "" && !infos[i].svcHome {
				continue // its service is refused: no sweep
			}
			if !isDry(r) {
				realSweep = true
			}
			if r.ServiceARN == "" {
				plainSweep = true
				realPlainSweep = realPlainSweep || !isDry(r)
			}
		case request.ActionDelete:
			for _, s := range infos[i].named {
				namedAny[s] = true
				if !isDry(r) {
					namedReal[s] = true
				}
			}
		}
	}

	protected := func(s apprunnerlocal.ConnectionState) string {
		for _, g := range cfg.NameExclude {
			if ok, _ := path.Match(g, s.Name); ok {
				return "its name matches exclude glob " + g
			}
		}
		if len(cfg.NameInclude) > 0 && !slices.ContainsFunc(cfg.NameInclude, func(g string) bool {
			ok, _ := path.Match(g, s.Name)
			return ok
		}) {
			return "its name matches no include glob"
		}
		if v, ok := s.Tags[cfg.ProtectTagKey]; cfg.ProtectTagKey != "" && ok && !strings.EqualFold(v, "false") {
			return fmt.Sprintf("tag %s=%q", cfg.ProtectTagKey, v)
		}
		return ""
	}
	now := c.w.clock.now()
	young := func(s apprunnerlocal.ConnectionState) bool { return now.Sub(s.CreatedAt) < cfg.MinAge }
	// idle says whether a connection's mark, as it was before the run, is
	// one to believe and at least the idle period old: only then may a
	// sweep alone delete it.
	idle := func(s apprunnerlocal.ConnectionState) bool {
		if cfg.UnusedFor == 0 {
			return true
		}
		v, ok := s.Tags[cleanup.MarkTagKey]
		at, err := time.Parse(time.RFC3339, v)
		return ok && err == nil && !at.After(now.Add(time.Minute)) && !at.Before(s.CreatedAt.Add(-time.Minute)) && now.Sub(at) >= cfg.UnusedFor
	}
	// No dry run writes or removes a mark.
	if cfg.DryRun || onlyDry {
		for arn, s := range before.live {
			if a, ok := after.live[arn]; ok && a.Tags[cleanup.MarkTagKey] != s.Tags[cleanup.MarkTagKey] {
				fail("a dry run changed the idle mark of %s from %q to %q", arn, s.Tags[cleanup.MarkTagKey], a.Tags[cleanup.MarkTagKey])
			}
		}
	}

	// What App Runner really deleted during the run.
	var deleted []string
	for arn := range before.live {
		if _, ok := after.live[arn]; !ok {
			deleted = append(deleted, arn)
		}
	}
	sort.Strings(deleted)

	for _, u := range unsafe {
		fail("deleted %s while services not DELETED used it: %v", u.ConnectionARN, u.ServiceARNs)
	}
	for _, arn := range deleted {
		s := before.live[arn]
		p, region, account, _ := rndARNParts(arn)
		if p != c.partition || region != cfg.Region || account != cfg.Account {
			fail("deleted %s, outside the engine's partition %s, account %s and region %s", arn, c.partition, cfg.Account, cfg.Region)
		}
		if u := before.users[arn]; len(u) > 0 {
			fail("deleted %s, used by %v", arn, u)
		}
		if why := protected(s); why != "" {
			fail("deleted %s (%s), protected: %s", arn, s.Name, why)
		}
		if cfg.DryRun {
			fail("deleted %s in a dry-run configuration", arn)
		}
		if onlyDry {
			fail("deleted %s though every request asked for a dry run", arn)
		}
		if rep.DryRun {
			fail("deleted %s though the report says dry run", arn)
		}
		if !namedReal[arn] {
			if !realSweep {
				fail("deleted %s, which no real request named and no real sweep covered", arn)
			}
			if young(s) {
				fail("deleted %s by a sweep alone, created %s ago, under the minimum age %s", arn, now.Sub(s.CreatedAt), cfg.MinAge)
			}
			if !idle(s) {
				fail("deleted %s by a sweep alone before its idle period %s: its mark was %q", arn, cfg.UnusedFor, s.Tags[cleanup.MarkTagKey])
			}
		}
	}

	// The report against the ground truth.
	ids := map[string]bool{}
	for _, r := range reqs {
		ids[r.ID] = true
	}
	seen := map[string]int{}
	appeared := map[string]bool{}
	invalidOf := map[string]int{}
	var reportedDeleted []string
	total := 0
	listFailed := false
	for _, r := range rep.Results {
		total++
		if r.Outcome != request.OutcomeInvalid {
			seen[r.ARN]++
		}
		if r.Outcome == request.OutcomeDeleted {
			reportedDeleted = append(reportedDeleted, r.ARN)
		}
		if r.Outcome == request.OutcomeFailed && strings.HasSuffix(r.ARN, ":connection/*") {
			listFailed = true
		}
		if len(r.RequestIDs) == 0 {
			fail("result %s (%s) carries no request ID", r.ARN, r.Outcome)
		}
		if r.Reason == "" {
			fail("result %s (%s) has no reason", r.ARN, r.Outcome)
		}
		for _, id := range r.RequestIDs {
			if !ids[id] {
				fail("result %s carries request ID %q, which is in no request", r.ARN, id)
			}
			appeared[id] = true
			if r.Outcome == request.OutcomeInvalid {
				invalidOf[id]++
			}
		}
	}
	sort.Strings(reportedDeleted)
	if got := rep.Counts[request.OutcomeDeleted]; got != len(deleted) {
		fail("report counts %d deleted; App Runner deleted %d: %v", got, len(deleted), deleted)
	}
	if !slices.Equal(reportedDeleted, deleted) {
		fail("results say deleted %v; App Runner deleted %v", reportedDeleted, deleted)
	}
	sum := 0
	for _, n := range rep.Counts {
		sum += n
	}
	if sum != total {
		fail("counts add up to %d for %d results", sum, total)
	}
	for arn, n := range seen {
		if n > 1 {
			fail("%s is in %d results, want exactly one", arn, n)
		}
	}

	// Every request is answered.
	routed := c.misroute == rndRouted
	homeLive := before.liveIn(home)
	for i, r := range reqs {
		info := infos[i]
		must := true
		if !info.rejected && r.Action == request.ActionSweep {
			switch {
			case !routed:
				// The credentials see another scope: what the sweep meets
				// there is not the engine's to promise.
				must = appeared[r.ID]
			case r.ServiceARN == "" || !info.svcHome:
				must = r.ServiceARN != "" || len(homeLive) > 0
			default:
				// A sweep after a service deletion: the service's own
				// connection, or every connection if the service is gone.
				if sv, ok := c.w.emu.Service(r.ServiceARN); ok {
					must = sv.ConnectionARN != ""
				} else {
					must = len(homeLive) > 0
				}
			}
		}
		if must && !appeared[r.ID] {
			fail("request %s (%s) is in no result", r.ID, r.Action)
		}
		if invalidOf[r.ID] < info.bad {
			fail("request %s: %d invalid results, want at least %d (one per bad input)", r.ID, invalidOf[r.ID], info.bad)
		}
		if info.rejected {
			// Rejected whole: one invalid result, and nothing was done.
			for _, res := range rep.Results {
				if slices.Contains(res.RequestIDs, r.ID) && res.Outcome != request.OutcomeInvalid {
					fail("request %s was rejected whole, yet %s is %s for it", r.ID, res.ARN, res.Outcome)
				}
			}
		}
		for _, s := range info.foreign {
			// An ARN outside the engine's scope is refused by name (whole,
			// or excerpted as rejected input is).
			if !slices.ContainsFunc(rep.Results, func(res request.Result) bool {
				return res.Outcome == request.OutcomeInvalid && (res.ARN == s || res.ARN == request.Excerpt(s, request.InputExcerpt)) && slices.Contains(res.RequestIDs, r.ID)
			}) {
				fail("request %s named %s, outside the engine's scope: no invalid result for it carries the request's ID", r.ID, s)
			}
		}
		for _, s := range info.other {
			for _, res := range rep.Results {
				if res.ARN == s && (res.Outcome == request.OutcomeDeleted || res.Outcome == request.OutcomeWouldDelete) {
					fail("request %s: %s, of another partition, is %s", r.ID, s, res.Outcome)
				}
			}
		}
		if info.rejected || r.Action != request.ActionDelete || !routed {
			continue
		}
		for _, s := range info.named {
			if seen[s] != 1 {
				fail("request %s named %s: %d results, want exactly one", r.ID, s, seen[s])
				continue
			}
			for _, res := range rep.Results {
				if res.Outcome != request.OutcomeInvalid && res.ARN == s && !slices.Contains(res.RequestIDs, r.ID) {
					fail("request %s named %s, whose result carries IDs %v only", r.ID, s, res.RequestIDs)
				}
			}
		}
	}
	if routed && plainSweep && !listFailed {
		for _, arn := range homeLive {
			if seen[arn] != 1 {
				fail("a sweep covers every connection: %s is in %d results", arn, seen[arn])
			}
		}
	}

	// Liveness, where no call can fail: what the policy allows is done.
	if routed && !c.faulty && !c.cancelled {
		outcome := map[string]request.Outcome{}
		for _, r := range rep.Results {
			if r.Outcome != request.OutcomeInvalid {
				outcome[r.ARN] = r.Outcome
			}
		}
		for _, arn := range homeLive {
			s := before.live[arn]
			if len(before.users[arn]) > 0 || protected(s) != "" {
				continue
			}
			switch {
			case !cfg.DryRun && (namedReal[arn] || realPlainSweep && !young(s) && idle(s)):
				if _, ok := after.live[arn]; ok {
					fail("%s is free, allowed and asked for, but was not deleted: %s", arn, outcome[arn])
				}
			case !cfg.DryRun && realPlainSweep && !young(s):
				// Free but within its idle period: marked, the mark one
				// to believe afterwards.
				a, ok := after.live[arn]
				if outcome[arn] != request.OutcomeMarked || !ok {
					fail("%s is free, allowed and swept within its idle period; it should be marked and kept, not %q", arn, outcome[arn])
				} else if at, err := time.Parse(time.RFC3339, a.Tags[cleanup.MarkTagKey]); err != nil || at.After(now.Add(time.Minute)) || at.Before(s.CreatedAt.Add(-time.Minute)) {
					fail("%s was marked, but its mark %q is not one to believe", arn, a.Tags[cleanup.MarkTagKey])
				}
			case cfg.DryRun && (namedAny[arn] || plainSweep && !young(s) && idle(s)):
				if outcome[arn] != request.OutcomeWouldDelete {
					fail("%s is free and allowed; in a dry run it should be would_delete, not %q", arn, outcome[arn])
				}
			}
		}
	}
	return bad
}

// describe prints a case for a person reading a failure.
func (c *rndCase) describe(reqs []request.RawRequest, infos []rndInfo, ran rndRan, rep *request.Report, before rndSnap) string {
	var sb strings.Builder
	cfg := c.cfg
	fmt.Fprintf(&sb, "engine: account %s region %s (partition %s) dryRun=%v minAge=%s protectTag=%q include=%q exclude=%q concurrency=%d indexTTL=%s\n",
		cfg.Account, cfg.Region, c.partition, cfg.DryRun, cfg.MinAge, cfg.ProtectTagKey, cfg.NameInclude, cfg.NameExclude, cfg.MaxConcurrency, cfg.IndexTTL)
	fmt.Fprintf(&sb, "client: %s (%s); retries: %s; emulator: %s; cancelled=%v; clock %s\n",
		c.client, rndOr(string(c.misroute), "as configured"), c.retryer, c.knobs, c.cancelled, c.w.clock.now().Format(time.RFC3339))
	sb.WriteString("requests:\n")
	for i, r := range reqs {
		arns := fmt.Sprintf("%q", r.ConnectionARNs)
		if len(r.ConnectionARNs) > 30 {
			arns = fmt.Sprintf("%d ARNs, the first %q", len(r.ConnectionARNs), r.ConnectionARNs[0])
		}
		fmt.Fprintf(&sb, "  %s action=%q dryRun=%v waitForServices=%v serviceArn=%q arns=%s", r.ID, r.Action, r.DryRun, r.WaitForServices, r.ServiceARN, arns)
		if r.AccountID != nil {
			fmt.Fprintf(&sb, " accountId=%q", *r.AccountID)
		}
		if r.RoleARN != nil {
			fmt.Fprintf(&sb, " roleArn=%q", *r.RoleARN)
		}
		if r.Regions != nil {
			fmt.Fprintf(&sb, " regions=%q", r.Regions)
		}
		fmt.Fprintf(&sb, "\n    expected: rejected whole=%v, %d bad input(s); ", infos[i].rejected, infos[i].bad)
		if why, ok := ran.whole[r.ID]; ok {
			fmt.Fprintf(&sb, "Check rejected it whole: %s\n", why)
		} else {
			sb.WriteString("Check accepted it\n")
		}
	}
	fmt.Fprintf(&sb, "connections before the run (%s and the client's scope):\n", c.w.home)
	arns := before.liveIn(c.w.home)
	if c.client != c.w.home {
		arns = append(arns, before.liveIn(c.client)...)
	}
	for _, arn := range arns {
		s := before.live[arn]
		fmt.Fprintf(&sb, "  %s status=%s age=%s tags=%v users=%v\n", arn, s.Status, c.w.clock.now().Sub(s.CreatedAt), s.Tags, before.users[arn])
	}
	if rep != nil {
		fmt.Fprintf(&sb, "report: action=%s dryRun=%v counts=%v calls=%v\n", rep.Action, rep.DryRun, rep.Counts, rep.APICalls)
		for _, r := range rep.Results {
			fmt.Fprintf(&sb, "  %-9s %s ids=%v: %s\n", r.Outcome, rndExcerpt(r.ARN), r.RequestIDs, r.Reason)
		}
	}
	return sb.String()
}

func rndOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func rndExcerpt(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
