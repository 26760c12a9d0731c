package cleanup_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

func TestSweepDecidesEachConnectionOnce(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	free := w.conn(apprunnerlocal.SeedConnection{Name: "free-github"})
	pending := w.conn(apprunnerlocal.SeedConnection{Name: "pending-one", Status: apprunnerlocal.ConnectionPendingHandshake})
	young := w.conn(apprunnerlocal.SeedConnection{Name: "young-one", CreatedAgo: time.Hour})
	tagged := w.conn(apprunnerlocal.SeedConnection{Name: "tagged-one", Tags: map[string]string{"apprunner-cleanup:protect": "true"}})
	tagFalse := w.conn(apprunnerlocal.SeedConnection{Name: "tag-false", Tags: map[string]string{"apprunner-cleanup:protect": "false"}})
	excluded := w.conn(apprunnerlocal.SeedConnection{Name: "prod-github"})
	freedByDeletion := w.conn(apprunnerlocal.SeedConnection{Name: "retired-github"})
	w.service("retired", apprunnerlocal.ServiceDeleted, freedByDeletion)

	users := map[string]string{}
	for _, status := range []string{
		apprunnerlocal.ServiceRunning, apprunnerlocal.ServicePaused, apprunnerlocal.ServiceOperationInProgress,
		apprunnerlocal.ServiceDeleteFailed, apprunnerlocal.ServiceCreateFailed,
	} {
		name := strings.ToLower(strings.ReplaceAll(status, "_", "-"))
		c := w.conn(apprunnerlocal.SeedConnection{Name: "used-" + name})
		w.service("svc-"+name, status, c)
		users[c] = status
	}

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{NameExclude: []string{"prod-*"}}), sweep())
	got := byARN(t, rep)

	want := map[string]request.Outcome{
		free: request.OutcomeDeleted, pending: request.OutcomeDeleted, tagFalse: request.OutcomeDeleted,
		freedByDeletion: request.OutcomeDeleted,
		young:           request.OutcomeTooYoung, tagged: request.OutcomeProtected, excluded: request.OutcomeProtected,
	}
	for c := range users {
		want[c] = request.OutcomeInUse
	}
	gotOutcomes := map[string]request.Outcome{}
	for arn, r := range got {
		gotOutcomes[arn] = r.Outcome
	}
	if diff := cmp.Diff(want, gotOutcomes); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	for c, status := range users {
		r := got[c]
		if len(r.UsedBy) != 1 || r.UsedBy[0].Status != status {
			t.Errorf("%s: usedBy = %+v, want one service in %s", c, r.UsedBy, status)
		}
		if !w.exists(c) {
			t.Errorf("%s is used by a %s service but was deleted", c, status)
		}
	}
	for arn, o := range want {
		if o == request.OutcomeDeleted && w.exists(arn) {
			t.Errorf("%s reported deleted but still exists", arn)
		}
		if got[arn].Reason == "" {
			t.Errorf("%s: empty reason", arn)
		}
	}
	if rep.Counts[request.OutcomeDeleted] != 4 || rep.Counts[request.OutcomeInUse] != len(users) {
		t.Errorf("counts = %v", rep.Counts)
	}
	if n := len(rep.Counts); n != len(request.Outcomes()) {
		t.Errorf("counts has %d outcomes, want all %d (zeros included)", n, len(request.Outcomes()))
	}
}

func TestDryRunDeletesNothing(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	free := w.conn(apprunnerlocal.SeedConnection{Name: "free-github"})

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{DryRun: true}), sweep())

	if got := byARN(t, rep)[free].Outcome; got != request.OutcomeWouldDelete {
		t.Errorf("outcome = %s, want would_delete", got)
	}
	if !rep.DryRun || !w.exists(free) {
		t.Errorf("dry run: report.DryRun = %v, connection exists = %v; want true, true", rep.DryRun, w.exists(free))
	}
	if n := w.srv.Stats().Calls["DeleteConnection"]; n != 0 {
		t.Errorf("DeleteConnection called %d times in a dry run", n)
	}
}

