// Package cleanup decides, for each App Runner leftover it is asked about
// (a connection, VPC connector, auto scaling or observability
// configuration: see request.Kinds and kinds.go, each kind's calls),
// whether it may be deleted, and deletes it when policy allows.
//
// The engine receives only requests that request.RawRequest.Check made, so
// every rule of a request is applied before it runs; what Check refuses is
// a request.Rejection, reported as an invalid result. The engine then goes
// through its stages, each in the file of its name: targets (what the
// requests are about, and which of them are outside its account, region,
// partition or kinds), lookup (the resources' state, kind by kind), index
// (which services still reference which resource, built once per run or
// reused while fresh), policy (App Runner's own and the account's default
// auto scaling configurations, name globs, minimum age, dry run, the idle
// period that applies), delete (an auto scaling configuration's services
// asked of App Runner, then the tags, read just before deleting: the
// protection tag, then the idle period's mark, in mark.go, which marks a
// resource first found free and removes the mark of one used again; then
// the kind's Delete operation), and the report (engine.go). All the run's
// calls share its MaxConcurrency slots (pool.go, api.go). Every resource
// ends in exactly one request.Outcome with a reason. The Dispatcher
// (dispatch.go) sends offboarding requests and the work items of plans to
// engines of other accounts and regions, and merges their reports with
// request.Merge.
//
// The engine talks to App Runner only through the small API interface,
// which *apprunner.Client satisfies.
package cleanup
