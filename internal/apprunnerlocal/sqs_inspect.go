package apprunnerlocal

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// QueueMessage is a message sent to one of the emulator's SQS queues.
type QueueMessage struct {
	ID        string // the MessageId SQS returned to the sender
	Body      string
	MD5OfBody string
	// MD5OfMessageAttributes is empty when the message has no attributes.
	MD5OfMessageAttributes string
	MessageAttributes      map[string]MessageAttribute
	// SenderID is the sender's principal ID, as SQS gives it in the
	// SenderId attribute: for a plain access key its account's IAM user's
	// unique ID (UserPrincipalID, AIDA...), for AssumeRole's credentials
	// the role's unique ID and the session name (RolePrincipalID,
	// AROA...:SESSION). It is the UserId that STS GetCallerIdentity
	// returns for the same credentials, so that a receiver can tell its
	// own messages from others' by it.
	SenderID string
	SentAt   time.Time
	// QueueARN is the queue's ARN; Region is the region the message was
	// sent in.
	QueueARN, Region string
}

// TakeMessages removes and returns up to max messages (all, when max is
// less than 1) of the queue at queueURL, oldest first, leaving those whose
// DelaySeconds have not passed. It is how a test or the demo plays Lambda's
// SQS event source, which receives and, once the function succeeds,
// deletes. A queue never used, or a URL naming none, has no messages.
func (s *Server) TakeMessages(queueURL string, max int) []QueueMessage {
	key, ok := parseQueueURL(queueURL)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, msgs := s.st.takeMessages(key, max, s.now())
	out := make([]QueueMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.export(q))
	}
	return out
}

func (m *sqsMessage) export(q *sqsQueue) QueueMessage {
	out := QueueMessage{
		ID: m.id, Body: m.body, MD5OfBody: m.md5Body, MD5OfMessageAttributes: m.md5Attrs,
		SenderID: m.senderID, SentAt: m.sentAt, QueueARN: q.arn(), Region: m.region,
	}
	if len(m.attrs) > 0 {
		out.MessageAttributes = maps.Clone(m.attrs)
		for k, a := range out.MessageAttributes {
			a.BinaryValue = slices.Clone(a.BinaryValue)
			out.MessageAttributes[k] = a
		}
	}
	return out
}

// LambdaSQSEvent returns the event that Lambda's SQS event source would
// deliver for msgs, received at receivedAt for the first time: one record
// per message, with eventSource aws:sqs, the message's ID, body and
// digests, a fresh receipt handle, and the attributes Lambda passes on
// (ApproximateReceiveCount 1, SentTimestamp, SenderId — the sender's
// principal ID, see QueueMessage.SenderID — and
// ApproximateFirstReceiveTimestamp).
func LambdaSQSEvent(msgs []QueueMessage, receivedAt time.Time) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, m := range msgs {
		rec := events.SQSMessage{
			MessageId:     m.ID,
			ReceiptHandle: "AQEB" + randomHex(64),
			Body:          m.Body,
			Md5OfBody:     m.MD5OfBody,
			// Empty without attributes, where Lambda sends null.
			Md5OfMessageAttributes: m.MD5OfMessageAttributes,
			Attributes: map[string]string{
				"ApproximateReceiveCount":          "1",
				"SentTimestamp":                    strconv.FormatInt(m.SentAt.UnixMilli(), 10),
				"SenderId":                         m.SenderID,
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(receivedAt.UnixMilli(), 10),
			},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSourceARN:    m.QueueARN,
			EventSource:       "aws:sqs",
			AWSRegion:         m.Region,
		}
		for name, a := range m.MessageAttributes {
			attr := events.SQSMessageAttribute{DataType: a.DataType, BinaryValue: slices.Clone(a.BinaryValue)}
			if a.BinaryValue == nil {
				attr.StringValue = &a.StringValue
			}
			rec.MessageAttributes[name] = attr
		}
		ev.Records = append(ev.Records, rec)
	}
	return ev
}
