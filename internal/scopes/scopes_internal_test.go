package scopes

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
)

// TestScopeEnginesAreBoundedAndExpire: requests decide which scopes exist,
// so a warm function must not keep an engine for every one it ever saw.
func TestScopeEnginesAreBoundedAndExpire(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(aws.Config{Region: "us-east-1"}, cleanup.Config{Account: "123456789012", Region: "us-east-1"}, nil)
	s.now = func() time.Time { return now }
	scope := func(i int) cleanup.Scope {
		account := fmt.Sprintf("%012d", 100000000000+i)
		return cleanup.Scope{Account: account, Region: "eu-west-1", RoleARN: "arn:aws:iam::" + account + ":role/AppRunnerConnectionCleanup"}
	}
	get := func(i int) cleanup.Runner {
		t.Helper()
		e, err := s.Engine(context.Background(), scope(i))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}

	first := get(0)
	for i := 1; i < 3*maxScopeEngines; i++ {
		now = now.Add(time.Second)
		get(i)
		if i == maxScopeEngines/2 {
			// Used again, so it is not the least recently used.
			if get(0) != first {
				t.Fatal("a cached engine was not reused")
			}
		}
	}
	if n := len(s.engines); n != maxScopeEngines {
		t.Errorf("%d engines kept, want the bound %d", n, maxScopeEngines)
	}
	// A plan reaches a role in every member account: credentials go with
	// the last engine that used them.
	if n := len(s.creds); n != maxScopeEngines {
		t.Errorf("%d credential caches kept for %d engines", n, maxScopeEngines)
	}
	if _, ok := s.engines[scope(1)]; ok {
		t.Error("the least recently used engine was kept past the bound")
	}

	now = now.Add(scopeEngineIdle)
	get(0)
	if n := len(s.engines); n != 1 {
		t.Errorf("%d engines kept after %s idle, want only the one just used", n, scopeEngineIdle)
	}
	if n := len(s.creds); n != 1 {
		t.Errorf("%d credential caches kept after %s idle, want one", n, scopeEngineIdle)
	}
}
