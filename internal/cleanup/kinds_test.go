package cleanup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// leftovers is a world with some of every kind, free and used, and what a
// real sweep of every kind must decide of each.
type leftovers struct {
	*world
	want map[string]request.Outcome // by ARN
	kind map[string]request.Kind
}

func (l *leftovers) expect(arn string, k request.Kind, o request.Outcome) string {
	l.want[arn], l.kind[arn] = o, k
	return arn
}

func (l *leftovers) vpc(c apprunnerlocal.SeedVPCConnector) string {
	l.t.Helper()
	if c.CreatedAt.IsZero() && c.CreatedAgo == 0 {
		c.CreatedAt = old
	}
	arn, err := l.srv.AddVPCConnector(account, region, c)
	if err != nil {
		l.t.Fatalf("add VPC connector %s: %v", c.Name, err)
	}
	return arn
}

func (l *leftovers) scaling(c apprunnerlocal.SeedAutoScalingConfiguration) string {
	l.t.Helper()
	if c.CreatedAt.IsZero() && c.CreatedAgo == 0 {
		c.CreatedAt = old
	}
	arn, err := l.srv.AddAutoScalingConfiguration(account, region, c)
	if err != nil {
		l.t.Fatalf("add auto scaling configuration %s: %v", c.Name, err)
	}
	return arn
}

func (l *leftovers) observability(c apprunnerlocal.SeedObservabilityConfiguration) string {
	l.t.Helper()
	if c.CreatedAt.IsZero() && c.CreatedAgo == 0 {
		c.CreatedAt = old
	}
	arn, err := l.srv.AddObservabilityConfiguration(account, region, c)
	if err != nil {
		l.t.Fatalf("add observability configuration %s: %v", c.Name, err)
	}
	return arn
}

func (l *leftovers) use(sv apprunnerlocal.SeedService) string {
	l.t.Helper()
	if sv.CreatedAt.IsZero() {
		sv.CreatedAt = old
	}
	arn, err := l.srv.AddService(account, region, sv)
	if err != nil {
		l.t.Fatalf("add service %s: %v", sv.Name, err)
	}
	return arn
}

// newLeftovers seeds the world of the acceptance: of each kind,
// one used by a running service, one by a paused one, free ones, a young
// one, a protected one; App Runner's own and the account's default auto
// scaling configurations; a configuration whose first revision is free
// and second used.
func newLeftovers(t *testing.T, opts apprunnerlocal.Options) *leftovers {
	t.Helper()
	l := &leftovers{world: newWorld(t, opts, 3), want: map[string]request.Outcome{}, kind: map[string]request.Kind{}}
	const (
		conn = request.KindConnection
		vpc  = request.KindVPCConnector
		asc  = request.KindAutoScaling
		obs  = request.KindObservability
	)
	protect := map[string]string{"apprunner-cleanup:protect": "true"}

	usedConn := l.expect(l.conn(apprunnerlocal.SeedConnection{Name: "used-github"}), conn, request.OutcomeInUse)
	l.expect(l.conn(apprunnerlocal.SeedConnection{Name: "free-github"}), conn, request.OutcomeDeleted)

	usedVPC := l.expect(l.vpc(apprunnerlocal.SeedVPCConnector{Name: "private-db", Subnets: []string{"subnet-1"}}), vpc, request.OutcomeInUse)
	pausedVPC := l.expect(l.vpc(apprunnerlocal.SeedVPCConnector{Name: "paused-vpc", Subnets: []string{"subnet-2"}}), vpc, request.OutcomeInUse)
	l.expect(l.vpc(apprunnerlocal.SeedVPCConnector{Name: "old-vpc", Subnets: []string{"subnet-3"}}), vpc, request.OutcomeDeleted)
	l.expect(l.vpc(apprunnerlocal.SeedVPCConnector{Name: "new-vpc", Subnets: []string{"subnet-4"}, CreatedAgo: time.Hour}), vpc, request.OutcomeTooYoung)
	l.expect(l.vpc(apprunnerlocal.SeedVPCConnector{Name: "kept-vpc", Subnets: []string{"subnet-5"}, Tags: protect}), vpc, request.OutcomeProtected)

	l.expect(l.scaling(apprunnerlocal.SeedAutoScalingConfiguration{Name: "web-scale"}), asc, request.OutcomeDeleted)
	scaleRev2 := l.expect(l.scaling(apprunnerlocal.SeedAutoScalingConfiguration{Name: "web-scale"}), asc, request.OutcomeInUse)
	l.expect(l.scaling(apprunnerlocal.SeedAutoScalingConfiguration{Name: "batch-scale"}), asc, request.OutcomeDeleted)
	l.expect(l.scaling(apprunnerlocal.SeedAutoScalingConfiguration{Name: "account-default", Default: true}), asc, request.OutcomeProtected)

	usedObs := l.expect(l.observability(apprunnerlocal.SeedObservabilityConfiguration{Name: "tracing", TraceVendor: "AWSXRAY"}), obs, request.OutcomeInUse)
	l.expect(l.observability(apprunnerlocal.SeedObservabilityConfiguration{Name: "old-tracing"}), obs, request.OutcomeDeleted)
	l.expect(l.observability(apprunnerlocal.SeedObservabilityConfiguration{Name: "new-tracing", CreatedAgo: time.Hour}), obs, request.OutcomeTooYoung)

	l.use(apprunnerlocal.SeedService{Name: "web-api", ConnectionARN: usedConn, VPCConnectorARN: usedVPC,
		AutoScalingConfigurationARN: scaleRev2, ObservabilityConfigurationARN: usedObs})
	l.use(apprunnerlocal.SeedService{Name: "worker", Status: apprunnerlocal.ServicePaused, VPCConnectorARN: pausedVPC})

	// App Runner's own, which "worker" uses, is kept as such, whoever
	// uses it.
	for _, s := range l.srv.AutoScalingConfigurations(account, region) {
		if s.Name == "DefaultConfiguration" {
			l.expect(s.ARN, asc, request.OutcomeProtected)
		}
	}
	return l
}