func TestRequestCannotLiftTheConfiguredDryRun(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	a := w.conn(apprunnerlocal.SeedConnection{Name: "conn-a"})
	// A request cannot ask for a real deletion; it can only not ask for a
	// dry run.
	req := del("m1", a)

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{DryRun: true}), []request.RawRequest{req})

	r := byARN(t, rep)[a]
	if r.Outcome != request.OutcomeWouldDelete || !strings.Contains(r.Reason, "DRY_RUN") || !w.exists(a) {
		t.Errorf("outcome %s (%s), exists %v; want would_delete naming DRY_RUN", r.Outcome, r.Reason, w.exists(a))
	}
}

func TestBatchDeletesWhenAnyRequesterAsksForARealDeletion(t *testing.T) {
	tests := []struct {
		name  string
		young bool
		reqs  func(arn string) []request.RawRequest
		want  request.Outcome
	}{
		{"dry-run sweep and a real delete", false, func(arn string) []request.RawRequest {
			return []request.RawRequest{{ID: "s", Action: request.ActionSweep, DryRun: true}, del("d", arn)}
		}, request.OutcomeDeleted},
		{"dry-run delete and a real delete", false, func(arn string) []request.RawRequest {
			dry := del("d1", arn)
			dry.DryRun = true
			return []request.RawRequest{dry, del("d2", arn)}
		}, request.OutcomeDeleted},
		{"real sweep and a dry-run delete", false, func(arn string) []request.RawRequest {
			dry := del("d1", arn)
			dry.DryRun = true
			return []request.RawRequest{{ID: "s", Action: request.ActionSweep}, dry}
		}, request.OutcomeDeleted},
		{"only dry runs", false, func(arn string) []request.RawRequest {
			dry := del("d1", arn)
			dry.DryRun = true
			return []request.RawRequest{{ID: "s", Action: request.ActionSweep, DryRun: true}, dry}
		}, request.OutcomeWouldDelete},
		// The sweep alone would keep it (too young), the delete alone
		// would not delete it (dry run): together they must not delete it.
		{"real sweep of a young connection and a dry-run delete", true, func(arn string) []request.RawRequest {
			dry := del("d1", arn)
			dry.DryRun = true
			return []request.RawRequest{{ID: "s", Action: request.ActionSweep}, dry}
		}, request.OutcomeWouldDelete},
		{"real sweep of a young connection and a real delete", true, func(arn string) []request.RawRequest {
			return []request.RawRequest{{ID: "s", Action: request.ActionSweep}, del("d1", arn)}
		}, request.OutcomeDeleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, apprunnerlocal.Options{}, 3)
			c := apprunnerlocal.SeedConnection{Name: "conn-a"}
			if tt.young {
				c.CreatedAgo = time.Minute
			}
			a := w.conn(c)

			rep := runRequests(ctx(t), t, w.engine(cleanup.Config{}), tt.reqs(a))

			if got := byARN(t, rep)[a].Outcome; got != tt.want {
				t.Errorf("outcome %s, want %s", got, tt.want)
			}
			if (tt.want == request.OutcomeDeleted) == w.exists(a) {
				t.Errorf("outcome %s but exists = %v", tt.want, w.exists(a))
			}
		})
	}
}

func TestDeleteNamedConnections(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	young := w.conn(apprunnerlocal.SeedConnection{Name: "young-one", CreatedAgo: time.Minute})
	used := w.conn(apprunnerlocal.SeedConnection{Name: "used-one"})
	svc := w.service("web-app", apprunnerlocal.ServiceRunning, used)
	gone := w.conn(apprunnerlocal.SeedConnection{Name: "gone-one"})
	if _, err := w.client.DeleteConnection(ctx(t), delInput(gone)); err != nil {
		t.Fatal(err)
	}
	never := "arn:aws:apprunner:us-east-1:123456789012:connection/never-existed/0123456789abcdef0123456789abcdef"

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{}), []request.RawRequest{del("m1", young, used, gone, never)})
	got := byARN(t, rep)

	for arn, want := range map[string]request.Outcome{
		young: request.OutcomeDeleted, // minimum age holds for sweeps only
		used:  request.OutcomeInUse,
		gone:  request.OutcomeAlreadyDeleted,
		never: request.OutcomeAlreadyDeleted,
	} {
		if got[arn].Outcome != want {
			t.Errorf("%s: outcome %s (%s), want %s", arn, got[arn].Outcome, got[arn].Reason, want)
		}
	}
	if u := got[used].UsedBy; len(u) != 1 || u[0].ServiceARN != svc || u[0].ServiceName != "web-app" {
		t.Errorf("usedBy = %+v, want the web service", u)
	}
}

