// Package cleanup decides, for each App Runner connection it is asked about,
// whether it may be deleted, and deletes it when policy allows.
//
// A Request is made by RawRequest.Check, which holds every rule of a
// request, so the engine receives only valid ones; what Check refuses is a
// Rejection, reported as an invalid result. The engine then goes through
// its stages, each in the file of its name: targets (what the requests are
// about, and which of them are outside its account, region and partition),
// lookup (the connections' state), index (which services still reference
// which connection, built once per run or reused while fresh), policy
// (protection tag, name globs, minimum age, dry run), delete, and report.
// Every connection ends in exactly one Outcome with a reason, and the
// Report counts its own outcomes. The Dispatcher (offboard.go) sends
// offboarding requests to engines of other accounts and regions and merges
// their reports.
//
// The engine talks to App Runner only through the small API interface,
// which *apprunner.Client satisfies.
package cleanup
