package apprunnerlocal

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The emulator answers the Amazon SQS calls that the cleanup function's
// planner makes to send work items to its own queue, and a few that help a
// test or a person look at a queue, in SQS's own protocol: AWS JSON 1.0
// with the awsQueryCompatible trait (POST /, X-Amz-Target:
// AmazonSQS.<Operation>, Content-Type application/x-amz-json-1.0; errors as
// {"__type": "com.amazonaws.sqs#<Shape>", "message": ...} with the Query
// protocol's error code in the X-Amzn-Query-Error header, "<code>;Sender",
// which the SDK reports as the error's code: a missing queue is
// *types.QueueDoesNotExist whose ErrorCode() is
// AWS.SimpleQueueService.NonExistentQueue). The real SDK's SQS client,
// pointed here with AWS_ENDPOINT_URL_SQS, works unchanged, its checks of
// MD5OfMessageBody included.
//
// Operations: SendMessage, SendMessageBatch, GetQueueUrl and
// GetQueueAttributes. Nothing receives messages over the API: a test or
// the demo plays Lambda's SQS event source with [Server.TakeMessages] and
// [LambdaSQSEvent]. Each message records its sender's principal ID
// (principal.go), as SQS's SenderId attribute does.
//
// Queues are standard queues. [Options.Queues] names them, and every
// account has a queue of each name, its own, from its first use; the
// region is not part of a queue's identity here (one endpoint serves every
// region), and a queue's ARN names the region of the first call that
// reached it. A queue URL is <any base URL>/<account>/<name>, as clients
// send it: its scheme and host are not looked at, so
// https://sqs.us-east-1.amazonaws.com/123456789012/name and
// http://127.0.0.1:PORT/123456789012/name address the same queue. Sending
// to another account's queue is refused with AccessDenied: queue policies
// are not modelled.
//
// Input is checked as the model and the service do: SendMessageBatch
// takes 1 to 10 entries (EmptyBatchRequest, TooManyEntriesInBatchRequest)
// whose IDs are 1 to 80 letters, digits, hyphens or underscores
// (InvalidBatchEntryId) and distinct (BatchEntryIdsNotDistinct), and
// whose messages together hold at most [Options.MaxMessageSize] bytes
// (BatchRequestTooLong); a message body must be present and made of the
// characters SQS allows (InvalidMessageContents), DelaySeconds is 0 to
// 900, at most 10 message attributes, of type String, Number or Binary
// (with an optional .suffix), and AWSTraceHeader the only system
// attribute. In a batch, an entry that fails these checks is a Failed
// entry (SenderFault true) and the others are sent; in SendMessage the
// call fails. MessageGroupId is accepted (fair queues);
// MessageDeduplicationId is refused, as on a standard queue.
//
// [Options.SQSFailMessages] makes the next messages sent fail (a Failed
// entry with Code InternalError and SenderFault false in
// SendMessageBatch, an InternalError with HTTP 500 in SendMessage), so
// that a sender's retry of failed entries can be tested. SQS calls are
// counted in [Stats] as "sqs:<Operation>"; Latency, RateLimits and
// FaultRate do not apply to them.

// sqsTargetPrefix starts the X-Amz-Target of every SQS call.
const sqsTargetPrefix = "AmazonSQS."

// sqsStatPrefix names SQS operations in Stats.
const sqsStatPrefix = "sqs:"

// Limits of SQS.
const (
	// DefaultMaxMessageSize is the largest message, and the largest
	// SendMessageBatch, a queue takes unless Options.MaxMessageSize says
	// otherwise: 256 KiB, the largest SQS message body the cleanup
	// function decodes.
	DefaultMaxMessageSize = 256 * 1024
	maxBatchEntries       = 10
	maxDelaySeconds       = 900
	maxMessageAttributes  = 10
	// maxSQSBodyBytes bounds request bodies: ten messages of up to 1 MiB
	// (the largest MaxMessageSize SQS allows), escaped in JSON.
	maxSQSBodyBytes = 16 << 20
	// Attribute values of every queue, which the emulator does not let
	// anyone change.
	queueVisibilityTimeout = 30
	queueRetentionPeriod   = 345600
)

var (
	batchEntryIDRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	attributeNameRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)
	queueNameRE       = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	queueAttributeSet = []string{
		"All", "Policy", "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod",
		"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp",
		"LastModifiedTimestamp", "QueueArn", "ApproximateNumberOfMessagesDelayed", "DelaySeconds",
		"ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "FifoQueue", "ContentBasedDeduplication",
		"KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "DeduplicationScope", "FifoThroughputLimit",
		"RedriveAllowPolicy", "SqsManagedSseEnabled",
	}
)