func TestInvalidInputIsReportedAndDoesNotStopOthers(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	good := w.conn(apprunnerlocal.SeedConnection{Name: "good-one"})
	svc := w.service("web-app", apprunnerlocal.ServiceRunning, "")
	garbage := strings.Repeat("x$%", 700)

	tests := []struct {
		name, input, reason string
	}{
		{"service ARN", svc, "not a connection"},
		{"other account", "arn:aws:apprunner:us-east-1:210987654321:connection/foreign/0123456789abcdef0123456789abcdef", "account 210987654321"},
		{"other region", "arn:aws:apprunner:eu-west-1:123456789012:connection/elsewhere/0123456789abcdef0123456789abcdef", "in eu-west-1"},
		{"other AWS service", "arn:aws:s3:::my-bucket", "not an App Runner resource ARN"},
		{"bad ID", "arn:aws:apprunner:us-east-1:123456789012:connection/short/123", "32 hexadecimal"},
		{"garbage", garbage, "not an App Runner resource ARN"},
		{"empty", "", "empty"},
	}
	var arns []string
	for _, tt := range tests {
		arns = append(arns, tt.input)
	}
	arns = append(arns, good, good) // a duplicate is decided once

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{}), []request.RawRequest{del("m1", arns...)})

	// Inputs are rejected where their fault is found (a malformed ARN when
	// the request is checked, another account's by the engine), so the
	// results are matched by input, not by order.
	invalid := map[string]request.Result{}
	for _, r := range rep.Results {
		if r.Outcome == request.OutcomeInvalid {
			invalid[r.ARN] = r
		}
	}
	if len(invalid) != len(tests) {
		t.Fatalf("%d invalid results, want %d: %+v", len(invalid), len(tests), rep.Results)
	}
	for _, tt := range tests {
		r, ok := invalid[tt.input]
		if !ok {
			r, ok = invalid[request.Excerpt(tt.input, request.InputExcerpt)]
		}
		if !ok {
			t.Errorf("%s: no invalid result for the input", tt.name)
			continue
		}
		if !strings.Contains(r.Reason, tt.reason) {
			t.Errorf("%s: reason %q does not mention %q", tt.name, r.Reason, tt.reason)
		}
		if len(r.ARN) > 210 {
			t.Errorf("%s: echoed input is %d bytes; want an excerpt", tt.name, len(r.ARN))
		}
		if !slices.Equal(r.RequestIDs, []string{"m1"}) {
			t.Errorf("%s: request IDs %v, want [m1]", tt.name, r.RequestIDs)
		}
	}
	if got := byARN(t, rep)[good].Outcome; got != request.OutcomeDeleted {
		t.Errorf("valid connection beside invalid ones: %s, want deleted", got)
	}
	if rep.Counts[request.OutcomeDeleted] != 1 {
		t.Errorf("duplicate decided more than once: counts %v", rep.Counts)
	}
}

func TestConnectionNamedByTwoRequestsIsDecidedOnceForBoth(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	c := w.conn(apprunnerlocal.SeedConnection{Name: "shared-one"})

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{}), []request.RawRequest{del("m1", c), del("m2", c), {ID: "m3", Action: request.ActionSweep}})

	if len(rep.Results) != 1 {
		t.Fatalf("%d results, want 1: %+v", len(rep.Results), rep.Results)
	}
	if diff := cmp.Diff([]string{"m1", "m2", "m3"}, rep.Results[0].RequestIDs); diff != "" {
		t.Errorf("request IDs (-want +got):\n%s", diff)
	}
	if rep.Action != request.ActionBatch {
		t.Errorf("action = %s, want batch", rep.Action)
	}
}

