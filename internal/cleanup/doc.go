// Package cleanup decides, for each App Runner connection it is asked about,
// whether it may be deleted, and deletes it when policy allows.
//
// The engine builds a usage index (which services still reference which
// connection) once per run, or reuses a fresh one from a previous run,
// applies the policy (protection tag, name globs, minimum age, dry run) and
// ends every connection in exactly one Outcome with a reason. It talks to
// App Runner only through the small API interface below, which
// *apprunner.Client satisfies.
package cleanup
