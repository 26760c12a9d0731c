package function

import (
	"context"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
	"github.com/apprunner-tools/connection-cleanup/internal/trigger"
)

// App is the cleanup function as every entry point uses it: the Lambda
// handler and the one-event mode invoke it with a payload, the operator's
// command runs its checked requests and publishes their report. All of
// them share one dispatcher, so a request runs the same way whoever sent
// it.
type App struct {
	dispatcher *cleanup.Dispatcher
	publisher  publisher
	handler    *trigger.Handler
}

// Run runs checked requests: offboarding and the work items of plans in
// the engines of their accounts and regions, every other request in the
// home engine, and returns one report for them all. Plans are refused:
// only an invocation plans.
func (a *App) Run(ctx context.Context, reqs []request.Request) *request.Report {
	return a.dispatcher.Run(ctx, reqs)
}

// Publish writes a report's decision lines, summary and metrics, as coming
// from trigger ("command", or a trigger.Kind). A failure to write the
// metrics is logged: it must not fail work that is done.
func (a *App) Publish(ctx context.Context, trigger string, rep *request.Report) {
	a.publisher.Publish(ctx, trigger, rep)
}

// Invoke handles one Lambda invocation: it decodes the payload, plans or
// runs its requests, publishes the report and answers. It satisfies
// aws-lambda-go's lambda.Handler.
func (a *App) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return a.handler.Invoke(ctx, payload)
}