func TestRequestsBreakingARuleAreRejectedWholeBeforeAnyCall(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{}), []request.RawRequest{
		{ID: "m2", Action: "explode"},
		{ID: "m3", Action: request.ActionDelete},
		{ID: "m4", Action: request.ActionSweep, ConnectionARNs: []string{"arn:x"}},
	})
	if rep.Counts[request.OutcomeInvalid] != 3 {
		t.Fatalf("counts %v, want 3 invalid: %+v", rep.Counts, rep.Results)
	}
	for i, r := range rep.Results {
		if want := []string{"m2", "m3", "m4"}[i]; !slices.Equal(r.RequestIDs, []string{want}) {
			t.Errorf("result %d request IDs %v, want [%s]", i, r.RequestIDs, want)
		}
	}
	if n := w.srv.Stats().Total(); n != 0 {
		t.Errorf("%d App Runner calls for requests that were all invalid", n)
	}
}

func TestEngineNeverDeletesAConnectionInUseEvenWithoutAppRunnersGuard(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{DisableInUseGuard: true, EmptyPageQuirk: true}, 3)
	var used []string
	for i := range 120 {
		c := w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)})
		if i%3 == 0 {
			w.service(connName("svc", i), apprunnerlocal.ServiceRunning, c)
			used = append(used, c)
		}
	}
	// Deleted services between live ones make the quirk return empty pages.
	for i := range 60 {
		w.service(connName("gone", i), apprunnerlocal.ServiceDeleted, "")
	}

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{}), sweep())

	if u := w.srv.UnsafeDeletions(); len(u) != 0 {
		t.Fatalf("the engine deleted %d connections in use: %+v", len(u), u)
	}
	if rep.Counts[request.OutcomeInUse] != len(used) || rep.Counts[request.OutcomeDeleted] != 120-len(used) {
		t.Errorf("counts %v, want %d in_use and %d deleted", rep.Counts, len(used), 120-len(used))
	}
}

func TestUsageIndexIsBuiltOncePerRunAcrossHundredsOfServices(t *testing.T) {
	const services, conns = 300, 250
	w := newWorld(t, apprunnerlocal.Options{EmptyPageQuirk: true}, 3)
	for i := range conns {
		c := w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)})
		if i < services/2 {
			w.service(connName("svc", i), apprunnerlocal.ServiceRunning, c)
		}
	}
	for i := services / 2; i < services; i++ {
		w.service(connName("img", i), apprunnerlocal.ServiceRunning, "")
	}
	for i := range 45 { // deleted ones trigger the empty-page quirk
		w.service(connName("gone", i), apprunnerlocal.ServiceDeleted, "")
	}

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{}), sweep())

	if rep.Counts[request.OutcomeInUse] != services/2 || rep.Counts[request.OutcomeDeleted] != conns-services/2 {
		t.Errorf("counts %v", rep.Counts)
	}
	calls := rep.APICalls
	if calls["DescribeService"] != services {
		t.Errorf("DescribeService calls = %d, want one per live service (%d)", calls["DescribeService"], services)
	}
	if want := (conns + 99) / 100; calls["ListConnections"] != want {
		t.Errorf("ListConnections calls = %d, want %d pages of 100", calls["ListConnections"], want)
	}
	if min := services / 20; calls["ListServices"] < min {
		t.Errorf("ListServices calls = %d, want at least %d pages of 20", calls["ListServices"], min)
	}
	if calls["ListTagsForResource"] != conns-services/2 {
		t.Errorf("ListTagsForResource calls = %d, want one per deletion candidate (%d)", calls["ListTagsForResource"], conns-services/2)
	}
	if got := w.srv.Stats().Calls; got["DescribeService"] != calls["DescribeService"] {
		t.Errorf("engine counted %d DescribeService calls, emulator saw %d", calls["DescribeService"], got["DescribeService"])
	}
}

