package benchrun

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Page sizes a sweep asks for: the API's maxima (the model allows
// ListConnections MaxResults 1..100 and ListServices MaxResults 1..20).
const (
	ConnectionsPerPage = 100
	ServicesPerPage    = 20
)

// Sweep is what a sweep's lower bound depends on.
type Sweep struct {
	// Connections (C) and Services (S) in the account and region; every
	// service is live (none DELETED), so each needs one DescribeService.
	Connections, Services int
	// Free (F) is the number of connections that no service uses and that
	// policy keeps no further: each needs one ListTagsForResource (the
	// protection tag), and a real sweep one DeleteConnection after it.
	Free int
	// Concurrency (K) is MAX_CONCURRENCY: at most K describes, tag look-ups
	// and deletions at once.
	Concurrency int
	// Latency (L) is the time of every call.
	Latency time.Duration
	// Delete asks for the bound of a real sweep; false is a dry run, which
	// makes no DeleteConnection.
	Delete bool
	// PagesTakeSlots counts the page calls against K too, for an engine
	// whose every call takes one of its MAX_CONCURRENCY slots: the chains
	// then leave fewer slots to the describes.
	PagesTakeSlots bool
	// Others are the other kinds of leftover the sweep covers, if any.
	Others []Leftovers
}

// Leftovers are the resources of one kind other than connections that a
// sweep covers (RESOURCE_TYPES): Total listed, Free of them no service
// uses. Their listing is a chain of its own (100 a page); an observability
// configuration's listing says neither its age nor its status, so each
// needs a describe once its page is back; a free auto scaling
// configuration needs ListServicesForAutoScalingConfiguration (the
// cross-check) before its tag look-up.
type Leftovers struct {
	Kind        string
	Total, Free int
}

// The kinds of Leftovers, as RESOURCE_TYPES names them, and their calls.
const (
	KindVPCConnector  = "vpc-connector"
	KindAutoScaling   = "auto-scaling-configuration"
	KindObservability = "observability-configuration"
)

// kindOps are each kind's list, describe (if its listing needs one) and
// delete operations, and its cross-check.
var kindOps = map[string]struct{ list, describe, del, check string }{
	KindVPCConnector:  {list: "ListVpcConnectors", del: "DeleteVpcConnector"},
	KindAutoScaling:   {list: "ListAutoScalingConfigurations", del: "DeleteAutoScalingConfiguration", check: "ListServicesForAutoScalingConfiguration"},
	KindObservability: {list: "ListObservabilityConfigurations", describe: "DescribeObservabilityConfiguration", del: "DeleteObservabilityConfiguration"},
}

// Bound is the least wall time and the fewest App Runner calls of a sweep,
// whatever the engine, if every call takes exactly Latency:
//
//   - the ListConnections pages (100 a page) form a chain, and so do the
//     ListServices pages (20 a page): page i of each returns at i·L. The two
//     chains run beside each other, and their calls are not counted
//     against K (unless PagesTakeSlots);
//   - a service can be described once its page has returned; K slots take
//     describes, in page order, as soon as their page is back;
//   - a connection is known to be free only when both chains and every
//     describe have ended. Then each free connection needs one tag look-up,
//     and in a real sweep one deletion after its look-up, K at a time.
//
// Every call takes one step of L, and everything starts on a step, so a
// step-by-step simulation is exact. Scheduling describes as soon as a slot
// and a service are free is optimal here (all describes take the same
// time), and so is giving tag look-ups the slots before deletions. With
// PagesTakeSlots the page calls go before describes; the tests check that
// no schedule does better (Hu's algorithm, optimal for such a forest of
// equal-length calls, on the reversed graph).
type Bound struct {
	Sweep
	// ConnectionPages (P_C) and ServicePages (P_S): at least one call each,
	// even for an empty account.
	ConnectionPages, ServicePages int
	// DescribeSteps (D) is the step at which the last describe ends.
	DescribeSteps int
	// IndexSteps is when both chains and every describe have ended:
	// max(P_C, P_S, D), unless the pages take slots.
	IndexSteps int
	// DecideSteps is the tag look-ups' steps, and the deletions' in a real
	// sweep, after the index.
	DecideSteps int
	// Steps is IndexSteps + DecideSteps; Wall is Steps·L.
	Steps int
	Wall  time.Duration
	// Calls holds the fewest calls of each operation.
	Calls map[string]int
}

