package cleanup

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
)

// usageIndex maps the ARN of a resource (a connection, VPC connector, auto
// scaling or observability configuration) to the services that use it.
// Every service status but DELETED counts as a user: a paused service
// needs its connection to resume, and one mid-operation or DELETE_FAILED
// may hold it.
type usageIndex struct {
	users map[string][]request.ServiceRef
	// described holds what DescribeService said of each live service, so
	// that a later run describes only services that are new or changed.
	described map[string]describedService
	// builtAt is when the oldest description was taken.
	builtAt time.Time
}

type describedService struct {
	updatedAt time.Time
	uses      []use
	ref       request.ServiceRef
}

// use is one resource a service uses.
type use struct {
	kind request.Kind
	arn  string
}

// size is the number of live services the index describes.
func (idx *usageIndex) size() int {
	if idx == nil {
		return 0
	}
	return len(idx.described)
}

// listServicesPageSize is ListServices' maximum MaxResults.
const listServicesPageSize = 20

// buildIndex lists every service and describes each one that is not
// DELETED, each page's services described on the slots s as the page
// arrives, so that describing overlaps listing. It keeps paging while App
// Runner returns a NextToken, even after an empty page: the service returns
// empty pages mid-list, and stopping there would hide users of a
// connection. The first failure stops it: an index with a hole in it
// cannot tell a free connection.
//
// kinds are the kinds of resource whose users the index records.
//
// With prev, a fresh index of an earlier run, services are still listed (a
// page of 20 per call), but only those new since prev or updated since
// their description are described again: a reused index sees every service
// created, repointed or deleted since, at a fraction of the calls.
//
// progress, when not nil, is told of each service done (see
// Config.Progress).
func buildIndex(ctx context.Context, api API, s slots, now time.Time, prev *usageIndex, kinds []request.Kind, progress func(described, listed int)) (*usageIndex, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idx := &usageIndex{users: make(map[string][]request.ServiceRef), described: make(map[string]describedService), builtAt: now}
	if prev != nil {
		idx.builtAt = prev.builtAt
	}
	var (
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	record := func(arn string, d describedService) {
		mu.Lock()
		defer mu.Unlock()
		idx.described[arn] = d
	}

	// Only the kinds the engine cleans up are kept: what else a service
	// uses (App Runner's own auto scaling configuration, which nearly
	// every service names) would cost memory for every service, and the
	// engine never decides it.
	keep := func(arn string, d describedService) {
		d.uses = slices.DeleteFunc(d.uses, func(u use) bool { return !slices.Contains(kinds, u.kind) })
		record(arn, d)
	}
	prog := newIndexProgress(progress)

	// Each service is described on one of the run's slots. The pager
	// hands a page's services to a feeder that waits for the slots, so
	// that it can fetch the next page meanwhile; there are never more
	// describing goroutines than slots. However the listing ends (a panic
	// in the paging included, which the caller recovers), the describing
	// is told to stop and waited for: none outlives the index it writes
	// to.
	queue := make(chan types.ServiceSummary, listServicesPageSize)
	work := group{s: s}
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for svc := range queue {
			work.Go(ctx, func(ctx context.Context) {
				describeInto(ctx, api, svc, keep, fail)
				prog.done()
			})
		}
	}()
	stopFeeding := sync.OnceFunc(func() { close(queue) })
	defer func() {
		stopFeeding()
		cancel()
		<-fed
		work.Wait()
	}()
	p := apprunner.NewListServicesPaginator(api, &apprunner.ListServicesInput{MaxResults: aws.Int32(listServicesPageSize)})
	for p.HasMorePages() && ctx.Err() == nil {
		page, err := p.NextPage(ctx)
		if err != nil {
			fail(fmt.Errorf("list services: %w", err))
			break
		}
		for _, svc := range page.ServiceSummaryList {
			if svc.Status == types.ServiceStatusDeleted {
				continue
			}
			prog.listed()
			if d, ok := prev.reuse(svc); ok {
				record(aws.ToString(svc.ServiceArn), d)
				prog.done()
				continue
			}
			queue <- svc
		}
	}
	stopFeeding()
	<-fed
	work.Wait()
	prog.end()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("build usage index: %w", err)
	}
	for _, arn := range slices.Sorted(maps.Keys(idx.described)) {
		d := idx.described[arn]
		for _, u := range d.uses {
			idx.users[u.arn] = append(idx.users[u.arn], d.ref)
		}
	}
	return idx, nil
}

// usersOf returns the services that use the resource arn. A service may
// name a configuration by a partial ARN, as the API allows: NAME alone
// (the latest revision, whichever that is when App Runner reads it) or
// NAME/REVISION without the ID. Such a use counts for every revision it
// may mean: a partial ARN never makes a configuration look free.
func (idx *usageIndex) usersOf(arn string) []request.ServiceRef {
	users := idx.users[arn]
	a, err := request.ParseResourceARN(arn)
	if err != nil || a.Revision == "" {
		return users
	}
	base := fmt.Sprintf("arn:%s:apprunner:%s:%s:%s/%s", a.Partition, a.Region, a.Account, a.Resource, a.Name)
	for _, partial := range []string{base, base + "/", base + "/" + a.Revision, base + "/" + a.Revision + "/"} {
		for _, u := range idx.users[partial] {
			if !slices.Contains(users, u) {
				users = append(slices.Clip(users), u)
			}
		}
	}
	return users
}

