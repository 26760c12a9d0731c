// Package scopes makes the engines of the accounts and regions the
// function reaches, through the member role or its own credentials, and
// keeps them for a warm function's later invocations.
package scopes

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// Bounds of the scope engines a warm function keeps. Each holds an App
// Runner client and a usage index; requests decide which scopes exist, so
// the cache must not grow with them.
const (
	maxScopeEngines = 32
	scopeEngineIdle = 15 * time.Minute
)

// Engines makes and keeps the engines of the scopes a dispatcher reaches:
// one per account and region, reused by later invocations of a warm
// function with their usage index and their credentials cache. At most
// maxScopeEngines are kept; one unused for scopeEngineIdle is dropped, and
// past the bound the least recently used goes.
type Engines struct {
	base    aws.Config
	policy  cleanup.Config
	tracer  cleanup.Tracer
	now     func() time.Time
	mu      sync.Mutex
	engines map[cleanup.Scope]*scopeEngine
	creds   map[string]*aws.CredentialsCache // by role ARN, shared by its regions, dropped with its last engine
}

type scopeEngine struct {
	engine   *cleanup.Engine
	lastUsed time.Time
}

// New returns the engines of scopes reached from base, the function's own
// AWS configuration, each deciding with policy (its account and region
// replaced by the scope's, and no minimum age where the scope is
// offboarded).
func New(base aws.Config, policy cleanup.Config, tracer cleanup.Tracer) *Engines {
	now := policy.Now // the policy's clock, as the engines' own
	if now == nil {
		now = time.Now
	}
	return &Engines{
		base: base, policy: policy, tracer: tracer, now: now,
		engines: map[cleanup.Scope]*scopeEngine{}, creds: map[string]*aws.CredentialsCache{},
	}
}

// roleSessionName names the function's sessions in the offboarded account's
// CloudTrail.
const roleSessionName = "apprunner-connection-cleanup"

// Engine returns the engine of sc, made on first use; it is a
// cleanup.EngineFactory.
func (s *Engines) Engine(_ context.Context, sc cleanup.Scope) (cleanup.Runner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.evict(now)
	if e, ok := s.engines[sc]; ok {
		e.lastUsed = now
		return e.engine, nil
	}
	cfg := s.base.Copy()
	cfg.Region = sc.Region
	if sc.RoleARN != "" {
		// Credentials are fetched on the first call and refreshed a minute
		// before they expire; a role that cannot be assumed fails that
		// call, and the scope's requests end failed with the reason.
		creds, ok := s.creds[sc.RoleARN]
		if !ok {
			provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(s.base), sc.RoleARN, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = roleSessionName
			})
			creds = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = time.Minute })
			s.creds[sc.RoleARN] = creds
		}
		cfg.Credentials = creds
	}
	policy := s.policy
	policy.Account, policy.Region, policy.Partition = sc.Account, sc.Region, ""
	if sc.Offboard {
		// The account is leaving App Runner: no connection is too young to
		// go, nor waits to be unused for long, unless the offboarding asks
		// (Request.AfterUnusedFor).
		policy.MinAge, policy.UnusedFor = 0, 0
	}
	e, err := cleanup.New(apprunner.NewFromConfig(cfg), policy, s.tracer)
	if err != nil {
		return nil, err
	}
	if len(s.engines) >= maxScopeEngines {
		s.dropLeastRecentlyUsed()
	}
	s.engines[sc] = &scopeEngine{engine: e, lastUsed: now}
	return e, nil
}

// evict drops the engines unused for scopeEngineIdle.
func (s *Engines) evict(now time.Time) {
	for sc, e := range s.engines {
		if now.Sub(e.lastUsed) >= scopeEngineIdle {
			s.drop(sc)
		}
	}
}

// drop forgets a scope's engine, and its role's credentials once no kept
// engine uses the role: plans reach a role in every member account.
func (s *Engines) drop(sc cleanup.Scope) {
	delete(s.engines, sc)
	for other := range s.engines {
		if other.RoleARN == sc.RoleARN {
			return
		}
	}
	delete(s.creds, sc.RoleARN)
}

func (s *Engines) dropLeastRecentlyUsed() {
	var (
		oldest cleanup.Scope
		at     time.Time
	)
	for sc, e := range s.engines {
		if at.IsZero() || e.lastUsed.Before(at) {
			oldest, at = sc, e.lastUsed
		}
	}
	s.drop(oldest)
}
