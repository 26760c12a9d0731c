package apprunnerlocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultAccount is the account of every access key ID not listed in
// [Options.Accounts].
const DefaultAccount = "123456789012"

// maxBodyBytes bounds request bodies; App Runner requests are small.
const maxBodyBytes = 1 << 20

// Options configures a [Server]. The zero value is a plain, fast, faultless
// emulator. Change options of a running server with [Server.SetOptions].
type Options struct {
	// Accounts maps access key IDs to account IDs. Keys not listed belong to
	// DefaultAccount, unless STS AssumeRole issued them (see sts.go).
	Accounts map[string]string
	// AssumableRoles lists the IAM role ARNs that STS AssumeRole grants.
	// When both it and AssumableRoleNames are nil, every well-formed role
	// ARN is granted.
	AssumableRoles []string
	// AssumableRoleNames lists IAM role names (without path) that STS
	// AssumeRole grants in every account of the seeded organization (see
	// Seed.Organization) that is not SUSPENDED, and in no other account: a
	// member role deployed to the whole organization.
	AssumableRoleNames []string
	// DelegatedAdministrators lists the member accounts of the seeded
	// organization that may call the Organizations operations reserved to
	// the management account and delegated administrators. Accounts not in
	// the organization gain nothing.
	DelegatedAdministrators []string
	// DisableInUseGuard lets DeleteConnection delete connections that a
	// service still references; such deletions are recorded and returned by
	// Server.UnsafeDeletions. It exists to prove that a client checks usage
	// itself instead of relying on the service.
	DisableInUseGuard bool
	// Latency is added to every call, plus a uniformly random extra of up to
	// Jitter.
	Latency, Jitter time.Duration
	// RateLimits maps operation names to token buckets: App Runner's as they
	// are ("ListServices"), Organizations' as they are counted in Stats
	// ("organizations:ListAccountsForParent"). OrganizationsRateLimitKey
	// ("organizations:*") is one bucket that every Organizations call
	// draws from besides its operation's own, to throttle Organizations
	// as a whole, whatever the operations: a call is admitted only when
	// every bucket that applies has a token, and then takes one from each.
	// Calls past a bucket fail with ThrottlingException (Organizations:
	// TooManyRequestsException). RateLimitKeys lists the keys that mean
	// something; others are never consulted.
	RateLimits map[string]RateLimit
	// FaultRate is the fraction (0..1) of App Runner and Organizations
	// calls that fail with InternalServiceErrorException (Organizations:
	// ServiceException) before doing anything. STS calls never fail so.
	FaultRate float64
	// FaultSeed seeds the fault and jitter sequences: the same seed and the
	// same sequence of calls fail the same calls.
	FaultSeed int64
	// EmptyPageQuirk makes ListServices page over all services including
	// DELETED ones and drop the DELETED afterwards, so a page can be empty
	// and still carry a NextToken, as the real service sometimes does.
	EmptyPageQuirk bool
	// DeleteServiceDelay is how long a deleted service stays
	// OPERATION_IN_PROGRESS before it becomes DELETED. Zero: at once.
	DeleteServiceDelay time.Duration
	// Queues names the SQS standard queues that every account has (see
	// sqs.go): a queue URL <base URL>/<account>/<name> addresses the
	// account's own queue of that name.
	Queues []string
	// SQSFailMessages is how many of the next messages sent to a queue fail
	// instead: each failure uses one. In SendMessageBatch each is a Failed
	// entry (Code InternalError, SenderFault false) while the batch's
	// other entries are sent; in SendMessage the call fails with
	// InternalError (HTTP 500).
	SQSFailMessages int
	// MaxMessageSize is the largest message, and the largest
	// SendMessageBatch, in bytes, that a queue takes; 0 means
	// DefaultMaxMessageSize (256 KiB).
	MaxMessageSize int
	// Now is the clock; nil means the system's. Times recorded on resources
	// (CreatedAt, UpdatedAt, DeletedAt) are truncated to milliseconds, all
	// that the wire carries; with the default clock each is also at least a
	// millisecond after the one recorded before, so that no two changes
	// share a timestamp even when they come within one millisecond (a
	// client that tells a changed service by its UpdatedAt would miss the
	// change otherwise). A clock set here is used as it is, so that a test
	// can stop time.
	Now func() time.Time
}

