package apprunnerlocal_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

const workQueue = "cleanup-work"

// newSQSClient returns the real SQS client for one access key, without
// retries unless the options say otherwise: a test sees every error the
// emulator returns.
func newSQSClient(url, accessKey, region string, optFns ...func(*sqs.Options)) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:           region,
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       apprunnerlocal.HTTPClient(),
	}, optFns...)
}

// sqsServer serves an emulator with the work queue; the access key OTHER
// belongs to 210987654321, any other to DefaultAccount.
func sqsServer(t *testing.T, opts apprunnerlocal.Options) (*apprunnerlocal.Server, string) {
	t.Helper()
	opts.Queues = append(opts.Queues, workQueue)
	opts.Accounts = map[string]string{"OTHER": "210987654321"}
	s, hs := newServer(t, opts)
	return s, hs.URL
}

func md5Of(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func workItem(account, region string) string {
	return fmt.Sprintf(`{"action":"offboard","accountId":%q,"region":%q,"planId":"plan-0123456789abcdef"}`, account, region)
}

func entries(bodies ...string) []types.SendMessageBatchRequestEntry {
	out := make([]types.SendMessageBatchRequestEntry, len(bodies))
	for i, b := range bodies {
		out[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)}
	}
	return out
}

func TestSendMessageBatchQueuesMessagesForTakeMessages(t *testing.T) {
	ctx := context.Background()
	s, url := sqsServer(t, apprunnerlocal.Options{})
	queueURL := url + "/123456789012/" + workQueue
	var bodies []string
	for i := range 9 {
		bodies = append(bodies, workItem(fmt.Sprintf("2109876543%02d", i), "eu-west-1"))
	}
	// Multibyte characters: the digest is of the UTF-8 bytes.
	bodies = append(bodies, `{"note":"café ☕ 𝄞"}`)

	out, err := newSQSClient(url, "AKID", "us-east-1").SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
		QueueUrl: aws.String(queueURL), Entries: entries(bodies...),
	})
	if err != nil {
		t.Fatalf("SendMessageBatch: %v", err) // the SDK checks each MD5OfMessageBody too
	}
	if len(out.Successful) != 10 || len(out.Failed) != 0 {
		t.Fatalf("Successful %d, Failed %+v; want 10 and none", len(out.Successful), out.Failed)
	}
	var ids []string
	for i, e := range out.Successful {
		if got := aws.ToString(e.Id); got != strconv.Itoa(i) {
			t.Errorf("entry %d: Id %s", i, got)
		}
		if got, want := aws.ToString(e.MD5OfMessageBody), md5Of(bodies[i]); got != want {
			t.Errorf("entry %d: MD5OfMessageBody %s, want %s", i, got, want)
		}
		if e.MD5OfMessageAttributes != nil {
			t.Errorf("entry %d: MD5OfMessageAttributes %s for a message without attributes", i, *e.MD5OfMessageAttributes)
		}
		ids = append(ids, aws.ToString(e.MessageId))
	}
	if distinct := slices.Compact(slices.Sorted(slices.Values(ids))); len(distinct) != 10 {
		t.Errorf("message IDs are not distinct: %v", ids)
	}

	// The URL's host is not looked at: the queue's URL as AWS writes it
	// addresses the same queue.
	first := s.TakeMessages("https://sqs.us-east-1.amazonaws.com/123456789012/"+workQueue, 4)
	rest := s.TakeMessages(queueURL, 0)
	got := append(first, rest...)
	if len(first) != 4 || len(got) != 10 {
		t.Fatalf("took %d then %d messages, want 4 then 6", len(first), len(rest))
	}
	for i, m := range got {
		want := apprunnerlocal.QueueMessage{
			ID: ids[i], Body: bodies[i], MD5OfBody: md5Of(bodies[i]), SenderID: apprunnerlocal.UserPrincipalID("123456789012"), SentAt: m.SentAt,
			QueueARN: "arn:aws:sqs:us-east-1:123456789012:" + workQueue, Region: "us-east-1",
		}
		if diff := cmp.Diff(want, m); diff != "" {
			t.Errorf("message %d (-want +got):\n%s", i, diff)
		}
	}
	if again := s.TakeMessages(queueURL, 0); len(again) != 0 {
		t.Errorf("taken messages came back: %+v", again)
	}

	st := s.Stats()
	if diff := cmp.Diff(map[string]int{"sqs:SendMessageBatch": 1}, st.Calls); diff != "" {
		t.Errorf("calls counted (-want +got):\n%s", diff)
	}
}

