package cleanup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/apprunner-tools/connection-cleanup/internal/request"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
)

const (
	// listConnectionsPageSize is ListConnections' maximum MaxResults.
	listConnectionsPageSize = 100
	// lookupThreshold is the number of named connections above which one
	// listing of every connection is cheaper than one filtered call each.
	lookupThreshold = 10
)

// lookUp finds the targets' current state and the usage index. The two
// are independent until the policy is applied, so they run side by side:
// the connection chain (the service of a deletion event, then a listing of
// connections) and the service index (ListServices pages, each page's
// services described as it arrives), all calls sharing the run's slots.
// A connection is judged free only once the whole index is built.
func (r *run) lookUp(ctx context.Context, full *sweep, byService map[string]*sweep) (*usageIndex, error) {
	if full == nil && len(byService) == 0 && len(r.order) == 0 {
		return nil, nil // nothing to look up: every input was refused
	}
	indexCtx, stopIndex := context.WithCancel(ctx)
	defer stopIndex()
	now := r.e.cfg.Now()
	prev, gen := r.e.cache.get(now, r.e.cfg.IndexTTL)
	type built struct {
		idx *usageIndex
		err error
	}
	indexed := make(chan built, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				indexed <- built{err: errors.New("usage index: " + panicReason(v))}
			}
		}()
		idx, err := buildIndex(indexCtx, r.api, r.api.slots, now, prev, r.e.cfg.Progress)
		indexed <- built{idx, err}
	}()

	if err := r.findConnections(ctx, full, byService); err != nil {
		stopIndex()
		<-indexed
		return nil, err
	}
	if !r.undecided() {
		// Nothing left for the index to decide: it is not waited for, and
		// kept only if it was already complete.
		stopIndex()
		if b := <-indexed; b.err == nil {
			r.e.cache.put(b.idx, gen)
		}
		return nil, nil
	}
	b := <-indexed
	if b.err != nil {
		return nil, b.err
	}
	r.e.cache.put(b.idx, gen)
	return b.idx, nil
}

// findConnections is the connection chain: the connection each deleted
// service used, then every connection (a sweep, or many named) or each
// named one. A listing that fails fails every connection it was to find.
func (r *run) findConnections(ctx context.Context, full *sweep, byService map[string]*sweep) error {
	for _, svcARN := range slices.Sorted(maps.Keys(byService)) {
		if !r.connectionOfService(ctx, svcARN, byService[svcARN]) {
			// The service is gone, so what it used cannot be told: fall
			// back to sweeping every connection under the sweep's policy.
			if full == nil {
				full = &sweep{}
			}
			full.absorb(byService[svcARN])
		}
	}

	if full == nil && r.namedCount() <= lookupThreshold {
		r.lookupNamed(ctx)
		return nil
	}
	if err := r.listAll(ctx, full); err != nil {
		reason := "list connections: " + errText(err)
		if full != nil {
			r.refused = append(r.refused, request.Result{
				ARN:        everyConnection(r.e.cfg.Partition, r.e.cfg.Region, r.e.cfg.Account),
				Outcome:    request.OutcomeFailed,
				Reason:     failedReason(err, reason),
				RequestIDs: full.ids,
			})
		}
		for _, t := range r.order {
			if t.result == nil {
				t.conclude(request.OutcomeFailed, failedReason(err, reason), nil)
			}
		}
		return err
	}
	return nil
}

// connectionOfService adds, as a sweep target, the connection a (deleted)
// service used. It reports false when the service cannot be found.
func (r *run) connectionOfService(ctx context.Context, svcARN string, s *sweep) bool {
	out, err := r.api.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(svcARN)})
	if err != nil {
		if classify(err) == errNotFound {
			return false
		}
		r.refused = append(r.refused, request.Result{
			ARN:        svcARN,
			Outcome:    request.OutcomeFailed,
			Reason:     failedReason(err, "find the connection of service "+svcARN+": "+errText(err)),
			RequestIDs: s.ids,
		})
		return true
	}
	conn := connectionOf(out.Service)
	if conn == "" {
		return true // an image-based service uses no connection
	}
	if r.outOfScope(conn) != "" {
		return true // not a connection this function may delete
	}
	a, _ := request.ParseConnectionARN(conn)
	r.addTarget(a.String(), a.Name, s, false)
	return true
}

func (r *run) namedCount() int {
	n := 0
	for _, t := range r.order {
		if t.named {
			n++
		}
	}
	return n
}

func (r *run) undecided() bool {
	return slices.ContainsFunc(r.order, func(t *target) bool { return t.result == nil })
}

// listAll lists every connection, adding those found to the sweep (if any)
// and recording the state of named ones.
func (r *run) listAll(ctx context.Context, full *sweep) error {
	p := apprunner.NewListConnectionsPaginator(r.api, &apprunner.ListConnectionsInput{MaxResults: aws.Int32(listConnectionsPageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, c := range page.ConnectionSummaryList {
			arn := aws.ToString(c.ConnectionArn)
			t := r.targets[arn]
			if t == nil {
				if full == nil {
					continue
				}
				// What the listing returns is checked as a named ARN is:
				// credentials of another account or region than the one
				// configured must not make its connections fair game.
				if why := r.outOfScope(arn); why != "" {
					r.refused = append(r.refused, request.Result{
						ARN:        arn,
						Name:       aws.ToString(c.ConnectionName),
						Outcome:    request.OutcomeInvalid,
						Reason:     "listed by App Runner, but " + why + "; not deleted: check that the credentials are the configured account's",
						RequestIDs: full.ids,
					})
					continue
				}
				t = r.addTarget(arn, aws.ToString(c.ConnectionName), full, false)
			} else if full != nil {
				r.addTarget(arn, t.connectionName, full, false)
			}
			t.found, t.status, t.createdAt = true, c.Status, c.CreatedAt
		}
	}
	return nil
}

// lookupNamed finds each named connection with a filtered listing: cheaper
// than a full listing when few are named.
func (r *run) lookupNamed(ctx context.Context) {
	forEach(ctx, r.api.slots, len(r.order), func(ctx context.Context, i int) {
		t := r.order[i]
		if t.result != nil || t.found {
			return
		}
		if ctx.Err() != nil {
			t.conclude(request.OutcomeFailed, stopReason(ctx.Err()), nil)
			return
		}
		p := apprunner.NewListConnectionsPaginator(r.api, &apprunner.ListConnectionsInput{
			ConnectionName: aws.String(t.connectionName),
			MaxResults:     aws.Int32(listConnectionsPageSize),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.conclude(request.OutcomeFailed, failedReason(err, "look up connection: "+errText(err)), nil)
				return
			}
			for _, c := range page.ConnectionSummaryList {
				if aws.ToString(c.ConnectionArn) == t.arn {
					t.found, t.status, t.createdAt = true, c.Status, c.CreatedAt
				}
			}
		}
	}, func(i int, reason string) { r.order[i].conclude(request.OutcomeFailed, reason, nil) })
}

// everyConnection stands, in a result, for all the connections of an account
// and region: the subject of a listing that failed.
func everyConnection(partition, region, account string) string {
	return fmt.Sprintf("arn:%s:apprunner:%s:%s:connection/*", partition, region, account)
}
