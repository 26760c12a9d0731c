// Command echo is the smallest Lambda function: it answers every event with
// the event itself. The lambdarun tests run it under the runtime interface
// emulator to see the Runtime API work without depending on the real
// function's configuration.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, event json.RawMessage) (json.RawMessage, error) {
		return event, nil
	})
}
