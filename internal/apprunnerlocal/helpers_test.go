package apprunnerlocal_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/apprunner"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

// newServer starts an emulator over HTTP for one test.
func newServer(t *testing.T, opts apprunnerlocal.Options) (*apprunnerlocal.Server, *httptest.Server) {
	t.Helper()
	s := apprunnerlocal.New(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

// newClient returns the real SDK client for one access key and region,
// without retries unless the options say otherwise: a test sees every
// error the emulator returns.
func newClient(t *testing.T, url, accessKey, region string, optFns ...func(*apprunner.Options)) *apprunner.Client {
	t.Helper()
	return apprunnerlocal.NewClient(url, region, accessKey, append([]func(*apprunner.Options){noRetries}, optFns...)...)
}

func noRetries(o *apprunner.Options) { o.RetryMaxAttempts = 1 }

func mustAddConnection(t *testing.T, s *apprunnerlocal.Server, account, region string, c apprunnerlocal.SeedConnection) string {
	t.Helper()
	arn, err := s.AddConnection(account, region, c)
	if err != nil {
		t.Fatalf("AddConnection(%s): %v", c.Name, err)
	}
	return arn
}

func mustAddService(t *testing.T, s *apprunnerlocal.Server, account, region string, sv apprunnerlocal.SeedService) string {
	t.Helper()
	arn, err := s.AddService(account, region, sv)
	if err != nil {
		t.Fatalf("AddService(%s): %v", sv.Name, err)
	}
	return arn
}

func decodeJSON(resp *http.Response, v any) error {
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func mustAddVPCConnector(t *testing.T, s *apprunnerlocal.Server, account, region string, c apprunnerlocal.SeedVPCConnector) string {
	t.Helper()
	arn, err := s.AddVPCConnector(account, region, c)
	if err != nil {
		t.Fatalf("AddVPCConnector(%s): %v", c.Name, err)
	}
	return arn
}

func mustAddAutoScaling(t *testing.T, s *apprunnerlocal.Server, account, region string, c apprunnerlocal.SeedAutoScalingConfiguration) string {
	t.Helper()
	arn, err := s.AddAutoScalingConfiguration(account, region, c)
	if err != nil {
		t.Fatalf("AddAutoScalingConfiguration(%s): %v", c.Name, err)
	}
	return arn
}

func mustAddObservability(t *testing.T, s *apprunnerlocal.Server, account, region string, c apprunnerlocal.SeedObservabilityConfiguration) string {
	t.Helper()
	arn, err := s.AddObservabilityConfiguration(account, region, c)
	if err != nil {
		t.Fatalf("AddObservabilityConfiguration(%s): %v", c.Name, err)
	}
	return arn
}
