package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// Runner runs the decided requests in one run: the function's
// dispatcher (*cleanup.Dispatcher), which sends each to the engine of its
// account and region.
type Runner interface {
	Run(ctx context.Context, reqs []request.Request) *request.Report
}

// Planner plans a request that names accounts of the organization: one
// work item per account and region, sent to the cleanup queue. *org.Planner
// satisfies it.
type Planner interface {
	Plan(ctx context.Context, req request.Request) request.PlanSummary
}

// Publisher hands a finished report to the reporting side (logs, metrics).
// kind is the payload form, a Kind as a string.
type Publisher interface {
	Publish(ctx context.Context, kind string, rep *request.Report)
}

// Handler is the Lambda entry point: it decodes the payload, runs the
// engine once over every request, publishes the report and answers the
// caller. It satisfies aws-lambda-go's lambda.Handler, so it can be passed
// to lambda.Start as it is.
type Handler struct {
	Runner    Runner
	Planner   Planner   // optional; without one, plans are refused
	Publisher Publisher // optional
	Options   Options
	Logger    *slog.Logger // optional; notes about ignored input go here
}

// Invoke handles one Lambda invocation.
//
// Every invocation is published, a rejected one too: a payload that
// matches no accepted form becomes a report with one invalid result (kind
// KindUnknown), so it has its decision log line and metrics record, and
// Invoke then returns that report with the *PayloadError, without running
// the engine.
//
// When the answer is an error that comes with a report (a *PayloadError,
// or an *IncompleteError from Respond), Invoke returns the marshalled
// report together with the error. Lambda ignores the payload once an error
// is returned; a command-line caller can still print the report before
// failing.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var requestID string
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		requestID = lc.AwsRequestID
	}
	inv, err := Decode(payload, h.Options)
	if err != nil {
		return h.reject(ctx, payload, requestID, err)
	}
	h.logNotes(ctx, inv)

	// A direct invocation has no ID of its own: the Lambda request ID
	// ties its results to the invocation's logs.
	if requestID != "" {
		for i := range inv.Requests {
			if inv.Requests[i].ID == "" {
				inv.Requests[i].ID = requestID
			}
		}
		for i := range inv.Rejections {
			if inv.Rejections[i].RequestID == "" {
				inv.Rejections[i].RequestID = requestID
			}
		}
	}

	plans, reqs := h.plan(ctx, inv)
	// The runner runs for rejected input and plans alone too: its report
	// says whether the function is in dry-run mode. A runner that returns no
	// report did not run: Respond then hands every SQS message back.
	rep := request.NewReport(nil, false)
	if len(reqs)+len(inv.Rejections)+len(plans) > 0 {
		rep = h.Runner.Run(ctx, reqs)
	}
	if rep != nil {
		rep.Reject(inv.Rejections...)
		rep.Origins = inv.Origins()
		rep.Plans = plans
		for _, p := range plans {
			rep.Add(p.RefusedResults()...)
		}
	}
	if h.Publisher != nil && rep != nil {
		h.Publisher.Publish(ctx, string(inv.Kind), rep)
	}
	resp, respErr := inv.Respond(rep)
	out, err := json.Marshal(resp)
	if err != nil {
		return nil, errors.Join(respErr, fmt.Errorf("encode %s response: %w", inv.Kind, err))
	}
	return out, respErr
}

// plan plans the invocation's plan requests and returns their summaries
// and the requests left to run.
func (h *Handler) plan(ctx context.Context, inv Invocation) ([]request.PlanSummary, []request.Request) {
	var (
		plans []request.PlanSummary
		rest  []request.Request
	)
	for _, req := range inv.Requests {
		switch {
		case req.Plan == nil:
			rest = append(rest, req)
		case h.Planner == nil:
			plans = append(plans, request.PlanSummary{RequestID: req.ID, Action: req.Action, DryRun: req.DryRun, Refused: []request.Refusal{},
				Error: "this function plans nothing: set CLEANUP_QUEUE_URL (and ORGANIZATION_OU_IDS) to plan sweeps and offboarding across accounts"})
		default:
			p := h.Planner.Plan(ctx, req)
			if p.Error == "" && p.WorkItems > 0 {
				p.Progress = progress(h.Options.ProgressQuery, p.PlanID)
			}
			plans = append(plans, p)
		}
	}
	return plans, rest
}

// progress says how to follow a plan: with the stack's saved query when
// there is one, else with the work item summaries it reads.
func progress(query, planID string) string {
	if query == "" {
		return fmt.Sprintf("each work item logs a %q line with planId %q", "work item summary", planID)
	}
	return fmt.Sprintf("run the CloudWatch Logs Insights query %q with PLAN_ID replaced by %s", query, planID)
}

// reject publishes a payload Decode refused as one invalid result and
// returns that report with the decoding error.
func (h *Handler) reject(ctx context.Context, payload []byte, requestID string, decodeErr error) ([]byte, error) {
	reason := decodeErr.Error()
	var pe *PayloadError
	if errors.As(decodeErr, &pe) {
		reason = pe.Error()
	}
	rep := request.NewReport(nil, false)
	rep.Reject(refusal(requestID, bytes.TrimSpace(payload), reason))
	rep.Origins = map[string]request.Origin{requestID: {Trigger: string(KindUnknown)}}
	if h.Publisher != nil {
		h.Publisher.Publish(ctx, string(KindUnknown), rep)
	}
	out, err := json.Marshal(rep)
	if err != nil {
		return nil, errors.Join(decodeErr, fmt.Errorf("encode rejection report: %w", err))
	}
	return out, decodeErr
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