// TestSweepOfEveryKindDeletesExactlyTheFreeOnes: with RESOURCE_TYPES=all,
// a real sweep deletes the free, old, unprotected resources of every kind
// and keeps every used one (by a running or a paused service), the young,
// the protected, App Runner's own auto scaling configuration and the
// account's default; every result names its kind.
func TestSweepOfEveryKindDeletesExactlyTheFreeOnes(t *testing.T) {
	l := newLeftovers(t, apprunnerlocal.Options{})
	e := l.engine(cleanup.Config{Kinds: request.Kinds()})

	rep := runRequests(ctx(t), t, e, sweep())

	got := byARN(t, rep)
	for arn, want := range l.want {
		r, ok := got[arn]
		if !ok {
			t.Errorf("%s %s: no result", l.kind[arn], arn)
			continue
		}
		if r.Outcome != want || r.ResourceType != l.kind[arn] {
			t.Errorf("%s: %s %s (%s), want %s %s", r.Name, r.ResourceType, r.Outcome, r.Reason, l.kind[arn], want)
		}
	}
	if len(got) != len(l.want) {
		t.Errorf("%d results, want %d: %+v", len(got), len(l.want), rep.Results)
	}
	for arn, want := range l.want {
		if gone := !l.live(arn); gone != (want == request.OutcomeDeleted) {
			t.Errorf("%s: deleted = %v, outcome %s", arn, gone, want)
		}
	}
	if n := len(l.srv.UnsafeDeletions()); n != 0 {
		t.Errorf("%d unsafe deletions", n)
	}
	for _, k := range request.Kinds() {
		if rep.CountsByType[k][request.OutcomeInUse] == 0 {
			t.Errorf("counts by type %v: want an in_use %s", rep.CountsByType, k)
		}
	}
}

// live reports whether the emulator still holds arn, of any kind, alive.
func (w *world) live(arn string) bool {
	a, err := request.ParseResourceARN(arn)
	if err != nil {
		w.t.Fatalf("live(%s): %v", arn, err)
	}
	var st apprunnerlocal.ResourceState
	var ok bool
	switch a.Kind() {
	case request.KindConnection:
		return w.exists(arn)
	case request.KindVPCConnector:
		st, ok = w.srv.VPCConnector(arn)
	case request.KindAutoScaling:
		st, ok = w.srv.AutoScalingConfiguration(arn)
	case request.KindObservability:
		st, ok = w.srv.ObservabilityConfiguration(arn)
	}
	return ok && st.Status == "ACTIVE"
}