func TestSendMessageBatchRefusesBadBatchesAsTheModelSays(t *testing.T) {
	ctx := context.Background()
	s, url := sqsServer(t, apprunnerlocal.Options{})
	queueURL := url + "/123456789012/" + workQueue
	client := newSQSClient(url, "AKID", "us-east-1")
	big := strings.Repeat("x", 130*1024)
	dup := entries("a", "b")
	dup[1].Id = aws.String("0")
	badID := entries("a")
	badID[0].Id = aws.String("no spaces")
	tests := []struct {
		name     string
		url      string
		entries  []types.SendMessageBatchRequestEntry
		target   any // a pointer to the modelled error type, or nil
		code     string
		status   int
		contains string
	}{
		{name: "no entries", entries: []types.SendMessageBatchRequestEntry{},
			target: new(*types.EmptyBatchRequest), code: "AWS.SimpleQueueService.EmptyBatchRequest", status: 400},
		{name: "eleven entries", entries: entries(slices.Repeat([]string{"m"}, 11)...),
			target: new(*types.TooManyEntriesInBatchRequest), code: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", status: 400, contains: "You have sent 11"},
		{name: "repeated ID", entries: dup,
			target: new(*types.BatchEntryIdsNotDistinct), code: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", status: 400, contains: "Id 0 repeated"},
		{name: "malformed ID", entries: badID,
			target: new(*types.InvalidBatchEntryId), code: "AWS.SimpleQueueService.InvalidBatchEntryId", status: 400},
		{name: "over 256 KiB together", entries: entries(big, big),
			target: new(*types.BatchRequestTooLong), code: "AWS.SimpleQueueService.BatchRequestTooLong", status: 400, contains: "262144"},
		{name: "no such queue", url: url + "/123456789012/other-queue", entries: entries("m"),
			target: new(*types.QueueDoesNotExist), code: "AWS.SimpleQueueService.NonExistentQueue", status: 400, contains: "does not exist"},
		{name: "another account's queue", url: url + "/210987654321/" + workQueue, entries: entries("m"),
			code: "AccessDenied", status: 403},
		{name: "not a queue URL", url: url + "/" + workQueue, entries: entries("m"),
			target: new(*types.InvalidAddress), code: "InvalidAddress", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.url
			if u == "" {
				u = queueURL
			}
			_, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(u), Entries: tt.entries})
			checkAPIError(t, err, tt.target, tt.code, tt.status, tt.contains)
		})
	}
	if got := s.TakeMessages(queueURL, 0); len(got) != 0 {
		t.Errorf("refused batches queued %d messages", len(got))
	}
}

// checkAPIError checks the error the SDK returned: its type (when target
// is set), its code, as the SDK reports it from X-Amzn-Query-Error, and
// the HTTP status.
func checkAPIError(t *testing.T, err error, target any, code string, status int, contains string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v, want an API error %s", err, code)
	}
	if target != nil && !errors.As(err, target) {
		t.Errorf("error %T (%v), want %T", apiErr, err, target)
	}
	if apiErr.ErrorCode() != code {
		t.Errorf("error code %q, want %q", apiErr.ErrorCode(), code)
	}
	if apiErr.ErrorFault() != smithy.FaultClient {
		t.Errorf("fault %v, want the client's", apiErr.ErrorFault())
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Errorf("HTTP status %d, want %d", re.HTTPStatusCode(), status)
	}
	if !strings.Contains(apiErr.ErrorMessage(), contains) {
		t.Errorf("message %q lacks %q", apiErr.ErrorMessage(), contains)
	}
}