// TotalCalls returns the fewest App Runner calls of the sweep.
func (b Bound) TotalCalls() int {
	n := 0
	for _, c := range b.Calls {
		n += c
	}
	return n
}

// Operations lists the App Runner operations of a sweep of connections in
// the order it makes them; OtherOperations those a sweep of the other
// kinds adds.
var (
	Operations      = []string{"ListConnections", "ListServices", "DescribeService", "ListTagsForResource", "DeleteConnection"}
	OtherOperations = []string{
		"ListVpcConnectors", "DeleteVpcConnector",
		"ListAutoScalingConfigurations", "ListServicesForAutoScalingConfiguration", "DeleteAutoScalingConfiguration",
		"ListObservabilityConfigurations", "DescribeObservabilityConfiguration", "DeleteObservabilityConfiguration",
	}
)

// LowerBound works out the bound of a sweep by simulating it step by step.
func LowerBound(s Sweep) (Bound, error) {
	switch {
	case s.Connections < 0 || s.Services < 0 || s.Free < 0:
		return Bound{}, fmt.Errorf("negative count in %+v", s)
	case s.Free > s.Connections:
		return Bound{}, fmt.Errorf("%d free connections of %d", s.Free, s.Connections)
	case s.Concurrency < 1:
		return Bound{}, errors.New("concurrency must be at least 1")
	case s.Latency < 0:
		return Bound{}, errors.New("negative latency")
	}
	for _, o := range s.Others {
		if _, ok := kindOps[o.Kind]; !ok || o.Total < 0 || o.Free < 0 || o.Free > o.Total {
			return Bound{}, fmt.Errorf("leftovers %+v: want a known kind and 0 <= free <= total", o)
		}
	}
	b := Bound{
		Sweep:           s,
		ConnectionPages: pages(s.Connections, ConnectionsPerPage),
		ServicePages:    pages(s.Services, ServicesPerPage),
	}
	k := s.Concurrency

	// The chains and the describes, step by step: a call started in step t
	// (from t·L to (t+1)·L) returns at its end, and the services of the
	// ListServices pages returned by t·L may be described in step t, as
	// may the observability configurations of their pages.
	type chain struct {
		pages, done int
		per         int // items a page brings that need a describe
		describe    int // how many of them in all
	}
	chains := []*chain{{pages: b.ServicePages, per: ServicesPerPage, describe: s.Services}, {pages: b.ConnectionPages}}
	describes := s.Services
	for _, o := range s.Others {
		c := &chain{pages: pages(o.Total, ConnectionsPerPage)}
		if kindOps[o.Kind].describe != "" {
			c.per, c.describe = ConnectionsPerPage, o.Total
			describes += o.Total
		}
		chains = append(chains, c)
	}
	described := 0
	busy := func() bool {
		if described < describes {
			return true
		}
		for _, c := range chains {
			if c.done < c.pages {
				return true
			}
		}
		return false
	}
	for t := 0; busy(); t++ {
		slots := k
		// With shared slots the chains go first: each of their calls
		// opens the way for more work (a page to describe, the next page).
		var moved []*chain
		for _, c := range chains {
			if c.done == c.pages || (s.PagesTakeSlots && slots == 0) {
				continue
			}
			if s.PagesTakeSlots {
				slots--
			}
			moved = append(moved, c)
		}
		arrived := 0
		for _, c := range chains {
			arrived += min(c.describe, c.per*c.done)
		}
		n := min(slots, arrived-described)
		for _, c := range moved {
			c.done++
		}
		if n > 0 {
			described += n
			b.DescribeSteps = t + 1
		}
		if len(moved) > 0 || n > 0 {
			b.IndexSteps = t + 1
		}
	}

	// After the index, each free resource is a chain of calls: the
	// cross-check of an auto scaling configuration, the tag look-up, and
	// in a real sweep the deletion, each the step after the one before.
	// Taking, each step, the K resources with the most calls left is
	// optimal for such chains of equal-length calls (Hu's algorithm): the
	// look-ups go before the deletions.
	left := map[int]int{} // calls left -> resources
	chainOf := func(check bool) int {
		n := 1
		if check {
			n++
		}
		if s.Delete {
			n++
		}
		return n
	}
	left[chainOf(false)] += s.Free
	for _, o := range s.Others {
		left[chainOf(kindOps[o.Kind].check != "")] += o.Free
	}
	for {
		taken, next := 0, map[int]int{}
		for r := 3; r >= 1; r-- {
			n := min(k-taken, left[r])
			taken += n
			next[r] += left[r] - n
			if r > 1 {
				next[r-1] += n
			}
		}
		if taken == 0 {
			break
		}
		left = next
		b.DecideSteps++
	}
	b.Steps = b.IndexSteps + b.DecideSteps
	b.Wall = time.Duration(b.Steps) * s.Latency

	b.Calls = map[string]int{
		"ListConnections":     b.ConnectionPages,
		"ListServices":        b.ServicePages,
		"DescribeService":     s.Services,
		"ListTagsForResource": s.Free,
		"DeleteConnection":    0,
	}
	if s.Delete {
		b.Calls["DeleteConnection"] = s.Free
	}
	for _, o := range s.Others {
		ops := kindOps[o.Kind]
		b.Calls[ops.list] += pages(o.Total, ConnectionsPerPage)
		b.Calls["ListTagsForResource"] += o.Free
		if ops.describe != "" {
			b.Calls[ops.describe] += o.Total
		}
		if ops.check != "" {
			b.Calls[ops.check] += o.Free
		}
		if s.Delete {
			b.Calls[ops.del] += o.Free
		}
	}
	return b, nil
}

