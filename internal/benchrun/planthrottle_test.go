package benchrun

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

// TestRedeliveryQueueDeliversFailuresAgainUpToMaxReceives plays two
// environments against the queue: every batch is handed out once, a failed
// work item comes back in a later batch until its MaxReceives-th delivery,
// and then counts as dead rather than being delivered again.
func TestRedeliveryQueueDeliversFailuresAgainUpToMaxReceives(t *testing.T) {
	msgs := make([]apprunnerlocal.QueueMessage, 25)
	for i := range msgs {
		msgs[i].ID = fmt.Sprintf("m%02d", i)
	}
	q := &redeliveryQueue{receives: map[string]int{}, failed: map[string]bool{}, reasons: map[string]int{}}
	q.cond = sync.NewCond(&q.mu)
	for b := range slices.Chunk(msgs, EventSourceBatch) {
		q.batches = append(q.batches, b)
	}
	// m03 fails once, m07 every time.
	var (
		mu   sync.Mutex
		runs = map[string]int{}
		wg   sync.WaitGroup
	)
	for range 2 {
		wg.Go(func() {
			for {
				batch, ok := q.take()
				if !ok {
					return
				}
				if len(batch) > EventSourceBatch {
					t.Errorf("a batch of %d", len(batch))
				}
				failed := map[string]bool{}
				mu.Lock()
				for _, m := range batch {
					runs[m.ID]++
					if m.ID == "m07" || m.ID == "m03" && runs[m.ID] == 1 {
						failed[m.ID] = true
					}
				}
				mu.Unlock()
				q.done(batch, failed, []string{"throttled: check account 200000000001"})
			}
		})
	}
	wg.Wait()
	for _, m := range msgs {
		want := 1
		switch m.ID {
		case "m03":
			want = 2
		case "m07":
			want = MaxReceives
		}
		if runs[m.ID] != want {
			t.Errorf("%s ran %d times, want %d", m.ID, runs[m.ID], want)
		}
	}
	if q.dead != 1 || len(q.failed) != 2 || q.deliveries != 25+1+MaxReceives-1 {
		t.Errorf("dead %d, failed %d, deliveries %d; want 1, 2, %d", q.dead, len(q.failed), q.deliveries, 25+MaxReceives)
	}
	if len(q.reasons) != 1 {
		t.Errorf("reasons %v: want one, the account ID left out", q.reasons)
	}
}