func TestSendMessageBatchFailsBadEntriesAlone(t *testing.T) {
	ctx := context.Background()
	s, url := sqsServer(t, apprunnerlocal.Options{})
	queueURL := url + "/123456789012/" + workQueue
	es := entries("good", "bad \x01 char", "dedup", "late", "")
	es[2].MessageDeduplicationId = aws.String("d")
	es[3].DelaySeconds = 901
	es[4].MessageBody = aws.String("")

	out, err := newSQSClient(url, "AKID", "us-east-1").SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: es})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 1 || aws.ToString(out.Successful[0].Id) != "0" {
		t.Errorf("Successful %+v, want entry 0 alone", out.Successful)
	}
	got := map[string]string{}
	for _, f := range out.Failed {
		if !f.SenderFault {
			t.Errorf("entry %s: SenderFault false for a bad entry", aws.ToString(f.Id))
		}
		got[aws.ToString(f.Id)] = aws.ToString(f.Code)
	}
	want := map[string]string{"1": "InvalidMessageContents", "2": "InvalidParameterValue", "3": "InvalidParameterValue", "4": "MissingParameter"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failed entries (-want +got):\n%s", diff)
	}
	if msgs := s.TakeMessages(queueURL, 0); len(msgs) != 1 || msgs[0].Body != "good" {
		t.Errorf("queued %+v, want the good message alone", msgs)
	}
}

func TestSQSFailMessagesFailsEntriesUntilUsedUp(t *testing.T) {
	ctx := context.Background()
	s, url := sqsServer(t, apprunnerlocal.Options{SQSFailMessages: 3})
	queueURL := url + "/123456789012/" + workQueue
	client := newSQSClient(url, "AKID", "us-east-1")
	es := entries("m0", "m1", "m2", "m3", "m4")

	out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: es})
	if err != nil {
		t.Fatal(err)
	}
	var failed []types.SendMessageBatchRequestEntry
	for _, f := range out.Failed {
		if f.SenderFault || aws.ToString(f.Code) != "InternalError" {
			t.Errorf("failed entry %+v, want InternalError, not the sender's fault", f)
		}
		i, _ := strconv.Atoi(aws.ToString(f.Id))
		failed = append(failed, es[i])
	}
	if len(failed) != 3 || len(out.Successful) != 2 {
		t.Fatalf("%d failed, %d sent; want the first 3 failed", len(failed), len(out.Successful))
	}
	// A sender that sends its failed entries again gets them through.
	out, err = client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: failed})
	if err != nil || len(out.Failed) != 0 || len(out.Successful) != 3 {
		t.Fatalf("resend: %+v, %v; want all 3 sent", out, err)
	}
	var bodies []string
	for _, m := range s.TakeMessages(queueURL, 0) {
		bodies = append(bodies, m.Body)
	}
	if diff := cmp.Diff([]string{"m3", "m4", "m0", "m1", "m2"}, bodies); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}

	// In SendMessage a failure is the call's: the SDK retries it.
	s.SetOptions(func(o *apprunnerlocal.Options) { o.SQSFailMessages = 1 })
	retrying := newSQSClient(url, "AKID", "us-east-1", func(o *sqs.Options) { o.RetryMaxAttempts = 3 })
	if _, err := retrying.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("one")}); err != nil {
		t.Fatalf("SendMessage with retries: %v", err)
	}
	if diff := cmp.Diff(map[string]int{"InternalError": 1, "ok": 1}, s.Stats().Outcomes["sqs:SendMessage"]); diff != "" {
		t.Errorf("SendMessage outcomes (-want +got):\n%s", diff)
	}
}