// TestASweepCoversOnlyItsKinds: the configured kinds are swept unless a
// request names fewer; a kind the function is not configured for is
// refused, whether a sweep or a deletion names it, and nothing of it is
// deleted.
func TestASweepCoversOnlyItsKinds(t *testing.T) {
	l := newLeftovers(t, apprunnerlocal.Options{})
	e := l.engine(cleanup.Config{Kinds: []request.Kind{request.KindConnection, request.KindVPCConnector}})
	var freeVPC, freeObs string
	for arn, o := range l.want {
		switch {
		case o == request.OutcomeDeleted && l.kind[arn] == request.KindVPCConnector:
			freeVPC = arn
		case o == request.OutcomeDeleted && l.kind[arn] == request.KindObservability:
			freeObs = arn
		}
	}

	rep := runRequests(ctx(t), t, e, []request.RawRequest{
		{ID: "vpc-only", Action: request.ActionSweep, ResourceTypes: []string{"vpc-connector"}},
		{ID: "too-wide", Action: request.ActionSweep, ResourceTypes: []string{"observability-configuration"}},
		del("named", freeObs),
	})

	for _, r := range rep.Results {
		switch {
		case r.Outcome == request.OutcomeInvalid:
			if !strings.Contains(r.Reason, "RESOURCE_TYPES") {
				t.Errorf("refusal %q does not name RESOURCE_TYPES", r.Reason)
			}
		case r.ResourceType != request.KindVPCConnector:
			t.Errorf("%s %s decided by a sweep of VPC connectors: %s", r.ResourceType, r.Name, r.Outcome)
		}
	}
	if rep.Counts[request.OutcomeInvalid] != 2 {
		t.Errorf("%d invalid, want the wide sweep and the named observability configuration: %+v", rep.Counts[request.OutcomeInvalid], rep.Results)
	}
	if l.live(freeVPC) || !l.live(freeObs) {
		t.Errorf("free VPC connector live = %v (want deleted), free observability configuration live = %v (want kept)", l.live(freeVPC), l.live(freeObs))
	}
}

// TestNamedResourcesOfEveryKind: a deletion names ARNs of any kind; each
// is decided by the same rules, a gone one is already_deleted, and a used
// one in_use with its services.
func TestNamedResourcesOfEveryKind(t *testing.T) {
	l := newLeftovers(t, apprunnerlocal.Options{})
	e := l.engine(cleanup.Config{Kinds: request.Kinds()})
	var arns []string
	for arn, o := range l.want {
		if o == request.OutcomeDeleted || o == request.OutcomeInUse {
			arns = append(arns, arn)
		}
	}
	gone := l.vpc(apprunnerlocal.SeedVPCConnector{Name: "gone-vpc", Subnets: []string{"subnet-9"}, Status: "INACTIVE"})
	arns = append(arns, gone)

	rep := runRequests(ctx(t), t, e, []request.RawRequest{del("named", arns...)})

	got := byARN(t, rep)
	for _, arn := range arns {
		want := l.want[arn]
		if arn == gone {
			want = request.OutcomeAlreadyDeleted
		}
		if r := got[arn]; r.Outcome != want {
			t.Errorf("%s %s: %s (%s), want %s", r.ResourceType, r.Name, r.Outcome, r.Reason, want)
		} else if want == request.OutcomeInUse && len(r.UsedBy) == 0 {
			t.Errorf("%s %s in use names no service", r.ResourceType, r.Name)
		}
	}
}

func (h hidingAPI) ListAutoScalingConfigurations(ctx context.Context, in *apprunner.ListAutoScalingConfigurationsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListAutoScalingConfigurationsOutput, error) {
	out, err := h.API.ListAutoScalingConfigurations(ctx, in, optFns...)
	if err == nil && h.blind {
		for i := range out.AutoScalingConfigurationSummaryList {
			out.AutoScalingConfigurationSummaryList[i].HasAssociatedService = aws.Bool(false)
		}
	}
	return out, err
}

