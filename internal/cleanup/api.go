package cleanup

import (
	"context"
	"reflect"
	"sort"
	"sync"

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

// countingAPI counts the calls of one run by operation. Retries made inside
// the SDK count once: the number says how much work the run asked for.
type countingAPI struct {
	api API
	mu  sync.Mutex
	n   map[string]int
}

func newCountingAPI(api API) *countingAPI {
	return &countingAPI{api: api, n: make(map[string]int)}
}

func (c *countingAPI) inc(op string) {
	c.mu.Lock()
	c.n[op]++
	c.mu.Unlock()
}

func (c *countingAPI) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

func (c *countingAPI) ListConnections(ctx context.Context, in *apprunner.ListConnectionsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListConnectionsOutput, error) {
	c.inc("ListConnections")
	return c.api.ListConnections(ctx, in, optFns...)
}

func (c *countingAPI) ListServices(ctx context.Context, in *apprunner.ListServicesInput, optFns ...func(*apprunner.Options)) (*apprunner.ListServicesOutput, error) {
	c.inc("ListServices")
	return c.api.ListServices(ctx, in, optFns...)
}

func (c *countingAPI) DescribeService(ctx context.Context, in *apprunner.DescribeServiceInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeServiceOutput, error) {
	c.inc("DescribeService")
	return c.api.DescribeService(ctx, in, optFns...)
}

func (c *countingAPI) DeleteConnection(ctx context.Context, in *apprunner.DeleteConnectionInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteConnectionOutput, error) {
	c.inc("DeleteConnection")
	return c.api.DeleteConnection(ctx, in, optFns...)
}

func (c *countingAPI) ListTagsForResource(ctx context.Context, in *apprunner.ListTagsForResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.ListTagsForResourceOutput, error) {
	c.inc("ListTagsForResource")
	return c.api.ListTagsForResource(ctx, in, optFns...)
}