func TestReusedUsageIndexDescribesOnlyNewServices(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{DisableInUseGuard: true}, 3)
	now := time.Now()
	clock := func() time.Time { return now }
	var conns []string
	for i := range 10 {
		c := w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)})
		conns = append(conns, c)
		w.service(connName("svc", i), apprunnerlocal.ServiceRunning, "")
	}
	e := w.engine(cleanup.Config{IndexTTL: time.Minute, Now: clock})

	first := runRequests(ctx(t), t, e, []request.RawRequest{del("m1", conns[0])})
	// A service created after the index was built uses conns[1]: a warm
	// run must see it, though App Runner's own guard is off.
	w.service("late-svc", apprunnerlocal.ServiceRunning, conns[1])
	second := runRequests(ctx(t), t, e, []request.RawRequest{del("m2", conns[1])})

	if first.APICalls["DescribeService"] != 10 || second.APICalls["DescribeService"] != 1 {
		t.Errorf("DescribeService calls: %d then %d; want 10, then 1 for the new service only",
			first.APICalls["DescribeService"], second.APICalls["DescribeService"])
	}
	if second.APICalls["ListServices"] != 1 {
		t.Errorf("a reused index must still list services: %d ListServices calls", second.APICalls["ListServices"])
	}
	if r := byARN(t, second)[conns[1]]; r.Outcome != request.OutcomeInUse || !w.exists(conns[1]) {
		t.Errorf("connection of a service created since the index: %s (%s), exists %v", r.Outcome, r.Reason, w.exists(conns[1]))
	}

	now = now.Add(2 * time.Minute)
	if rep := runRequests(ctx(t), t, e, []request.RawRequest{del("m3", conns[2])}); rep.APICalls["DescribeService"] != 11 {
		t.Errorf("past the TTL every service is described again: %d DescribeService calls, want 11", rep.APICalls["DescribeService"])
	}
}

