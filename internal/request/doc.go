// Package request is the model every entry point and the engine share:
// what is asked (RawRequest, as a trigger decodes it, and the Request that
// RawRequest.Check makes of it, holding every rule of a request in one
// place) and what was decided (Result, Outcome, Report, and a plan's
// PlanSummary). It also parses the ARNs requests carry and knows App
// Runner's regions, so a request is judged before any engine sees it.
package request
