package cleanup

import (
	"context"
	"fmt"
	"sync"
)

// forEach calls fn for 0..n-1 with at most limit calls running at once.
// Every index is visited: fn itself checks the context, so work that the
// deadline prevents still gets its outcome. A panic in fn is recovered and
// handed to failed with the index: a bug met by one connection becomes that
// connection's failure instead of killing the runtime (and with it every
// message of an SQS batch).
func forEach(ctx context.Context, limit, n int, fn func(ctx context.Context, i int), failed func(i int, reason string)) {
	if limit < 1 {
		limit = 1
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			defer func() {
				if v := recover(); v != nil {
					failed(i, panicReason(v))
				}
			}()
			fn(ctx, i)
		}()
	}
	wg.Wait()
}

// panicReason is the outcome reason of work that panicked.
func panicReason(v any) string {
	return fmt.Sprintf("internal error: %v; it will be retried (please report this)", v)
}