func TestReusedUsageIndexSeesAServiceRepointedSince(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{DisableInUseGuard: true}, 3)
	before := w.conn(apprunnerlocal.SeedConnection{Name: "before-conn"})
	after := w.conn(apprunnerlocal.SeedConnection{Name: "after-conn"})
	other := w.conn(apprunnerlocal.SeedConnection{Name: "other-conn"})
	svc := w.service("web-app", apprunnerlocal.ServiceRunning, before)
	e := w.engine(cleanup.Config{IndexTTL: time.Hour})

	runRequests(ctx(t), t, e, []request.RawRequest{del("m1", other)})
	_, err := w.client.UpdateService(ctx(t), &apprunner.UpdateServiceInput{
		ServiceArn: aws.String(svc),
		SourceConfiguration: &types.SourceConfiguration{
			AuthenticationConfiguration: &types.AuthenticationConfiguration{ConnectionArn: aws.String(after)},
			CodeRepository: &types.CodeRepository{
				RepositoryUrl:     aws.String("https://github.com/example/web"),
				SourceCodeVersion: &types.SourceCodeVersion{Type: types.SourceCodeVersionTypeBranch, Value: aws.String("main")},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := runRequests(ctx(t), t, e, []request.RawRequest{del("m2", before, after)})

	got := byARN(t, rep)
	if got[before].Outcome != request.OutcomeDeleted || got[after].Outcome != request.OutcomeInUse {
		t.Errorf("after repointing: %s is %s, %s is %s; want deleted and in_use", before, got[before].Outcome, after, got[after].Outcome)
	}
	if u := w.srv.UnsafeDeletions(); len(u) != 0 {
		t.Errorf("deleted in use: %+v", u)
	}
	if n := rep.APICalls["DescribeService"]; n != 1 {
		t.Errorf("%d DescribeService calls, want 1 for the updated service", n)
	}
}

// hidingAPI is the real client with one service missing from ListServices,
// as when App Runner's listing lags behind a service just created; when
// blind, the auto scaling listing also says no configuration has a
// service (see kinds_test.go).
type hidingAPI struct {
	cleanup.API
	hide  string
	blind bool
}

func (h hidingAPI) ListServices(ctx context.Context, in *apprunner.ListServicesInput, optFns ...func(*apprunner.Options)) (*apprunner.ListServicesOutput, error) {
	out, err := h.API.ListServices(ctx, in, optFns...)
	if err == nil {
		out.ServiceSummaryList = slices.DeleteFunc(out.ServiceSummaryList, func(s types.ServiceSummary) bool {
			return aws.ToString(s.ServiceArn) == h.hide
		})
	}
	return out, err
}

func TestAppRunnersRefusalIsInUseAndDropsTheCachedIndex(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	a := w.conn(apprunnerlocal.SeedConnection{Name: "conn-a"})
	b := w.conn(apprunnerlocal.SeedConnection{Name: "conn-b"})
	hidden := w.service("unlisted", apprunnerlocal.ServiceRunning, a)
	w.service("listed", apprunnerlocal.ServiceRunning, "")
	e, err := cleanup.New(hidingAPI{API: w.client, hide: hidden}, cleanup.Config{
		Account: account, Region: region, IndexTTL: time.Hour,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}

	first := runRequests(ctx(t), t, e, []request.RawRequest{del("m1", a)})
	second := runRequests(ctx(t), t, e, []request.RawRequest{del("m2", b)})

	r := byARN(t, first)[a]
	if r.Outcome != request.OutcomeInUse || !strings.Contains(r.Reason, "refused") {
		t.Errorf("deletion refused by App Runner: %s (%s), want in_use naming the refusal", r.Outcome, r.Reason)
	}
	if !w.exists(a) {
		t.Error("connection of the unlisted service was deleted")
	}
	if second.APICalls["DescribeService"] != 1 {
		t.Errorf("after a refusal the cached descriptions must not be reused: %d DescribeService calls, want 1",
			second.APICalls["DescribeService"])
	}
	if got := byARN(t, second)[b].Outcome; got != request.OutcomeDeleted {
		t.Errorf("next connection: %s, want deleted", got)
	}
}

func TestSweepAfterServiceDeletionLooksOnlyAtItsConnection(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	left := w.conn(apprunnerlocal.SeedConnection{Name: "left-behind"})
	other := w.conn(apprunnerlocal.SeedConnection{Name: "unrelated"})
	svc := w.service("retired", apprunnerlocal.ServiceDeleted, left)

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{}), []request.RawRequest{{ID: "ev", Action: request.ActionSweep, ServiceARN: svc}})

	got := byARN(t, rep)
	if len(got) != 1 || got[left].Outcome != request.OutcomeDeleted {
		t.Fatalf("results %+v, want only %s deleted", rep.Results, left)
	}
	if !w.exists(other) {
		t.Error("an unrelated connection was touched")
	}

	for _, bad := range []string{
		"garbage",
		"arn:aws:apprunner:us-east-1:210987654321:service/theirs/0123456789abcdef0123456789abcdef",
		other, // a connection, not a service
	} {
		rep := runRequests(ctx(t), t, w.engine(cleanup.Config{}), []request.RawRequest{{ID: "bad", Action: request.ActionSweep, ServiceARN: bad}})
		if len(rep.Results) != 1 || rep.Results[0].Outcome != request.OutcomeInvalid {
			t.Errorf("service ARN %q: results %+v, want one invalid result and no sweep", bad, rep.Results)
		}
	}
	if !w.exists(other) {
		t.Fatal("a bad service ARN widened into a sweep")
	}

	unknown := "arn:aws:apprunner:us-east-1:123456789012:service/vanished/0123456789abcdef0123456789abcdef"
	rep = runRequests(ctx(t), t, w.engine(cleanup.Config{}), []request.RawRequest{{ID: "ev2", Action: request.ActionSweep, ServiceARN: unknown}})
	if got := byARN(t, rep)[other].Outcome; got != request.OutcomeDeleted {
		t.Errorf("unknown service: want a full sweep deleting %s, got %s", other, got)
	}
}

func TestFaultsAreReportedAsFailedAndNothingIsLost(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{FaultRate: 0.2, FaultSeed: 7, DisableInUseGuard: true}, 1)
	var all []string
	for i := range 80 {
		c := w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)})
		all = append(all, c)
		if i%4 == 0 {
			w.service(connName("svc", i), apprunnerlocal.ServiceRunning, c)
		}
	}
	e := w.engine(cleanup.Config{})

	// Named deletions, so that every connection must get a result even when
	// the usage index or a listing fails.
	rep := runRequests(ctx(t), t, e, []request.RawRequest{del("m1", all...)})

	got := byARN(t, rep)
	if len(got) != len(all) {
		t.Fatalf("%d results for %d connections", len(got), len(all))
	}
	if rep.Counts[request.OutcomeFailed] == 0 {
		t.Fatalf("20%% faults without retries produced no failure: %v", rep.Counts)
	}
	for _, arn := range all {
		r := got[arn]
		switch r.Outcome {
		case request.OutcomeDeleted, request.OutcomeAlreadyDeleted:
			if w.exists(arn) {
				t.Errorf("%s: %s but still exists", arn, r.Outcome)
			}
		case request.OutcomeFailed:
			if !strings.Contains(r.Reason, "InternalServiceErrorException") {
				t.Errorf("%s: failure reason %q does not name the error", arn, r.Reason)
			}
		}
	}
	if u := w.srv.UnsafeDeletions(); len(u) != 0 {
		t.Errorf("faults led to %d deletions of connections in use", len(u))
	}
}