// sqsError is an error of the SQS protocol: the shape's name goes in
// __type, the Query protocol's code in X-Amzn-Query-Error.
type sqsError struct {
	status      int
	shape, code string
	msg         string
	server      bool // the Query error's fault is Receiver, not Sender
}

// Errors of SQS. The model's errors carry their shape name and status;
// the generic ones (InvalidParameterValue, MissingParameter,
// AccessDenied, InternalError) are not in the model and go by their code.
func sqsModelled(status int, shape, code, format string, args ...any) *sqsError {
	return &sqsError{status: status, shape: shape, code: code, msg: fmt.Sprintf(format, args...)}
}

func sqsGeneric(status int, code, format string, args ...any) *sqsError {
	return &sqsError{status: status, shape: code, code: code, msg: fmt.Sprintf(format, args...)}
}

func errQueueDoesNotExist() *sqsError {
	return sqsModelled(http.StatusBadRequest, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}

func errSQSParameter(format string, args ...any) *sqsError {
	return sqsGeneric(http.StatusBadRequest, "InvalidParameterValue", format, args...)
}

func errSQSMissing(member string) *sqsError {
	return sqsGeneric(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter %s.", member)
}

// serveSQS runs one SQS call: op is the X-Amz-Target after
// sqsTargetPrefix.
func (s *Server) serveSQS(w http.ResponseWriter, r *http.Request, op string) {
	stat := sqsStatPrefix + op
	h, known := sqsHandlers[op]
	if !known {
		s.sqsFail(w, stat, sqsGeneric(http.StatusBadRequest, "UnknownOperationException", "unknown or not emulated SQS operation %q", op))
		return
	}
	c, aerr := s.authenticateFor(r, "sqs")
	if aerr != nil {
		s.sqsFail(w, stat, sqsGeneric(aerr.status, aerr.code, "%s", aerr.msg))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSQSBodyBytes))
	if err != nil {
		s.sqsFail(w, stat, sqsGeneric(http.StatusBadRequest, "SerializationException", "cannot read request body: %v", err))
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	out, serr := h(s, sqsCall{caller: c, host: r.Host, tls: r.TLS != nil}, body)
	if serr != nil {
		s.sqsFail(w, stat, serr)
		return
	}
	data, err := json.Marshal(out)
	if err != nil {
		s.sqsFail(w, stat, &sqsError{status: http.StatusInternalServerError, shape: "InternalError", code: "InternalError", msg: "encode response: " + err.Error(), server: true})
		return
	}
	s.mu.Lock()
	s.record(stat, "ok")
	s.mu.Unlock()
	writeJSON(w, json10, http.StatusOK, data)
}

// sqsFail writes e as SQS does and counts the call under its Query code.
func (s *Server) sqsFail(w http.ResponseWriter, stat string, e *sqsError) {
	s.mu.Lock()
	s.record(stat, e.code)
	s.mu.Unlock()
	fault := "Sender"
	if e.server {
		fault = "Receiver"
	}
	w.Header().Set("X-Amzn-Query-Error", e.code+";"+fault)
	data, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + e.shape, "message": e.msg})
	writeJSON(w, json10, e.status, data)
}

// sqsCall is who made an SQS call, and the host it was sent to (for the
// URLs GetQueueUrl returns).
type sqsCall struct {
	caller
	host string
	tls  bool
}

type sqsHandler func(s *Server, c sqsCall, body []byte) (any, *sqsError)

var sqsHandlers = map[string]sqsHandler{
	"SendMessage":        (*Server).sqsSendMessage,
	"SendMessageBatch":   (*Server).sqsSendMessageBatch,
	"GetQueueUrl":        (*Server).sqsGetQueueURL,
	"GetQueueAttributes": (*Server).sqsGetQueueAttributes,
}

// queue returns the queue a caller addresses by URL, creating an
// account's queue of a name in Options.Queues on its first use. The
// caller holds s.mu.
func (s *Server) queue(c caller, queueURL *string) (*sqsQueue, *sqsError) {
	if queueURL == nil || *queueURL == "" {
		return nil, errSQSMissing("QueueUrl")
	}
	key, ok := parseQueueURL(*queueURL)
	if !ok {
		return nil, sqsModelled(http.StatusNotFound, "InvalidAddress", "InvalidAddress", "The address %s is not valid for this endpoint.", *queueURL)
	}
	return s.queueByKey(c, key, *queueURL)
}

