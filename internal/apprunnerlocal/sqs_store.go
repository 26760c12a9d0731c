package apprunnerlocal

import "time"

// The SQS side of the store: queues and their messages, kept as the App
// Runner side keeps connections and services (store.go), apart from the
// protocol (sqs.go) and the checks of its input (sqs_input.go). Like the
// rest of the store it does no locking: Server.mu guards it.

// queueKey identifies a queue: its owner and name.
type queueKey struct {
	account, name string
}

type sqsQueue struct {
	queueKey
	region    string // of the first call that reached it
	createdAt time.Time
	msgs      []*sqsMessage // oldest first
}

func (q *sqsQueue) arn() string {
	return "arn:" + partitionOf(q.region) + ":sqs:" + q.region + ":" + q.account + ":" + q.name
}

type sqsMessage struct {
	id, body, md5Body, md5Attrs string
	attrs                       map[string]MessageAttribute
	// senderID is the sender's principal ID (principal.go), as SQS
	// records it in the SenderId attribute.
	senderID, region  string
	sentAt, visibleAt time.Time
}

// MessageAttribute is a message attribute of an SQS message.
type MessageAttribute struct {
	DataType    string
	StringValue string // String and Number types
	BinaryValue []byte // Binary types
}

// openQueue returns the queue of key, made on its first use in region at
// the time stamp returns.
func (st *store) openQueue(key queueKey, region string, stamp func() time.Time) *sqsQueue {
	q := st.queues[key]
	if q == nil {
		q = &sqsQueue{queueKey: key, region: region, createdAt: stamp()}
		st.queues[key] = q
	}
	return q
}

// enqueue adds msg to the end of q.
func (st *store) enqueue(q *sqsQueue, msg *sqsMessage) {
	q.msgs = append(q.msgs, msg)
}

// takeMessages removes and returns up to max messages (all, when max is
// less than 1) of the queue of key, oldest first, leaving those not yet
// visible at now; the queue is nil when never used.
func (st *store) takeMessages(key queueKey, max int, now time.Time) (*sqsQueue, []*sqsMessage) {
	q := st.queues[key]
	if q == nil {
		return nil, nil
	}
	var out []*sqsMessage
	kept := q.msgs[:0:0]
	for _, m := range q.msgs {
		if (max < 1 || len(out) < max) && !m.visibleAt.After(now) {
			out = append(out, m)
			continue
		}
		kept = append(kept, m)
	}
	q.msgs = kept
	return q, out
}