func TestSendMessageDigestsAttributesAndDelays(t *testing.T) {
	ctx := context.Background()
	var (
		mu  sync.Mutex
		now = time.Date(2026, 3, 21, 10, 15, 0, 0, time.UTC)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, url := sqsServer(t, apprunnerlocal.Options{Now: clock})
	queueURL := url + "/123456789012/" + workQueue
	client := newSQSClient(url, "AKID", "eu-west-1")

	out, err := client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(queueURL), MessageBody: aws.String("body"), DelaySeconds: 60,
		MessageAttributes: map[string]types.MessageAttributeValue{
			"planId":  {DataType: aws.String("String"), StringValue: aws.String("plan-0123456789abcdef")},
			"attempt": {DataType: aws.String("Number"), StringValue: aws.String("2")},
			"blob":    {DataType: aws.String("Binary.gz"), BinaryValue: []byte{0, 1, 0xff}},
		},
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The attribute digests, as moto's independent implementation of
	// SQS's algorithm computes them.
	if got := aws.ToString(out.MD5OfMessageAttributes); got != "49864ee0cd474964aac92ba19ba4813c" {
		t.Errorf("MD5OfMessageAttributes %s", got)
	}
	if got := aws.ToString(out.MD5OfMessageSystemAttributes); got != "5ae4d5d7636402d80f4eb6d213245a88" {
		t.Errorf("MD5OfMessageSystemAttributes %s", got)
	}
	if got := aws.ToString(out.MD5OfMessageBody); got != md5Of("body") {
		t.Errorf("MD5OfMessageBody %s", got)
	}

	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "QueueArn"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesDelayed": "1", "QueueArn": "arn:aws:sqs:eu-west-1:123456789012:" + workQueue}
	if diff := cmp.Diff(want, attrs.Attributes); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}

	if early := s.TakeMessages(queueURL, 0); len(early) != 0 {
		t.Errorf("a delayed message was taken before its delay passed: %+v", early)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	msgs := s.TakeMessages(queueURL, 0)
	if len(msgs) != 1 {
		t.Fatalf("took %d messages after the delay, want 1", len(msgs))
	}
	m := msgs[0]
	if m.MD5OfMessageAttributes != "49864ee0cd474964aac92ba19ba4813c" || m.MessageAttributes["blob"].DataType != "Binary.gz" ||
		string(m.MessageAttributes["blob"].BinaryValue) != "\x00\x01\xff" || m.MessageAttributes["attempt"].StringValue != "2" {
		t.Errorf("message attributes kept: %+v", m)
	}
}

func TestSendMessageLimitsTheBodySize(t *testing.T) {
	ctx := context.Background()
	_, url := sqsServer(t, apprunnerlocal.Options{})
	queueURL := url + "/123456789012/" + workQueue
	client := newSQSClient(url, "AKID", "us-east-1")
	send := func(n int) error {
		_, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(strings.Repeat("x", n))})
		return err
	}
	if err := send(apprunnerlocal.DefaultMaxMessageSize); err != nil {
		t.Errorf("a 256 KiB body: %v", err)
	}
	checkAPIError(t, send(apprunnerlocal.DefaultMaxMessageSize+1), nil, "InvalidParameterValue", 400, "Message must be shorter than 262144 bytes")

	_, url = sqsServer(t, apprunnerlocal.Options{MaxMessageSize: 1 << 20})
	client = newSQSClient(url, "AKID", "us-east-1")
	queueURL = url + "/123456789012/" + workQueue
	if err := send(1 << 20); err != nil {
		t.Errorf("a 1 MiB body to a queue that takes 1 MiB: %v", err)
	}
}