// queueByKey is queue for a queue named by owner and name; what names
// it in the messages. The caller holds s.mu.
func (s *Server) queueByKey(c caller, key queueKey, what string) (*sqsQueue, *sqsError) {
	if !slices.Contains(s.opts.Queues, key.name) {
		return nil, errQueueDoesNotExist()
	}
	if key.account != c.account {
		return nil, sqsGeneric(http.StatusForbidden, "AccessDenied", "Access to the resource %s is denied.", what)
	}
	return s.st.openQueue(key, c.region, s.stamp), nil
}

// maxMessageSize is the queue's limit; the caller holds s.mu.
func (s *Server) maxMessageSize() int {
	if s.opts.MaxMessageSize > 0 {
		return s.opts.MaxMessageSize
	}
	return DefaultMaxMessageSize
}

// injectedFailure uses one of Options.SQSFailMessages, if any is left;
// the caller holds s.mu.
func (s *Server) injectedFailure() bool {
	if s.opts.SQSFailMessages <= 0 {
		return false
	}
	s.opts.SQSFailMessages--
	return true
}

const injectedFailureMessage = "We encountered an internal error. Please try again. (injected failure)"

// enqueue adds a checked message to q and returns its ID; the caller
// holds s.mu.
func (s *Server) enqueue(q *sqsQueue, c sqsCall, m checkedMessage) *sqsMessage {
	now := s.now()
	msg := &sqsMessage{
		id: newUUID(), body: m.body, md5Body: md5Hex(m.body), md5Attrs: m.md5Attrs, attrs: m.attrs,
		senderID: c.principal().id, region: c.region, sentAt: now, visibleAt: now.Add(m.delay),
	}
	s.st.enqueue(q, msg)
	return msg
}

type sendMessageInput struct {
	QueueUrl *string
	messageInput
}

type sendMessageOutput struct {
	MessageId                    string `json:"MessageId"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty"`
}

