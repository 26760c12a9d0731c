package cleanup

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
)

// usageIndex maps a connection ARN to the services that use it. Every
// service status but DELETED counts as a user: a paused service needs its
// connection to resume, and one mid-operation or DELETE_FAILED may hold it.
type usageIndex struct {
	users map[string][]ServiceRef
	// described holds what DescribeService said of each live service, so
	// that a later run describes only services that are new or changed.
	described map[string]describedService
	// builtAt is when the oldest description was taken.
	builtAt time.Time
}

type describedService struct {
	updatedAt  time.Time
	connection string
	ref        ServiceRef
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
// DELETED, at most limit at a time. It keeps paging while App Runner returns
// a NextToken, even after an empty page: the service returns empty pages
// mid-list, and stopping there would hide users of a connection.
//
// With prev, a fresh index of an earlier run, services are still listed (a
// page of 20 per call), but only those new since prev or updated since
// their description are described again: a reused index sees every service
// created, repointed or deleted since, at a fraction of the calls.
func buildIndex(ctx context.Context, api API, limit int, now time.Time, prev *usageIndex) (*usageIndex, error) {
	var summaries []types.ServiceSummary
	p := apprunner.NewListServicesPaginator(api, &apprunner.ListServicesInput{MaxResults: aws.Int32(listServicesPageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list services: %w", err)
		}
		summaries = append(summaries, page.ServiceSummaryList...)
	}

	idx := &usageIndex{users: make(map[string][]ServiceRef), described: make(map[string]describedService), builtAt: now}
	if prev != nil {
		idx.builtAt = prev.builtAt
	}
	var (
		mu       sync.Mutex
		firstErr error
	)
	forEach(ctx, limit, len(summaries), func(ctx context.Context, i int) {
		s := summaries[i]
		arn := aws.ToString(s.ServiceArn)
		if s.Status == types.ServiceStatusDeleted {
			return
		}
		if prev != nil {
			if d, ok := prev.described[arn]; ok && reusable(s, d) {
				mu.Lock()
				idx.described[arn] = d
				mu.Unlock()
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		out, err := api.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: s.ServiceArn})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			// A service deleted since the listing uses nothing any more.
			if classify(err) == errNotFound {
				return
			}
			if firstErr == nil {
				firstErr = fmt.Errorf("describe service %s: %w", arn, err)
			}
			return
		}
		svc := out.Service
		if svc == nil || svc.Status == types.ServiceStatusDeleted {
			return
		}
		idx.described[arn] = describedService{
			updatedAt:  aws.ToTime(svc.UpdatedAt),
			connection: connectionOf(svc),
			ref: ServiceRef{
				ServiceARN:  aws.ToString(svc.ServiceArn),
				ServiceName: aws.ToString(svc.ServiceName),
				Status:      string(svc.Status),
			},
		}
	}, func(i int, reason string) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = fmt.Errorf("describe service %s: %s", aws.ToString(summaries[i].ServiceArn), reason)
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("build usage index: %w", err)
	}
	for _, arn := range slices.Sorted(maps.Keys(idx.described)) {
		if d := idx.described[arn]; d.connection != "" {
			idx.users[d.connection] = append(idx.users[d.connection], d.ref)
		}
	}
	return idx, nil
}

// reusable reports whether an earlier description of a service still holds:
// nothing suggests a change (same UpdatedAt, same status) and no operation
// is under way that may repoint it.
func reusable(s types.ServiceSummary, d describedService) bool {
	return s.UpdatedAt != nil && s.UpdatedAt.Equal(d.updatedAt) &&
		string(s.Status) == d.ref.Status && s.Status != types.ServiceStatusOperationInProgress
}

// connectionOf returns the connection ARN a service's source uses, if any.
func connectionOf(svc *types.Service) string {
	if svc.SourceConfiguration == nil || svc.SourceConfiguration.AuthenticationConfiguration == nil {
		return ""
	}
	return aws.ToString(svc.SourceConfiguration.AuthenticationConfiguration.ConnectionArn)
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