func TestSQSQueuesBelongToTheirAccount(t *testing.T) {
	ctx := context.Background()
	s, url := sqsServer(t, apprunnerlocal.Options{})
	theirs := newSQSClient(url, "OTHER", "us-east-1")

	got, err := theirs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(workQueue)})
	if err != nil {
		t.Fatal(err)
	}
	if want := url + "/210987654321/" + workQueue; aws.ToString(got.QueueUrl) != want {
		t.Errorf("GetQueueUrl %s, want %s", aws.ToString(got.QueueUrl), want)
	}
	if _, err := theirs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: got.QueueUrl, MessageBody: aws.String("theirs")}); err != nil {
		t.Fatal(err)
	}
	if ours := s.TakeMessages(url+"/123456789012/"+workQueue, 0); len(ours) != 0 {
		t.Errorf("another account's message reached ours: %+v", ours)
	}
	if msgs := s.TakeMessages(aws.ToString(got.QueueUrl), 0); len(msgs) != 1 || msgs[0].SenderID != apprunnerlocal.UserPrincipalID("210987654321") {
		t.Errorf("their queue holds %+v", msgs)
	}
	_, err = theirs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("missing")})
	checkAPIError(t, err, new(*types.QueueDoesNotExist), "AWS.SimpleQueueService.NonExistentQueue", 400, "")
}

func TestSQSOperationsNotEmulatedSaySo(t *testing.T) {
	_, url := sqsServer(t, apprunnerlocal.Options{})
	_, err := newSQSClient(url, "AKID", "us-east-1").ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url + "/123456789012/" + workQueue),
	})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnknownOperationException" || !strings.Contains(apiErr.ErrorMessage(), "not emulated") {
		t.Errorf("ReceiveMessage: %v, want UnknownOperationException saying it is not emulated", err)
	}
}

