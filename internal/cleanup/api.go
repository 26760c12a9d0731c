package cleanup

import (
	"context"
	"maps"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/apprunner"
)

// API is the set of App Runner calls the engine makes, with the SDK's exact
// signatures. The IAM policy in template.yaml grants exactly these.
type API interface {
	ListConnections(ctx context.Context, in *apprunner.ListConnectionsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListConnectionsOutput, error)
	ListServices(ctx context.Context, in *apprunner.ListServicesInput, optFns ...func(*apprunner.Options)) (*apprunner.ListServicesOutput, error)
	DescribeService(ctx context.Context, in *apprunner.DescribeServiceInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeServiceOutput, error)
	DeleteConnection(ctx context.Context, in *apprunner.DeleteConnectionInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteConnectionOutput, error)
	ListTagsForResource(ctx context.Context, in *apprunner.ListTagsForResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.ListTagsForResourceOutput, error)
}

var _ API = (*apprunner.Client)(nil)

// Operations returns the names of the App Runner operations the engine may
// call, sorted. Tests compare it with the IAM policy of the SAM template.
func Operations() []string {
	t := reflect.TypeFor[API]()
	ops := make([]string, 0, t.NumMethod())
	for i := range t.NumMethod() {
		ops = append(ops, t.Method(i).Name)
	}
	sort.Strings(ops)
	return ops
}

// runAPI is the API as one run sees it: it counts the run's calls by
// operation, and starts none once the run's time for starting calls is
// over (stopAt) or its context has ended. Retries made inside the SDK
// count once: the number says how much work the run asked for.
type runAPI struct {
	api    API
	stopAt time.Time // zero: no deadline
	mu     sync.Mutex
	n      map[string]int
}

func newRunAPI(api API, stopAt time.Time) *runAPI {
	return &runAPI{api: api, stopAt: stopAt, n: make(map[string]int)}
}

// notStartedError is what a call returns that the run did not make: the
// run's context had ended, or its time for starting calls was over. It
// wraps the context error, so that it classifies as errDeadline.
type notStartedError struct {
	op  string
	err error
}

func (e *notStartedError) Error() string { return e.op + " not started: " + e.err.Error() }
func (e *notStartedError) Unwrap() error { return e.err }

// start admits one call of op, or says why it is not made. The deadline is
// the wall clock's, like the context's, whatever clock the policy uses.
func (c *runAPI) start(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return &notStartedError{op: op, err: err}
	}
	if !c.stopAt.IsZero() && !time.Now().Before(c.stopAt) {
		return &notStartedError{op: op, err: context.DeadlineExceeded}
	}
	c.mu.Lock()
	c.n[op]++
	c.mu.Unlock()
	return nil
}

func (c *runAPI) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

func (c *runAPI) ListConnections(ctx context.Context, in *apprunner.ListConnectionsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListConnectionsOutput, error) {
	if err := c.start(ctx, "ListConnections"); err != nil {
		return nil, err
	}
	return c.api.ListConnections(ctx, in, optFns...)
}

func (c *runAPI) ListServices(ctx context.Context, in *apprunner.ListServicesInput, optFns ...func(*apprunner.Options)) (*apprunner.ListServicesOutput, error) {
	if err := c.start(ctx, "ListServices"); err != nil {
		return nil, err
	}
	return c.api.ListServices(ctx, in, optFns...)
}

func (c *runAPI) DescribeService(ctx context.Context, in *apprunner.DescribeServiceInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeServiceOutput, error) {
	if err := c.start(ctx, "DescribeService"); err != nil {
		return nil, err
	}
	return c.api.DescribeService(ctx, in, optFns...)
}

func (c *runAPI) DeleteConnection(ctx context.Context, in *apprunner.DeleteConnectionInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteConnectionOutput, error) {
	if err := c.start(ctx, "DeleteConnection"); err != nil {
		return nil, err
	}
	return c.api.DeleteConnection(ctx, in, optFns...)
}

func (c *runAPI) ListTagsForResource(ctx context.Context, in *apprunner.ListTagsForResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.ListTagsForResourceOutput, error) {
	if err := c.start(ctx, "ListTagsForResource"); err != nil {
		return nil, err
	}
	return c.api.ListTagsForResource(ctx, in, optFns...)
}
