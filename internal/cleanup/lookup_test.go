package cleanup_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// failingAPI is the real client, but one operation fails as App Runner
// does when it keeps failing after the SDK's retries.
type failingAPI struct {
	cleanup.API
	op string
}

var errInternal = &types.InternalServiceErrorException{Message: new("App Runner is having a bad day")}

func (f failingAPI) ListConnections(ctx context.Context, in *apprunner.ListConnectionsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListConnectionsOutput, error) {
	if f.op == "ListConnections" {
		return nil, errInternal
	}
	return f.API.ListConnections(ctx, in, optFns...)
}

func (f failingAPI) DescribeService(ctx context.Context, in *apprunner.DescribeServiceInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeServiceOutput, error) {
	if f.op == "DescribeService" {
		return nil, errInternal
	}
	return f.API.DescribeService(ctx, in, optFns...)
}

func failingEngine(t *testing.T, w *world, op string) *cleanup.Engine {
	t.Helper()
	e, err := cleanup.New(failingAPI{API: w.client, op: op}, cleanup.Config{Account: account, Region: region}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestFailedListingFailsEveryConnectionItWasToFind: without the listing,
// neither the sweep nor the named connections can be decided; each is
// failed, for a retry, and nothing is deleted.
func TestFailedListingFailsEveryConnectionItWasToFind(t *testing.T) {
	for _, named := range []int{1, 11} { // filtered look-ups, then one full listing
		w := newWorld(t, apprunnerlocal.Options{}, 3)
		var arns []string
		for i := range named {
			arns = append(arns, w.conn(apprunnerlocal.SeedConnection{Name: connName("conn", i)}))
		}

		rep := runRequests(ctx(t), t, failingEngine(t, w, "ListConnections"),
			[]request.RawRequest{{ID: "sweep", Action: request.ActionSweep}, del("m1", arns...)})

		if rep.Counts[request.OutcomeFailed] != named+1 || len(rep.Results) != named+1 {
			t.Fatalf("%d named: counts %v, want every named connection and the sweep failed: %+v", named, rep.Counts, rep.Results)
		}
		for _, r := range rep.Results {
			if !strings.Contains(r.Reason, "list connections: InternalServiceErrorException") {
				t.Errorf("%s: reason %q, want the listing's failure", r.ARN, r.Reason)
			}
		}
		if r := rep.Results[named]; r.ARN != "arn:aws:apprunner:us-east-1:123456789012:connection/*" || r.RequestIDs[0] != "sweep" {
			t.Errorf("sweep result %+v, want every connection of the account failed for the sweep", r)
		}
		if n := w.srv.Stats().Calls["DeleteConnection"]; n != 0 {
			t.Errorf("%d deletions without a listing", n)
		}
	}
}

// TestDeletedServiceThatCannotBeDescribedFailsForRetry: the connection a
// deleted service used cannot be told while App Runner fails, so the event
// fails (and is retried) rather than widening into a full sweep.
func TestDeletedServiceThatCannotBeDescribedFailsForRetry(t *testing.T) {
	w := newWorld(t, apprunnerlocal.Options{}, 3)
	free := w.conn(apprunnerlocal.SeedConnection{Name: "free-github"})
	svc := w.service("retired", apprunnerlocal.ServiceDeleted, free)

	rep := runRequests(ctx(t), t, failingEngine(t, w, "DescribeService"),
		[]request.RawRequest{{ID: "ev", Action: request.ActionSweep, ServiceARN: svc}})

	if len(rep.Results) != 1 {
		t.Fatalf("results %+v, want one failed result for the service", rep.Results)
	}
	r := rep.Results[0]
	if r.ARN != svc || r.Outcome != request.OutcomeFailed || !strings.Contains(r.Reason, "find what service ") || r.RequestIDs[0] != "ev" {
		t.Errorf("result %+v, want the service's look-up failed for ev", r)
	}
	if !w.exists(free) {
		t.Error("the connection was deleted although its service could not be described")
	}
}
