// Package cleanup decides, for each App Runner connection it is asked about,
// whether it may be deleted, and deletes it when policy allows.
//
// The engine receives only requests that request.RawRequest.Check made, so
// every rule of a request is applied before it runs; what Check refuses is
// a request.Rejection, reported as an invalid result. The engine then goes
// through its stages, each in the file of its name: targets (what the
// requests are about, and which of them are outside its account, region
// and partition), lookup (the connections' state), index (which services
// still reference which connection, built once per run or reused while
// fresh), policy (name globs, minimum age, dry run, the idle period that
// applies), delete (the tags, read just before deleting: the protection
// tag, then the idle period's mark, in mark.go, which marks a connection
// first found free and removes the mark of one used again; then
// DeleteConnection), and the report (engine.go). All the run's calls
// share its MaxConcurrency slots (pool.go, api.go). Every connection ends in exactly one
// request.Outcome with a reason. The Dispatcher (dispatch.go) sends
// offboarding requests and the work items of plans to engines of other
// accounts and regions, and merges their reports with request.Merge.
//
// The engine talks to App Runner only through the small API interface,
// which *apprunner.Client satisfies.
package cleanup