func TestConcurrentSendersLoseNoMessage(t *testing.T) {
	ctx := context.Background()
	s, url := sqsServer(t, apprunnerlocal.Options{SQSFailMessages: 5})
	queueURL := url + "/123456789012/" + workQueue
	client := newSQSClient(url, "AKID", "us-east-1")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent = map[string]bool{}
	)
	for g := range 8 {
		wg.Go(func() {
			for b := range 5 {
				var bodies []string
				for i := range 10 {
					bodies = append(bodies, fmt.Sprintf("g%d-b%d-m%d", g, b, i))
				}
				out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries(bodies...)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, e := range out.Successful {
					i, _ := strconv.Atoi(aws.ToString(e.Id))
					sent[bodies[i]] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(sent) != 8*5*10-5 {
		t.Errorf("%d messages sent, want %d (all but the 5 failed)", len(sent), 8*5*10-5)
	}
	for _, m := range s.TakeMessages(queueURL, 0) {
		if !sent[m.Body] {
			t.Errorf("queued %q, which was not reported sent", m.Body)
		}
		delete(sent, m.Body)
	}
	if len(sent) != 0 {
		t.Errorf("%d messages reported sent are not queued", len(sent))
	}
}

func TestLambdaSQSEventIsWhatLambdaDelivers(t *testing.T) {
	ctx := context.Background()
	s, url := sqsServer(t, apprunnerlocal.Options{})
	queueURL := url + "/123456789012/" + workQueue
	out, err := newSQSClient(url, "AKID", "us-east-1").SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
		QueueUrl: aws.String(queueURL), Entries: entries(workItem("210987654321", "us-east-1"), workItem("210987654321", "eu-west-1")),
	})
	if err != nil {
		t.Fatal(err)
	}
	received := time.Now()
	data, err := json.Marshal(apprunnerlocal.LambdaSQSEvent(s.TakeMessages(queueURL, 10), received))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Records []map[string]any
	}
	if err := json.Unmarshal(data, &raw); err != nil || len(raw.Records) != 2 {
		t.Fatalf("event %s: %v", data, err)
	}
	for i, r := range raw.Records {
		for field, want := range map[string]any{
			"eventSource": "aws:sqs", "awsRegion": "us-east-1", "messageId": aws.ToString(out.Successful[i].MessageId),
			"eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:" + workQueue, "md5OfBody": aws.ToString(out.Successful[i].MD5OfMessageBody),
		} {
			if r[field] != want {
				t.Errorf("record %d: %s = %v, want %v", i, field, r[field], want)
			}
		}
		attrs, _ := r["attributes"].(map[string]any)
		if attrs["ApproximateReceiveCount"] != "1" || attrs["ApproximateFirstReceiveTimestamp"] != strconv.FormatInt(received.UnixMilli(), 10) {
			t.Errorf("record %d: attributes %v", i, attrs)
		}
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(data, &ev); err != nil || ev.Records[1].Body != workItem("210987654321", "eu-west-1") {
		t.Errorf("decoded as events.SQSEvent: %+v, %v", ev, err)
	}
}

// TestSenderIDIsTheSendersPrincipalID: SQS records who sent a message as
// the sender's principal ID, which is what the cleanup function compares
// with its own GetCallerIdentity UserId to accept only its own work items.
// Lambda passes it on as the record's SenderId attribute.
func TestSenderIDIsTheSendersPrincipalID(t *testing.T) {
	ctx := context.Background()
	const (
		home = "123456789012"
		role = "arn:aws:iam::" + home + ":role/AppRunnerConnectionCleanup"
	)
	s, url := sqsServer(t, apprunnerlocal.Options{})
	queueURL := url + "/" + home + "/" + workQueue
	sessionCreds := func(session string) aws.CredentialsProvider {
		creds, _ := assumeRole(t, url, role, session)
		return creds
	}
	tests := []struct {
		name   string
		creds  aws.CredentialsProvider
		sender string
	}{
		{"a plain access key", credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), apprunnerlocal.UserPrincipalID(home)},
		{"a role session", sessionCreds("planner-1"), apprunnerlocal.RolePrincipalID(role, "planner-1")},
		{"another session of the role", sessionCreds("planner-2"), apprunnerlocal.RolePrincipalID(role, "planner-2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if who := callerIdentity(t, url, tt.creds); aws.ToString(who.UserId) != tt.sender {
				t.Fatalf("GetCallerIdentity UserId %s, want %s", aws.ToString(who.UserId), tt.sender)
			}
			client := newSQSClient(url, "", "us-east-1", func(o *sqs.Options) { o.Credentials = tt.creds })
			if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("one")}); err != nil {
				t.Fatal(err)
			}
			if out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries("two", "three")}); err != nil || len(out.Failed) != 0 {
				t.Fatalf("SendMessageBatch: %v, %v", out, err)
			}
			msgs := s.TakeMessages(queueURL, 0)
			if len(msgs) != 3 {
				t.Fatalf("took %d messages, want 3", len(msgs))
			}
			for i, rec := range apprunnerlocal.LambdaSQSEvent(msgs, time.Now()).Records {
				if msgs[i].SenderID != tt.sender || rec.Attributes["SenderId"] != tt.sender {
					t.Errorf("message %q: SenderID %s, record's SenderId %s; want %s", msgs[i].Body, msgs[i].SenderID, rec.Attributes["SenderId"], tt.sender)
				}
			}
		})
	}
}

// The SQS protocol's error form, on the wire: __type names the model's
// shape, X-Amzn-Query-Error the Query protocol's code and fault.
func TestSQSErrorsOnTheWire(t *testing.T) {
	_, url := sqsServer(t, apprunnerlocal.Options{})
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(`{"QueueUrl":"`+url+`/123456789012/nope","MessageBody":"m"}`))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260321/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || body["__type"] != "com.amazonaws.sqs#QueueDoesNotExist" ||
		resp.Header.Get("X-Amzn-Query-Error") != "AWS.SimpleQueueService.NonExistentQueue;Sender" ||
		resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Errorf("HTTP %d, headers %v, body %v", resp.StatusCode, resp.Header, body)
	}
}
