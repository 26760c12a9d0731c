package trigger

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// Runner runs the decided requests in one engine run; *cleanup.Engine
// satisfies it.
type Runner interface {
	Run(ctx context.Context, reqs []cleanup.Request) *cleanup.Report
}

// Publisher hands a finished report to the reporting side (logs, metrics).
// kind is the payload form, a Kind as a string.
type Publisher interface {
	Publish(ctx context.Context, kind string, rep *cleanup.Report)
}

// Handler is the Lambda entry point: it decodes the payload, runs the
// engine once over every request, publishes the report and answers the
// caller. It satisfies aws-lambda-go's lambda.Handler, so it can be passed
// to lambda.Start as it is.
type Handler struct {
	Runner    Runner
	Publisher Publisher // optional
	Options   Options
	Logger    *slog.Logger // optional; notes about ignored input go here
}

// Invoke handles one Lambda invocation.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	inv, err := Decode(payload, h.Options)
	if err != nil {
		return nil, err
	}
	h.logNotes(ctx, inv)

	// A direct invocation has no ID of its own: the Lambda request ID
	// ties its results to the invocation's logs.
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		for i := range inv.Requests {
			if inv.Requests[i].ID == "" {
				inv.Requests[i].ID = lc.AwsRequestID
			}
		}
	}

	var rep *cleanup.Report
	if len(inv.Requests) > 0 {
		rep = h.Runner.Run(ctx, inv.Requests)
	} else {
		rep = emptyReport()
	}
	if h.Publisher != nil && rep != nil {
		h.Publisher.Publish(ctx, string(inv.Kind), rep)
	}
	resp, respErr := inv.Respond(rep)
	if respErr != nil {
		return nil, respErr
	}
	out, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("encode %s response: %w", inv.Kind, err)
	}
	return out, nil
}

func (h *Handler) logNotes(ctx context.Context, inv Invocation) {
	if len(inv.Notes) == 0 {
		return
	}
	log := h.Logger
	if log == nil {
		log = slog.Default()
	}
	for _, n := range inv.Notes {
		log.InfoContext(ctx, "input needs no cleanup", "trigger", string(inv.Kind), "note", n)
	}
}

// emptyReport is the answer to an invocation with nothing to do: zero
// results, so it is distinguishable from a failure.
func emptyReport() *cleanup.Report {
	return &cleanup.Report{Action: cleanup.ActionSweep, Results: []cleanup.Result{}, Counts: map[cleanup.Outcome]int{}}
}