// RateLimit is a token bucket: Burst calls at once, refilled at PerSecond.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// OrganizationsRateLimitKey is the key of Options.RateLimits whose bucket
// every Organizations operation shares, so that a test or a benchmark can
// hold all Organizations calls together to one rate ("10 a second in
// all"): a client that spreads its calls over several operations must
// still keep under it, and must retry what it refuses.
const OrganizationsRateLimitKey = orgStatPrefix + "*"

// RateLimitKeys returns, sorted, every key of Options.RateLimits that the
// emulator consults: each App Runner operation ("ListServices"), each
// Organizations operation ("organizations:ListParents") and
// OrganizationsRateLimitKey. A key not listed throttles nothing, so a
// caller reading keys from a person (a command-line flag) can refuse a
// misspelt one instead of running unthrottled.
func RateLimitKeys() []string {
	keys := []string{OrganizationsRateLimitKey}
	for op := range appRunnerHandlers {
		keys = append(keys, op)
	}
	for op := range orgHandlers {
		keys = append(keys, orgStatPrefix+op)
	}
	sort.Strings(keys)
	return keys
}

// Server is the emulator. It is an http.Handler; all its methods are safe
// for concurrent use.
type Server struct {
	// mu guards everything below: options, store, knobs state and stats.
	mu       sync.Mutex
	opts     Options
	st       *store
	faultRNG *mrand.Rand
	jitRNG   *mrand.Rand
	buckets  map[string]*bucket
	stats    Stats
	// issued maps access keys that AssumeRole handed out to the role
	// session they are (principal.go).
	issued map[string]principal
	// lastStamp is the time stamp returned last.
	lastStamp time.Time
}

type bucket struct {
	limit  RateLimit
	tokens float64
	last   time.Time
}

// New returns a Server with no resources; add some with Load, AddConnection
// or AddService, or through the API.
func New(opts Options) *Server {
	s := &Server{st: newStore()}
	s.opts = cloneOptions(opts)
	s.reseed()
	s.buckets = map[string]*bucket{}
	s.stats = emptyStats()
	s.issued = map[string]principal{}
	return s
}

func cloneOptions(o Options) Options {
	o.Accounts = maps.Clone(o.Accounts)
	o.AssumableRoles = slices.Clone(o.AssumableRoles)
	o.AssumableRoleNames = slices.Clone(o.AssumableRoleNames)
	o.DelegatedAdministrators = slices.Clone(o.DelegatedAdministrators)
	o.RateLimits = maps.Clone(o.RateLimits)
	o.Queues = slices.Clone(o.Queues)
	return o
}

func (s *Server) reseed() {
	seed := uint64(s.opts.FaultSeed)
	s.faultRNG = mrand.New(mrand.NewPCG(seed, 0x6661756c74))
	s.jitRNG = mrand.New(mrand.NewPCG(seed, 0x6a6974746572))
}

// SetOptions changes the options of a running server. Changing FaultSeed
// restarts the fault sequence; changing RateLimits refills the buckets.
func (s *Server) SetOptions(f func(*Options)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := cloneOptions(s.opts)
	f(&o)
	o = cloneOptions(o)
	if o.FaultSeed != s.opts.FaultSeed {
		s.opts.FaultSeed = o.FaultSeed
		s.reseed()
	}
	if !maps.Equal(o.RateLimits, s.opts.RateLimits) {
		s.buckets = map[string]*bucket{}
	}
	s.opts = o
}

// now reads the clock for decisions: whether a token bucket has refilled,
// whether a deletion has completed, when credentials expire. Reading it
// does not move it, so that a burst of calls cannot run it ahead of the
// system's clock and refill token buckets early. The caller holds s.mu.
func (s *Server) now() time.Time {
	// Round(0) drops the monotonic reading so that times compare by wall
	// clock, like the times decoded from page tokens.
	if s.opts.Now != nil {
		return s.opts.Now().Round(0)
	}
	return time.Now().Round(0)
}

// stamp returns the time to record on a resource being created or changed,
// as Options.Now describes: with the default clock,
// max(now, last stamp + 1ms), truncated to milliseconds. The caller holds
// s.mu, which orders the stamps.
func (s *Server) stamp() time.Time {
	t := s.now().Truncate(time.Millisecond)
	if s.opts.Now == nil {
		if next := s.lastStamp.Add(time.Millisecond); t.Before(next) {
			t = next
		}
	}
	s.lastStamp = t
	return t
}

