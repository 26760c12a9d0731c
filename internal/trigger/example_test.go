package trigger_test

import (
	"encoding/json"
	"fmt"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/trigger"
)

// An SQS batch becomes one request per message; the response hands back
// the messages whose connections could not be dealt with.
func ExampleDecode() {
	payload := []byte(`{"Records":[
		{"messageId":"m-1","eventSource":"aws:sqs","body":"arn:aws:apprunner:us-east-1:123456789012:connection/queue-target/79b270b00e9f42af97ed0524c75190b2"},
		{"messageId":"m-2","eventSource":"aws:sqs","body":"please delete"}]}`)
	inv, err := trigger.Decode(payload, trigger.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range inv.Requests {
		fmt.Printf("%s %s %v invalid=%t\n", r.ID, r.Action, r.ConnectionARNs, r.Invalid != "")
	}

	// What the engine would decide for these requests.
	rep := &cleanup.Report{Results: []cleanup.Result{
		{ConnectionARN: inv.Requests[0].ConnectionARNs[0], Outcome: cleanup.OutcomeDeleted, RequestIDs: []string{"m-1"}},
		{ConnectionARN: inv.Requests[1].Raw, Outcome: cleanup.OutcomeInvalid, RequestIDs: []string{"m-2"}},
	}}
	resp, _ := inv.Respond(rep)
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// m-1 delete [arn:aws:apprunner:us-east-1:123456789012:connection/queue-target/79b270b00e9f42af97ed0524c75190b2] invalid=false
	// m-2  [] invalid=true
	// {"batchItemFailures":[{"itemIdentifier":"m-2"}]}
}
