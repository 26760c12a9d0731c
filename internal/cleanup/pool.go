package cleanup

import (
	"context"
	"fmt"
	"sync"
)

// slots bound how much work runs at once: a run's App Runner calls (every
// stage of the run shares its one set, see runAPI), a dispatcher's scopes.
// Work is started with a group, which takes a slot before it starts a
// goroutine and gives it back when the work ends, so that there are never
// more goroutines at work than slots, however many items wait.
//
// A call made by work that holds a slot runs on that slot: the work's
// context says which slots it holds (see holds), and the run's middleware
// takes no second one. Work makes its calls one after another, so a slot
// is one call in flight.
type slots chan struct{}

func newSlots(n int) slots { return make(slots, max(n, 1)) }

// heldKey is the context key under which work names the slots it holds one
// of.
type heldKey struct{}

// holds reports whether ctx is that of work holding one of s.
func (s slots) holds(ctx context.Context) bool {
	held, _ := ctx.Value(heldKey{}).(slots)
	return held != nil && held == s
}

// take waits for a free slot; it reports false, taking none, when ctx ends
// first.
func (s slots) take(ctx context.Context) bool {
	select {
	case s <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s slots) give() { <-s }

// group starts work on slots and waits for it.
type group struct {
	s  slots
	wg sync.WaitGroup
}

// Go runs fn on a goroutine of its own once a slot is free, holding the
// slot until fn returns. When ctx ends before a slot frees, fn runs at
// once on the caller's goroutine without one: it finds its context ended,
// and its calls are not started, but it still concludes what it was given.
func (g *group) Go(ctx context.Context, fn func(ctx context.Context)) {
	if !g.s.take(ctx) {
		fn(ctx)
		return
	}
	g.wg.Add(1)
	go func() {
		defer func() { g.s.give(); g.wg.Done() }()
		fn(context.WithValue(ctx, heldKey{}, g.s))
	}()
}

// Wait waits for all the work started.
func (g *group) Wait() { g.wg.Wait() }

// forEach calls fn for 0..n-1, each on a slot of s. Every index is
// visited: fn itself checks the context, so work that the deadline
// prevents still gets its outcome. A panic in fn is recovered and handed
// to failed with the index: a bug met by one connection becomes that
// connection's failure instead of killing the runtime (and with it every
// message of an SQS batch).
func forEach(ctx context.Context, s slots, n int, fn func(ctx context.Context, i int), failed func(i int, reason string)) {
	g := group{s: s}
	defer g.Wait()
	for i := range n {
		g.Go(ctx, func(ctx context.Context) {
			defer func() {
				if v := recover(); v != nil {
					failed(i, panicReason(v))
				}
			}()
			fn(ctx, i)
		})
	}
}

// panicReason is the outcome reason of work that panicked.
func panicReason(v any) string {
	return fmt.Sprintf("internal error: %v; it will be retried (please report this)", v)
}