// record counts one call; the caller holds s.mu.
func (s *Server) record(op, outcome string) {
	s.stats.Calls[op]++
	m := s.stats.Outcomes[op]
	if m == nil {
		m = map[string]int{}
		s.stats.Outcomes[op] = m
	}
	m[outcome]++
}

// apiError is an error in the wire form of the JSON protocols.
type apiError struct {
	status int
	code   string
	msg    string
	// reason is the Reason member of Organizations' InvalidInputException;
	// App Runner's errors have none.
	reason string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errInvalid(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidRequestException", msg: fmt.Sprintf(format, args...)}
}

func errNotFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ResourceNotFoundException", msg: fmt.Sprintf(format, args...)}
}

func errState(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidStateException", msg: fmt.Sprintf(format, args...)}
}

// caller is who made a call, from the request's credential scope.
type caller struct {
	account, region string
	// session is the role session of a key that AssumeRole issued; zero
	// for a plain access key, which is its account's user.
	session principal
}

// principal is who the caller is, as STS and SQS name it (principal.go).
func (c caller) principal() principal {
	if c.session.id != "" {
		return c.session
	}
	return userPrincipal(c.account)
}

// credentialRE extracts access key and region from a SigV4 Authorization
// header's credential scope.
var credentialRE = regexp.MustCompile(`Credential=([^/,\s]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

// ServeHTTP implements the App Runner JSON 1.0 protocol, STS's Query
// protocol (sts.go), the Organizations JSON 1.1 protocol
// (organizations.go) and SQS's JSON 1.0 protocol (sqs.go), plus
// GET /_local/stats returning Stats as JSON.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_local/stats" {
		s.serveStats(w, r)
		return
	}
	if r.URL.Path != "/" || r.Method != http.MethodPost {
		http.Error(w, "not found: the App Runner API is POST /", http.StatusNotFound)
		return
	}
	if r.Header.Get("X-Amz-Target") == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.serveSTS(w, r)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if op, ok := strings.CutPrefix(target, orgTargetPrefix); ok {
		s.serveOrganizations(w, r, op)
		return
	}
	if op, ok := strings.CutPrefix(target, sqsTargetPrefix); ok {
		s.serveSQS(w, r, op)
		return
	}
	op, ok := strings.CutPrefix(target, "AppRunner.")
	if !ok || op == "" {
		s.fail(w, "unknown", &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", msg: fmt.Sprintf("unknown X-Amz-Target %q", target)})
		return
	}
	h, known := handlerFor(op)
	if !known {
		s.fail(w, op, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", msg: fmt.Sprintf("unknown operation %q", op)})
		return
	}
	c, aerr := s.authenticate(r)
	if aerr != nil {
		s.fail(w, op, aerr)
		return
	}
	switch s.admit(r.Context(), op) {
	case throttled:
		s.fail(w, op, &apiError{status: http.StatusBadRequest, code: "ThrottlingException", msg: fmt.Sprintf("rate exceeded for %s", op)})
		return
	case faulted:
		s.fail(w, op, &apiError{status: http.StatusInternalServerError, code: "InternalServiceErrorException", msg: "an unexpected error occurred (injected fault)"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		s.fail(w, op, &apiError{status: http.StatusBadRequest, code: "SerializationException", msg: "cannot read request body: " + err.Error()})
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	out, aerr := h(s, c, body)
	if aerr != nil {
		s.fail(w, op, aerr)
		return
	}
	data, err := json.Marshal(out)
	if err != nil {
		s.fail(w, op, &apiError{status: http.StatusInternalServerError, code: "InternalServiceErrorException", msg: "encode response: " + err.Error()})
		return
	}
	s.mu.Lock()
	s.record(op, "ok")
	s.mu.Unlock()
	writeJSON(w, json10, http.StatusOK, data)
}

func (s *Server) fail(w http.ResponseWriter, op string, e *apiError) {
	s.failAs(w, json10, op, e)
}

// Content types of the JSON protocols: App Runner speaks AWS JSON 1.0,
// Organizations AWS JSON 1.1.
const (
	json10 = "application/x-amz-json-1.0"
	json11 = "application/x-amz-json-1.1"
)

// failAs writes e in a JSON protocol's error form and counts the call under
// the name stat.
func (s *Server) failAs(w http.ResponseWriter, contentType, stat string, e *apiError) {
	s.mu.Lock()
	s.record(stat, e.code)
	s.mu.Unlock()
	w.Header().Set("X-Amzn-ErrorType", e.code)
	body := map[string]string{"__type": e.code, "message": e.msg}
	if e.reason != "" {
		body["Reason"] = e.reason
	}
	data, _ := json.Marshal(body)
	writeJSON(w, contentType, e.status, data)
}

func writeJSON(w http.ResponseWriter, contentType string, status int, data []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-RequestId", newUUID())
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// authenticate reads region and account from the SigV4 credential scope.
// The signature itself is not verified.
func (s *Server) authenticate(r *http.Request) (caller, *apiError) {
	return s.authenticateFor(r, "apprunner")
}

// authenticateFor is authenticate for the credential scope of service.
func (s *Server) authenticateFor(r *http.Request, service string) (caller, *apiError) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return caller{}, &apiError{status: http.StatusForbidden, code: "MissingAuthenticationTokenException", msg: "missing Authentication Token: sign the request with AWS Signature Version 4"}
	}
	m := credentialRE.FindStringSubmatch(auth)
	if m == nil || !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		return caller{}, &apiError{status: http.StatusForbidden, code: "IncompleteSignatureException", msg: "authorization header is not a SigV4 signature with Credential=AKID/DATE/REGION/SERVICE/aws4_request"}
	}
	if m[4] != service {
		return caller{}, &apiError{status: http.StatusForbidden, code: "InvalidSignatureException", msg: fmt.Sprintf("credential should be scoped to service '%s', not %q", service, m[4])}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if account, ok := s.opts.Accounts[m[1]]; ok {
		return caller{account: account, region: m[3]}, nil
	}
	if session, ok := s.issued[m[1]]; ok {
		return caller{account: session.account, region: m[3], session: session}, nil
	}
	return caller{account: DefaultAccount, region: m[3]}, nil
}

// admission is what admit decided about a call.
type admission int

const (
	admitted admission = iota
	throttled
	faulted
)

// admit applies latency, throttling and faults before the operation runs, so
// a refused call changes no state. Every admitted-or-not call draws one
// number from the fault sequence, so the sequence depends only on the order
// of calls. Each protocol words a refusal in its own errors.
func (s *Server) admit(ctx context.Context, op string) admission {
	s.mu.Lock()
	delay := s.opts.Latency
	if s.opts.Jitter > 0 {
		delay += time.Duration(s.jitRNG.Int64N(int64(s.opts.Jitter) + 1))
	}
	s.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	faulty := s.faultRNG.Float64() < s.opts.FaultRate
	if !s.take(op) {
		return throttled
	}
	if faulty {
		return faulted
	}
	return admitted
}

// take removes one token from each bucket that applies to op: op's own
// and, for an Organizations operation, the one all of them share
// (OrganizationsRateLimitKey). It takes none unless every one has a
// token, so that a call one bucket refuses does not spend another's. The
// caller holds s.mu.
func (s *Server) take(op string) bool {
	keys := []string{op}
	if strings.HasPrefix(op, orgStatPrefix) {
		keys = append(keys, OrganizationsRateLimitKey)
	}
	var drawn []*bucket
	for _, key := range keys {
		lim, ok := s.opts.RateLimits[key]
		if !ok {
			continue
		}
		b := s.refill(key, lim)
		if b.tokens < 1 {
			return false
		}
		drawn = append(drawn, b)
	}
	for _, b := range drawn {
		b.tokens--
	}
	return true
}

// refill returns key's bucket, created full on first use, with the tokens
// earned since it was last looked at; the caller holds s.mu.
func (s *Server) refill(key string, lim RateLimit) *bucket {
	now := s.now()
	b := s.buckets[key]
	burst := float64(max(lim.Burst, 1))
	if b == nil {
		b = &bucket{limit: lim, tokens: burst, last: now}
		s.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(burst, b.tokens+el*lim.PerSecond)
		b.last = now
	}
	return b
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
