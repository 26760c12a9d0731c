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
	listConnectionsPageSize = pageSize
	// lookupThreshold is the number of named resources of a kind above
	// which one listing of every one is cheaper than one call each.
	lookupThreshold = 10
)

// lookUp finds the targets' current state and the usage index. The two
// are independent until the policy is applied, so they run side by side:
// the resource chain (the services of deletion events, then each kind's
// listing or named look-ups) and the service index (ListServices pages,
// each page's services described as it arrives), all calls sharing the
// run's slots. A resource is judged free only once the whole index is
// built.
func (r *run) lookUp(ctx context.Context, full sweeps, byService map[string]sweeps) (*usageIndex, error) {
	if len(full) == 0 && len(byService) == 0 && len(r.order) == 0 {
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
		idx, err := buildIndex(indexCtx, r.api, r.api.slots, now, prev, r.e.cfg.Kinds, r.e.cfg.Progress)
		indexed <- built{idx, err}
	}()

	r.findResources(ctx, full, byService)
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

// findResources is the resource chain: the resources each deleted service
// used, then, kind by kind, every resource (a sweep, or many named) or
// each named one. A listing that fails fails every resource of its kind
// it was to find; the other kinds go on.
func (r *run) findResources(ctx context.Context, full sweeps, byService map[string]sweeps) {
	for _, svcARN := range slices.Sorted(maps.Keys(byService)) {
		if !r.usesOfService(ctx, svcARN, byService[svcARN]) {
			// The service is gone, so what it used cannot be told: fall
			// back to sweeping every resource of its kinds under the
			// sweep's policy.
			full.absorb(byService[svcARN])
		}
	}
	for _, k := range request.Kinds() {
		s := full[k]
		named := r.undecidedOf(k)
		if s == nil && len(named) == 0 {
			continue
		}
		if s == nil && len(named) <= lookupThreshold {
			r.lookupNamed(ctx, k, named)
			continue
		}
		if err := r.listAll(ctx, k, s); err != nil {
			reason := failedReason(err, fmt.Sprintf("list %ss: %s", k.Noun(), errText(err)))
			if s != nil {
				r.refused = append(r.refused, request.Result{
					ResourceType: k,
					ARN:          everyOf(k, r.e.cfg.Partition, r.e.cfg.Region, r.e.cfg.Account),
					Outcome:      request.OutcomeFailed,
					Reason:       reason,
					RequestIDs:   s.ids,
				})
			}
			for _, t := range r.order {
				if t.kind == k && t.result == nil {
					t.conclude(request.OutcomeFailed, reason, nil)
				}
			}
			continue
		}
		if k == request.KindObservability {
			// Their listing tells neither status nor age.
			r.describeEach(ctx, r.undecidedOf(k))
		}
	}
}

// usesOfService adds, as sweep targets of the kinds ss sweep, the
// resources a (deleted) service used. It reports false when the service
// cannot be found.
func (r *run) usesOfService(ctx context.Context, svcARN string, ss sweeps) bool {
	out, err := r.api.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(svcARN)})
	if err != nil {
		if classify(err) == errNotFound {
			return false
		}
		all := &sweep{}
		for _, k := range slices.Sorted(maps.Keys(ss)) {
			all.absorb(ss[k])
		}
		r.refused = append(r.refused, request.Result{
			ARN:        svcARN,
			Outcome:    request.OutcomeFailed,
			Reason:     failedReason(err, "find what service "+svcARN+" used: "+errText(err)),
			RequestIDs: all.ids,
		})
		return true
	}
	for _, u := range usesOf(out.Service) {
		s := ss[u.kind]
		if s == nil || r.outOfScope(u.kind, u.arn) != "" {
			continue // not swept, or not a resource this function may delete
		}
		a, _ := request.ParseKindARN(u.arn, u.kind)
		r.addTarget(u.kind, a.String(), a.Name, s, false)
	}
	return true
}

// undecidedOf returns the targets of kind k not yet decided.
func (r *run) undecidedOf(k request.Kind) []*target {
	var out []*target
	for _, t := range r.order {
		if t.kind == k && t.result == nil {
			out = append(out, t)
		}
	}
	return out
}

func (r *run) undecided() bool {
	return slices.ContainsFunc(r.order, func(t *target) bool { return t.result == nil })
}

// listAll lists every resource of kind k, adding those found to the sweep
// (if any) and recording the state of named ones.
func (r *run) listAll(ctx context.Context, k request.Kind, full *sweep) error {
	return listKind(ctx, r.api, k, func(st state) {
		t := r.targets[st.arn]
		if t == nil {
			if full == nil {
				return
			}
			// What the listing returns is checked as a named ARN is:
			// credentials of another account or region than the one
			// configured must not make its resources fair game.
			if why := r.outOfScope(k, st.arn); why != "" {
				r.refused = append(r.refused, request.Result{
					ResourceType: k,
					ARN:          st.arn,
					Name:         st.name,
					Outcome:      request.OutcomeInvalid,
					Reason:       "listed by App Runner, but " + why + "; not deleted: check that the credentials are the configured account's",
					RequestIDs:   full.ids,
				})
				return
			}
			t = r.addTarget(k, st.arn, st.name, full, false)
		} else if full != nil {
			r.addTarget(k, st.arn, t.name, full, false)
		}
		t.see(st)
	})
}

// lookupNamed finds each named resource of kind k: a connection with a
// filtered listing, the others with their description, either cheaper than
// a full listing when few are named.
func (r *run) lookupNamed(ctx context.Context, k request.Kind, targets []*target) {
	if k != request.KindConnection {
		r.describeEach(ctx, targets)
		return
	}
	forEach(ctx, r.api.slots, len(targets), func(ctx context.Context, i int) {
		t := targets[i]
		if ctx.Err() != nil {
			t.conclude(request.OutcomeFailed, stopReason(ctx.Err()), nil)
			return
		}
		p := apprunner.NewListConnectionsPaginator(r.api, &apprunner.ListConnectionsInput{
			ConnectionName: aws.String(t.name),
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
					t.see(connectionState(c))
				}
			}
		}
	}, func(i int, reason string) { targets[i].conclude(request.OutcomeFailed, reason, nil) })
}

// describeEach describes each target, on the run's slots: one App Runner
// does not know is not found (already deleted).
func (r *run) describeEach(ctx context.Context, targets []*target) {
	forEach(ctx, r.api.slots, len(targets), func(ctx context.Context, i int) {
		t := targets[i]
		if ctx.Err() != nil {
			t.conclude(request.OutcomeFailed, stopReason(ctx.Err()), nil)
			return
		}
		st, err := describeKind(ctx, r.api, t.kind, t.arn)
		switch {
		case err == nil:
			t.see(st)
		case classify(err) == errNotFound:
			t.found = false
		default:
			t.conclude(request.OutcomeFailed, failedReason(err, "describe "+t.kind.Noun()+": "+errText(err)), nil)
		}
	}, func(i int, reason string) { targets[i].conclude(request.OutcomeFailed, reason, nil) })
}