func (s *Server) sqsSendMessage(c sqsCall, body []byte) (any, *sqsError) {
	var in sendMessageInput
	if err := decodeSQS(body, &in); err != nil {
		return nil, err
	}
	if in.QueueUrl == nil {
		return nil, errSQSMissing("QueueUrl")
	}
	m, err := in.check()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit := s.maxMessageSize(); m.size > limit {
		return nil, errSQSParameter("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", limit)
	}
	q, err := s.queue(c.caller, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if s.injectedFailure() {
		return nil, &sqsError{status: http.StatusInternalServerError, shape: "InternalError", code: "InternalError", msg: injectedFailureMessage, server: true}
	}
	msg := s.enqueue(q, c, m)
	return sendMessageOutput{MessageId: msg.id, MD5OfMessageBody: msg.md5Body, MD5OfMessageAttributes: m.md5Attrs, MD5OfMessageSystemAttributes: m.md5Sys}, nil
}

type sendMessageBatchInput struct {
	QueueUrl *string
	Entries  []struct {
		Id *string
		messageInput
	}
}

type sendBatchResultEntry struct {
	Id string `json:"Id"`
	sendMessageOutput
}

type batchResultErrorEntry struct {
	Id          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty"`
}

type sendMessageBatchOutput struct {
	Successful []sendBatchResultEntry  `json:"Successful"`
	Failed     []batchResultErrorEntry `json:"Failed"`
}

func (s *Server) sqsSendMessageBatch(c sqsCall, body []byte) (any, *sqsError) {
	var in sendMessageBatchInput
	if err := decodeSQS(body, &in); err != nil {
		return nil, err
	}
	if in.QueueUrl == nil {
		return nil, errSQSMissing("QueueUrl")
	}
	switch n := len(in.Entries); {
	case n == 0:
		return nil, sqsModelled(http.StatusBadRequest, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
			"There should be at least one SendMessageBatchRequestEntry in the request.")
	case n > maxBatchEntries:
		return nil, sqsModelled(http.StatusBadRequest, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
			"Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, n)
	}
	seen := map[string]bool{}
	for _, e := range in.Entries {
		if e.Id == nil || !batchEntryIDRE.MatchString(*e.Id) {
			return nil, sqsModelled(http.StatusBadRequest, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
				"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[*e.Id] {
			return nil, sqsModelled(http.StatusBadRequest, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
				"Id %s repeated.", *e.Id)
		}
		seen[*e.Id] = true
	}
	out := sendMessageBatchOutput{Successful: []sendBatchResultEntry{}, Failed: []batchResultErrorEntry{}}
	checked := make([]checkedMessage, len(in.Entries))
	ok := make([]bool, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		m, err := e.check()
		if err != nil {
			out.Failed = append(out.Failed, batchResultErrorEntry{Id: *e.Id, SenderFault: true, Code: err.code, Message: err.msg})
			continue
		}
		checked[i], ok[i] = m, true
		total += m.size
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit := s.maxMessageSize(); total > limit {
		return nil, sqsModelled(http.StatusBadRequest, "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
			"Batch requests cannot be longer than %d bytes. You have sent %d bytes.", limit, total)
	}
	q, err := s.queue(c.caller, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	for i, e := range in.Entries {
		if !ok[i] {
			continue
		}
		if s.injectedFailure() {
			out.Failed = append(out.Failed, batchResultErrorEntry{Id: *e.Id, Code: "InternalError", Message: injectedFailureMessage})
			continue
		}
		m := checked[i]
		msg := s.enqueue(q, c, m)
		out.Successful = append(out.Successful, sendBatchResultEntry{Id: *e.Id, sendMessageOutput: sendMessageOutput{
			MessageId: msg.id, MD5OfMessageBody: msg.md5Body, MD5OfMessageAttributes: m.md5Attrs, MD5OfMessageSystemAttributes: m.md5Sys,
		}})
	}
	return out, nil
}

type getQueueURLInput struct {
	QueueName              *string
	QueueOwnerAWSAccountId *string
}

type getQueueURLOutput struct {
	QueueUrl string `json:"QueueUrl"`
}

func (s *Server) sqsGetQueueURL(c sqsCall, body []byte) (any, *sqsError) {
	var in getQueueURLInput
	if err := decodeSQS(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == nil || *in.QueueName == "" {
		return nil, errSQSMissing("QueueName")
	}
	if !queueNameRE.MatchString(*in.QueueName) {
		return nil, errQueueDoesNotExist()
	}
	key := queueKey{account: c.account, name: *in.QueueName}
	if o := in.QueueOwnerAWSAccountId; o != nil {
		if !accountRE.MatchString(*o) {
			return nil, errSQSParameter("Value %s for parameter QueueOwnerAWSAccountId is invalid. Reason: Invalid account id.", *o)
		}
		key.account = *o
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.queueByKey(c.caller, key, key.account+"/"+key.name); err != nil {
		return nil, err
	}
	scheme := "http"
	if c.tls {
		scheme = "https"
	}
	return getQueueURLOutput{QueueUrl: scheme + "://" + c.host + "/" + key.account + "/" + key.name}, nil
}

type getQueueAttributesInput struct {
	QueueUrl       *string
	AttributeNames []string
}

type getQueueAttributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

func (s *Server) sqsGetQueueAttributes(c sqsCall, body []byte) (any, *sqsError) {
	var in getQueueAttributesInput
	if err := decodeSQS(body, &in); err != nil {
		return nil, err
	}
	if in.QueueUrl == nil {
		return nil, errSQSMissing("QueueUrl")
	}
	for _, n := range in.AttributeNames {
		if !slices.Contains(queueAttributeSet, n) {
			return nil, sqsModelled(http.StatusBadRequest, "InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute %s.", n)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queue(c.caller, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := s.now()
	visible, delayed := 0, 0
	for _, m := range q.msgs {
		if m.visibleAt.After(now) {
			delayed++
		} else {
			visible++
		}
	}
	created := strconv.FormatInt(q.createdAt.Unix(), 10)
	all := map[string]string{
		"QueueArn":                              q.arn(),
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(delayed),
		"CreatedTimestamp":                      created,
		"LastModifiedTimestamp":                 created,
		"VisibilityTimeout":                     strconv.Itoa(queueVisibilityTimeout),
		"MaximumMessageSize":                    strconv.Itoa(s.maxMessageSize()),
		"MessageRetentionPeriod":                strconv.Itoa(queueRetentionPeriod),
		"DelaySeconds":                          "0",
		"ReceiveMessageWaitTimeSeconds":         "0",
		"SqsManagedSseEnabled":                  "true",
	}
	out := getQueueAttributesOutput{}
	for _, n := range in.AttributeNames {
		if out.Attributes == nil {
			out.Attributes = map[string]string{}
		}
		if n == "All" {
			for k, v := range all {
				out.Attributes[k] = v
			}
		} else if v, ok := all[n]; ok {
			out.Attributes[n] = v
		}
	}
	return out, nil
}

// partitionOf names the partition of a region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