// indexProgress counts an index's services for Config.Progress. Without a
// hook it counts nothing; with one, listed is an atomic counter and each
// service done is reported under a lock, so that the hook's calls are
// serialised and their numbers never go back.
type indexProgress struct {
	report func(described, listed int)
	list   atomic.Int64
	mu     sync.Mutex
	desc   int
}

func newIndexProgress(report func(described, listed int)) *indexProgress {
	return &indexProgress{report: report}
}

// listed counts a service listed that needs a description or reuse. It is
// counted before the service is queued, so described never passes listed.
func (p *indexProgress) listed() {
	if p.report != nil {
		p.list.Add(1)
	}
}

// done counts a service described, found gone, or reused, and reports.
func (p *indexProgress) done() {
	if p.report == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.desc++
	p.call()
}

// end reports the final numbers, once every worker has stopped.
func (p *indexProgress) end() {
	if p.report == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.call()
}

// call reports the numbers; p.mu is held. A panicking hook is no reason to
// lose the index, so its panic is dropped.
func (p *indexProgress) call() {
	defer func() { _ = recover() }()
	p.report(p.desc, int(p.list.Load()))
}

// describeInto describes one listed service and records what it uses. A
// panic is recovered as the index's failure.
func describeInto(ctx context.Context, api API, s types.ServiceSummary, record func(string, describedService), fail func(error)) {
	arn := aws.ToString(s.ServiceArn)
	defer func() {
		if v := recover(); v != nil {
			fail(fmt.Errorf("describe service %s: %s", arn, panicReason(v)))
		}
	}()
	out, err := api.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: s.ServiceArn})
	if err != nil {
		// A service deleted since the listing uses nothing any more.
		if classify(err) != errNotFound {
			fail(fmt.Errorf("describe service %s: %w", arn, err))
		}
		return
	}
	svc := out.Service
	if svc == nil || svc.Status == types.ServiceStatusDeleted {
		return
	}
	record(arn, describedService{
		updatedAt: aws.ToTime(svc.UpdatedAt),
		uses:      usesOf(svc),
		ref: request.ServiceRef{
			ServiceARN:  aws.ToString(svc.ServiceArn),
			ServiceName: aws.ToString(svc.ServiceName),
			Status:      string(svc.Status),
		},
	})
}

// reuse returns an earlier description of a listed service, when prev has
// one that still holds.
func (prev *usageIndex) reuse(s types.ServiceSummary) (describedService, bool) {
	if prev == nil {
		return describedService{}, false
	}
	d, ok := prev.described[aws.ToString(s.ServiceArn)]
	return d, ok && reusable(s, d)
}

// reusable reports whether an earlier description of a service still holds:
// nothing suggests a change (same UpdatedAt, same status) and no operation
// is under way that may repoint it.
func reusable(s types.ServiceSummary, d describedService) bool {
	return s.UpdatedAt != nil && s.UpdatedAt.Equal(d.updatedAt) &&
		string(s.Status) == d.ref.Status && s.Status != types.ServiceStatusOperationInProgress
}

// usesOf returns the resources a service uses: the connection of its
// source, the VPC connector of its egress, its auto scaling configuration
// (a revision) and its observability configuration. An observability
// configuration counts even while observability is off: the service keeps
// its ARN, and turning observability back on needs it.
func usesOf(svc *types.Service) []use {
	var out []use
	add := func(k request.Kind, arn *string) {
		if a := aws.ToString(arn); a != "" {
			out = append(out, use{k, a})
		}
	}
	if src := svc.SourceConfiguration; src != nil && src.AuthenticationConfiguration != nil {
		add(request.KindConnection, src.AuthenticationConfiguration.ConnectionArn)
	}
	if n := svc.NetworkConfiguration; n != nil && n.EgressConfiguration != nil {
		add(request.KindVPCConnector, n.EgressConfiguration.VpcConnectorArn)
	}
	if a := svc.AutoScalingConfigurationSummary; a != nil {
		add(request.KindAutoScaling, a.AutoScalingConfigurationArn)
	}
	if o := svc.ObservabilityConfiguration; o != nil {
		add(request.KindObservability, o.ObservabilityConfigurationArn)
	}
	return out
}

// indexCache keeps the last usage index, whose descriptions a later run
// reuses while they are fresh. Its generation moves on every invalidation,
// so that a run that started from a since-dropped index cannot put it back.
type indexCache struct {
	mu  sync.Mutex
	idx *usageIndex
	gen uint64
}

func (c *indexCache) get(now time.Time, ttl time.Duration) (*usageIndex, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idx == nil || ttl <= 0 || now.Sub(c.idx.builtAt) >= ttl {
		return nil, c.gen
	}
	return c.idx, c.gen
}

// put keeps idx unless the cache was invalidated since generation gen.
func (c *indexCache) put(idx *usageIndex, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.idx = idx
	}
}

// invalidate drops the cached index: App Runner has shown it to be stale
// in a way the service listing did not reveal.
func (c *indexCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.idx = nil
	c.gen++
}