// TestAnIndexThatMissedAServiceDeletesNothingItUses: when the index misses
// a service, App Runner's own word keeps what it uses: an auto scaling
// configuration by HasAssociatedService, or, where the listing does not
// say, by ListServicesForAutoScalingConfiguration (naming the service);
// a VPC connector or an observability configuration by App Runner's
// refusal to delete it. A disagreement is in_use, never a deletion.
func TestAnIndexThatMissedAServiceDeletesNothingItUses(t *testing.T) {
	for _, tt := range []struct {
		name   string
		blind  bool
		reason string
	}{
		{"listing says it has a service", false, "HasAssociatedService"},
		{"only its services say", true, "ListServicesForAutoScalingConfiguration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newWorld(t, apprunnerlocal.Options{}, 3)
			ls := &leftovers{world: l}
			scale := ls.scaling(apprunnerlocal.SeedAutoScalingConfiguration{Name: "hidden-scale"})
			vpc := ls.vpc(apprunnerlocal.SeedVPCConnector{Name: "hidden-vpc", Subnets: []string{"subnet-1"}})
			obs := ls.observability(apprunnerlocal.SeedObservabilityConfiguration{Name: "hidden-obs"})
			hidden := ls.use(apprunnerlocal.SeedService{Name: "unseen", AutoScalingConfigurationARN: scale, VPCConnectorARN: vpc, ObservabilityConfigurationARN: obs})
			e, err := cleanup.New(hidingAPI{API: l.client, hide: hidden, blind: tt.blind},
				cleanup.Config{Account: account, Region: region, MinAge: time.Hour, Kinds: request.Kinds()}, nil)
			if err != nil {
				t.Fatal(err)
			}

			rep := runRequests(ctx(t), t, e, sweep())

			got := byARN(t, rep)
			if r := got[scale]; r.Outcome != request.OutcomeInUse || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("auto scaling configuration: %s (%s), want in_use by %s", r.Outcome, r.Reason, tt.reason)
			} else if tt.blind && (len(r.UsedBy) != 1 || r.UsedBy[0].ServiceARN != hidden) {
				t.Errorf("auto scaling configuration used by %+v, want the unseen service", r.UsedBy)
			}
			for _, arn := range []string{vpc, obs} {
				if r := got[arn]; r.Outcome != request.OutcomeInUse || !strings.Contains(r.Reason, "App Runner refused") {
					t.Errorf("%s: %s (%s), want in_use by App Runner's refusal", r.Name, r.Outcome, r.Reason)
				}
			}
			for _, arn := range []string{scale, vpc, obs} {
				if !l.live(arn) {
					t.Errorf("%s deleted while the unseen service uses it", arn)
				}
			}
		})
	}
}

// TestADeletedServiceSweepDecidesWhatItUsed: App Runner's event for a
// deleted service sweeps the resources that service used, of the kinds
// swept, and no others.
func TestADeletedServiceSweepDecidesWhatItUsed(t *testing.T) {
	l := &leftovers{world: newWorld(t, apprunnerlocal.Options{}, 3)}
	vpc := l.vpc(apprunnerlocal.SeedVPCConnector{Name: "its-vpc", Subnets: []string{"subnet-1"}})
	other := l.vpc(apprunnerlocal.SeedVPCConnector{Name: "other-vpc", Subnets: []string{"subnet-2"}})
	obs := l.observability(apprunnerlocal.SeedObservabilityConfiguration{Name: "its-obs"})
	svc := l.use(apprunnerlocal.SeedService{Name: "retired", VPCConnectorARN: vpc, ObservabilityConfigurationARN: obs})
	if _, err := l.client.DeleteService(ctx(t), &apprunner.DeleteServiceInput{ServiceArn: aws.String(svc)}); err != nil {
		t.Fatal(err)
	}
	e := l.engine(cleanup.Config{Kinds: request.Kinds()})

	rep := runRequests(ctx(t), t, e, []request.RawRequest{{ID: "ev", Action: request.ActionSweep, ServiceARN: svc}})

	got := byARN(t, rep)
	for _, arn := range []string{vpc, obs} {
		if r := got[arn]; r.Outcome != request.OutcomeDeleted {
			t.Errorf("%s: %s (%s), want deleted", arn, r.Outcome, r.Reason)
		}
	}
	if _, ok := got[other]; ok || !l.live(other) {
		t.Errorf("a VPC connector the service did not use was decided: %+v", got[other])
	}
}

// TestTheIdlePeriodMarksEveryKind: a free resource of any kind is marked
// first, and deleted only once its mark is old enough.
func TestTheIdlePeriodMarksEveryKind(t *testing.T) {
	l := &leftovers{world: newWorld(t, apprunnerlocal.Options{}, 3)}
	vpc := l.vpc(apprunnerlocal.SeedVPCConnector{Name: "idle-vpc", Subnets: []string{"subnet-1"}})
	scale := l.scaling(apprunnerlocal.SeedAutoScalingConfiguration{Name: "idle-scale"})
	obs := l.observability(apprunnerlocal.SeedObservabilityConfiguration{Name: "idle-obs"})
	now := time.Now()
	e := l.engine(cleanup.Config{Kinds: request.Kinds(), UnusedFor: time.Hour, Now: func() time.Time { return now }})

	first := byARN(t, runRequests(ctx(t), t, e, sweep()))
	now = now.Add(2 * time.Hour)
	second := byARN(t, runRequests(ctx(t), t, e, sweep()))

	for _, arn := range []string{vpc, scale, obs} {
		if r := first[arn]; r.Outcome != request.OutcomeMarked {
			t.Errorf("first sweep: %s %s (%s), want marked", r.ResourceType, r.Outcome, r.Reason)
		}
		if r := second[arn]; r.Outcome != request.OutcomeDeleted {
			t.Errorf("second sweep: %s %s (%s), want deleted", r.ResourceType, r.Outcome, r.Reason)
		}
	}
}
