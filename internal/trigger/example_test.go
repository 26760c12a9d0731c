package trigger_test

import (
	"encoding/json"
	"fmt"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
	"github.com/apprunner-tools/connection-cleanup/internal/trigger"
)

// An SQS batch becomes one request per message that asks for work, and one
// rejection per message (or single ARN) that cannot be acted on; the
// response hands back the messages whose connections could not be dealt
// with.
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
		fmt.Printf("request %s %s %v\n", r.ID, r.Action, r.Connections)
	}
	for _, r := range inv.Rejections {
		fmt.Printf("rejected %s %q\n", r.RequestID, r.Input)
	}

	// What the engine would decide for these requests, and the rejections.
	rep := request.NewReport(inv.Requests, false)
	rep.Add(request.Result{ARN: inv.Requests[0].Connections[0].String(), Outcome: request.OutcomeDeleted, RequestIDs: []string{"m-1"}})
	rep.Reject(inv.Rejections...)
	resp, _ := inv.Respond(rep)
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// request m-1 delete [arn:aws:apprunner:us-east-1:123456789012:connection/queue-target/79b270b00e9f42af97ed0524c75190b2]
	// rejected m-2 "please delete"
	// {"batchItemFailures":[{"itemIdentifier":"m-2"}]}
}
