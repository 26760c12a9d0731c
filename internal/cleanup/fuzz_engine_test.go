package cleanup_test

import (
	"testing"
)

// FuzzEngine fuzzes the engine, not only the decoder: the input's bytes
// choose the policy, the world and the raw requests (rndDice: one byte per
// choice, then a PRNG seeded with the input's hash), and each input is a
// full case of TestRandomEngine: the raw requests go through
// RawRequest.Check and one engine run as the trigger takes them (rndRun),
// held to the same invariants against the emulator's ground truth with App
// Runner's own in-use guard off.
//
//	go test -run XXX -fuzz FuzzEngine -fuzztime 120s ./internal/cleanup/
//
// Calls go to the emulator's handler in process (no sockets), so the
// fuzzer's many executions cost no ports.
func FuzzEngine(f *testing.F) {
	// Each seed steers the first choices, in the order rndRunCase makes
	// them: home region, dry run, minimum age, protection tag key,
	// concurrency, index TTL, exclude and include globs, then how the
	// credentials are routed; the rest comes from the input's hash.
	for _, seed := range [][]byte{
		nil,
		{0},
		// Real deletions, no minimum age, tag "apprunner-cleanup:protect".
		{0, 1, 0, 1, 3, 0, 0, 5, 3},
		// A dry-run configuration: nothing may be deleted.
		{1, 0, 1, 2, 1, 2, 1, 0, 3},
		// Credentials of another account than the configured one.
		{2, 3, 2, 0, 0, 3, 0, 2, 0},
		// Credentials in another region than the configured one.
		{3, 4, 3, 3, 4, 1, 0, 1, 1},
		// A region of another partition than the emulator's ARNs.
		{0, 2, 0, 1, 2, 0, 0, 1, 2, 2},
		// Name globs on both sides, index reused between runs.
		{1, 4, 1, 1, 0, 3, 2, 0, 1, 0, 1, 0, 3, 5},
		[]byte("sweep and delete with faults, throttling and the empty-page quirk"),
		[]byte("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rndRunCase(t, rndDiceFromBytes(data), rndCaseOptions{})
	})
}
