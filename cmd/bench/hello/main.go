// Command hello is the smallest aws-lambda-go function: the benchmarks
// build it with the cleanup function's flags and compare their start-up
// (INIT) under the Lambda Runtime Interface Emulator.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context) (string, error) { return "hello, world", nil })
}
