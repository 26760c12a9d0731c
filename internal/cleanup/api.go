package cleanup

import (
	"context"
	"maps"
	"reflect"
	"sort"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/smithy-go/middleware"
)

// API is the set of App Runner calls the engine makes, with the SDK's exact
// signatures. The IAM policy in template.yaml grants exactly these.
type API interface {
	ListConnections(ctx context.Context, in *apprunner.ListConnectionsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListConnectionsOutput, error)
	ListServices(ctx context.Context, in *apprunner.ListServicesInput, optFns ...func(*apprunner.Options)) (*apprunner.ListServicesOutput, error)
	DescribeService(ctx context.Context, in *apprunner.DescribeServiceInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeServiceOutput, error)
	DeleteConnection(ctx context.Context, in *apprunner.DeleteConnectionInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteConnectionOutput, error)
	ListTagsForResource(ctx context.Context, in *apprunner.ListTagsForResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.ListTagsForResourceOutput, error)
	TagResource(ctx context.Context, in *apprunner.TagResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *apprunner.UntagResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.UntagResourceOutput, error)

	// The other kinds of leftovers (see request.Kinds).
	ListVpcConnectors(ctx context.Context, in *apprunner.ListVpcConnectorsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListVpcConnectorsOutput, error)
	DescribeVpcConnector(ctx context.Context, in *apprunner.DescribeVpcConnectorInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeVpcConnectorOutput, error)
	DeleteVpcConnector(ctx context.Context, in *apprunner.DeleteVpcConnectorInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteVpcConnectorOutput, error)
	ListAutoScalingConfigurations(ctx context.Context, in *apprunner.ListAutoScalingConfigurationsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListAutoScalingConfigurationsOutput, error)
	DescribeAutoScalingConfiguration(ctx context.Context, in *apprunner.DescribeAutoScalingConfigurationInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeAutoScalingConfigurationOutput, error)
	ListServicesForAutoScalingConfiguration(ctx context.Context, in *apprunner.ListServicesForAutoScalingConfigurationInput, optFns ...func(*apprunner.Options)) (*apprunner.ListServicesForAutoScalingConfigurationOutput, error)
	DeleteAutoScalingConfiguration(ctx context.Context, in *apprunner.DeleteAutoScalingConfigurationInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteAutoScalingConfigurationOutput, error)
	ListObservabilityConfigurations(ctx context.Context, in *apprunner.ListObservabilityConfigurationsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListObservabilityConfigurationsOutput, error)
	DescribeObservabilityConfiguration(ctx context.Context, in *apprunner.DescribeObservabilityConfigurationInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeObservabilityConfigurationOutput, error)
	DeleteObservabilityConfiguration(ctx context.Context, in *apprunner.DeleteObservabilityConfigurationInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteObservabilityConfigurationOutput, error)
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

// runAPI is the API as one run sees it: every call goes through the run's
// middleware (runAPI.middleware) in the SDK client's own stack, which keeps
// at most MaxConcurrency calls in flight across all the run's stages (its
// slots, which the stages' work holds too: see slots), starts none once the
// run's time for starting calls is over (stopAt) or its context has ended,
// and counts, by operation, the calls the run made and the attempts the SDK
// sent for them, retries included: what App Runner saw.
type runAPI struct {
	api      API
	now      func() time.Time
	stopAt   time.Time // on now's clock; zero: no deadline
	slots    slots
	mu       sync.Mutex
	calls    map[string]int
	attempts map[string]int
}

func newRunAPI(api API, now func() time.Time, stopAt time.Time, concurrency int) *runAPI {
	return &runAPI{
		api: api, now: now, stopAt: stopAt, slots: newSlots(concurrency),
		calls: make(map[string]int), attempts: make(map[string]int),
	}
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

// admit says why a call of op may not start now, or nil.
func (c *runAPI) admit(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return &notStartedError{op: op, err: err}
	}
	if !c.stopAt.IsZero() && !c.now().Before(c.stopAt) {
		return &notStartedError{op: op, err: context.DeadlineExceeded}
	}
	return nil
}

// start takes a slot for one call of op, or says why the call is not made.
// A call of work that holds a slot runs on it.
func (c *runAPI) start(ctx context.Context, op string) (release func(), err error) {
	if err := c.admit(ctx, op); err != nil {
		return nil, err
	}
	release = func() {}
	if !c.slots.holds(ctx) {
		if !c.slots.take(ctx) {
			return nil, &notStartedError{op: op, err: ctx.Err()}
		}
		release = c.slots.give
		// Waiting for a slot may have taken the run past its stop time.
		if err := c.admit(ctx, op); err != nil {
			release()
			return nil, err
		}
	}
	c.mu.Lock()
	c.calls[op]++
	c.mu.Unlock()
	return release, nil
}

// middleware is the per-call option that puts the run into the SDK's
// stack: at the end of the Initialize step (the operation's name is known
// by then) a call takes one of the run's slots, or fails not started, and
// holds it through its retries; in the Finalize step, after the retry
// middleware, every attempt the SDK sends is counted.
func (c *runAPI) middleware(o *apprunner.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RunSlots",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				release, err := c.start(ctx, awsmiddleware.GetOperationName(ctx))
				if err != nil {
					return middleware.InitializeOutput{}, middleware.Metadata{}, err
				}
				defer release()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
		if err != nil {
			return err
		}
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("CountAttempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				c.attempts[awsmiddleware.GetOperationName(ctx)]++
				c.mu.Unlock()
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

// sent returns the attempts by operation, and how many of them were
// retries.
func (c *runAPI) sent() (attempts map[string]int, retries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for op, n := range c.attempts {
		retries += max(n-c.calls[op], 0)
	}
	return maps.Clone(c.attempts), retries
}

// The API's methods, each with the run's middleware added: paginators and
// stages call them as they would the client.

func (c *runAPI) ListConnections(ctx context.Context, in *apprunner.ListConnectionsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListConnectionsOutput, error) {
	return c.api.ListConnections(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) ListServices(ctx context.Context, in *apprunner.ListServicesInput, optFns ...func(*apprunner.Options)) (*apprunner.ListServicesOutput, error) {
	return c.api.ListServices(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) DescribeService(ctx context.Context, in *apprunner.DescribeServiceInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeServiceOutput, error) {
	return c.api.DescribeService(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) DeleteConnection(ctx context.Context, in *apprunner.DeleteConnectionInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteConnectionOutput, error) {
	return c.api.DeleteConnection(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) ListTagsForResource(ctx context.Context, in *apprunner.ListTagsForResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.ListTagsForResourceOutput, error) {
	return c.api.ListTagsForResource(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) TagResource(ctx context.Context, in *apprunner.TagResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.TagResourceOutput, error) {
	return c.api.TagResource(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) UntagResource(ctx context.Context, in *apprunner.UntagResourceInput, optFns ...func(*apprunner.Options)) (*apprunner.UntagResourceOutput, error) {
	return c.api.UntagResource(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) ListVpcConnectors(ctx context.Context, in *apprunner.ListVpcConnectorsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListVpcConnectorsOutput, error) {
	return c.api.ListVpcConnectors(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) DescribeVpcConnector(ctx context.Context, in *apprunner.DescribeVpcConnectorInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeVpcConnectorOutput, error) {
	return c.api.DescribeVpcConnector(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) DeleteVpcConnector(ctx context.Context, in *apprunner.DeleteVpcConnectorInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteVpcConnectorOutput, error) {
	return c.api.DeleteVpcConnector(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) ListAutoScalingConfigurations(ctx context.Context, in *apprunner.ListAutoScalingConfigurationsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListAutoScalingConfigurationsOutput, error) {
	return c.api.ListAutoScalingConfigurations(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) DescribeAutoScalingConfiguration(ctx context.Context, in *apprunner.DescribeAutoScalingConfigurationInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeAutoScalingConfigurationOutput, error) {
	return c.api.DescribeAutoScalingConfiguration(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) ListServicesForAutoScalingConfiguration(ctx context.Context, in *apprunner.ListServicesForAutoScalingConfigurationInput, optFns ...func(*apprunner.Options)) (*apprunner.ListServicesForAutoScalingConfigurationOutput, error) {
	return c.api.ListServicesForAutoScalingConfiguration(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) DeleteAutoScalingConfiguration(ctx context.Context, in *apprunner.DeleteAutoScalingConfigurationInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteAutoScalingConfigurationOutput, error) {
	return c.api.DeleteAutoScalingConfiguration(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) ListObservabilityConfigurations(ctx context.Context, in *apprunner.ListObservabilityConfigurationsInput, optFns ...func(*apprunner.Options)) (*apprunner.ListObservabilityConfigurationsOutput, error) {
	return c.api.ListObservabilityConfigurations(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) DescribeObservabilityConfiguration(ctx context.Context, in *apprunner.DescribeObservabilityConfigurationInput, optFns ...func(*apprunner.Options)) (*apprunner.DescribeObservabilityConfigurationOutput, error) {
	return c.api.DescribeObservabilityConfiguration(ctx, in, append(optFns, c.middleware)...)
}

func (c *runAPI) DeleteObservabilityConfiguration(ctx context.Context, in *apprunner.DeleteObservabilityConfigurationInput, optFns ...func(*apprunner.Options)) (*apprunner.DeleteObservabilityConfigurationOutput, error) {
	return c.api.DeleteObservabilityConfiguration(ctx, in, append(optFns, c.middleware)...)
}