// pages is the number of list calls that return n items at most per a
// page: one for an empty list too.
func pages(n, per int) int {
	return max(1, ceilDiv(n, per))
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Formula is the bound in words and symbols, for the results.
const Formula = `C connections, S services (all live), F free connections, K = MAX_CONCURRENCY, L = latency of every call

P_C   = max(1, ⌈C/100⌉)   ListConnections pages: a chain, page i returns at i·L
P_S   = max(1, ⌈S/20⌉)    ListServices pages: a chain beside it, page i brings 20 services at i·L
D     = step at which the last DescribeService ends when K slots take describes, in page order,
        as soon as their page has returned (simulated step by step; equal to
        max over pages i of i + ⌈(S − 20·(i−1))/K⌉)
index = max(P_C, P_S, D)  both chains and every describe have ended: only now is a connection known to be free
tags  = ⌈F/K⌉             one ListTagsForResource per free connection, K at a time
dry run: no DeleteConnection, so the bound has the tag look-ups only
  T_min     = L · (index + ⌈F/K⌉)
  calls_min = P_C + P_S + S + F
real sweep: a DeleteConnection per free connection after its look-up
  T_min     = L · (index + max(2, ⌈2F/K⌉))   (index alone when F = 0)
  calls_min = P_C + P_S + S + 2F
The page calls are not counted against K here, so an engine that counts them cannot beat this bound either.
With the page calls in the K slots (the chains' calls first, as they open the way for more work; simulated
the same way), fewer slots are left to the describes while the chains run: a second, higher bound.`

// Explain writes out the bound's arithmetic for one sweep.
func (b Bound) Explain() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "P_C = %d, P_S = %d, D = %d, index = %d; ", b.ConnectionPages, b.ServicePages, b.DescribeSteps, b.IndexSteps)
	if b.Delete {
		fmt.Fprintf(&sb, "look-ups and deletions of %d free connections take %d; ", b.Free, b.DecideSteps)
	} else {
		fmt.Fprintf(&sb, "tags ⌈%d/%d⌉ = %d; ", b.Free, b.Concurrency, b.DecideSteps)
	}
	fmt.Fprintf(&sb, "%d × %s = %s", b.Steps, exact(b.Latency), duration(b.Wall))
	return sb.String()
}