func TestThrottlingIsRetriedThenReportedAsFailed(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{
		RateLimits: map[string]apprunnerlocal.RateLimit{"DeleteConnection": {PerSecond: 0.001, Burst: 3}},
	}, 2)
	var arns []string
	for i := range 6 {
		arns = append(arns, w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)}))
	}

	rep := runRequests(ctx(t), t, w.engine(cleanup.Config{MaxConcurrency: 1}), []request.RawRequest{del("m1", arns...)})

	if rep.Counts[request.OutcomeDeleted] != 3 || rep.Counts[request.OutcomeFailed] != 3 {
		t.Fatalf("counts %v, want 3 deleted within the burst and 3 failed", rep.Counts)
	}
	for _, r := range rep.Results {
		if r.Outcome == request.OutcomeFailed && !strings.Contains(r.Reason, "throttled") {
			t.Errorf("failure reason %q does not say it was throttled", r.Reason)
		}
	}
	if n := w.srv.Stats().Outcomes["DeleteConnection"]["ThrottlingException"]; n != 6 {
		t.Errorf("%d throttled DeleteConnection calls, want 6 (3 connections × 2 attempts)", n)
	}
}

func TestWorkNotStartedBeforeTheDeadlineIsFailedForRetry(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{Latency: 40 * time.Millisecond}, 3)
	var arns []string
	for i := range 40 {
		arns = append(arns, w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)}))
	}
	e := w.engine(cleanup.Config{MaxConcurrency: 1, DeadlineMargin: 100 * time.Millisecond})
	c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond+600*time.Millisecond)
	defer cancel()

	rep := runRequests(c, t, e, []request.RawRequest{del("m1", arns...)})

	got := byARN(t, rep)
	if len(got) != len(arns) {
		t.Fatalf("%d results for %d connections", len(got), len(arns))
	}
	if rep.Counts[request.OutcomeFailed] == 0 {
		t.Fatalf("no work was cut by the deadline: %v", rep.Counts)
	}
	for _, arn := range arns {
		r := got[arn]
		if r.Outcome == request.OutcomeFailed && !strings.HasPrefix(r.Reason, "deadline") {
			t.Errorf("%s: failed for %q, want the deadline", arn, r.Reason)
		}
		if r.Outcome == request.OutcomeDeleted && w.exists(arn) {
			t.Errorf("%s: deleted but exists", arn)
		}
		if r.Outcome == request.OutcomeFailed && !w.exists(arn) {
			t.Errorf("%s: reported failed but was deleted", arn)
		}
	}
}
