package apprunnerlocal_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

func TestDemoSeedLoadsAndIsServedThroughTheSDK(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	s, hs := newServer(t, apprunnerlocal.Options{Now: func() time.Time { return now }})
	if err := s.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatalf("Load(demo): %v", err)
	}
	client := newClient(t, hs.URL, "AKID", "us-east-1")

	var names []string
	p := apprunner.NewListConnectionsPaginator(client, &apprunner.ListConnectionsInput{MaxResults: aws.Int32(4)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListConnections: %v", err)
		}
		for _, c := range page.ConnectionSummaryList {
			names = append(names, aws.ToString(c.ConnectionName))
		}
	}
	// Sorted by creation time; fresh-github was created an hour before load.
	want := []string{"platform-protected", "retired-worker-github", "storefront-github", "billing-github",
		"legacy-github", "pending-handshake", "broken-link", "orphan-bitbucket", "teardown-target", "queue-target", "fresh-github"}
	if diff := cmp.Diff(names, want); diff != "" {
		t.Errorf("connection names (-got +want):\n%s", diff)
	}
	fresh := s.Connections(acct, "us-east-1")[10]
	if got, want := fresh.CreatedAt, now.Add(-time.Hour); !got.Equal(want) {
		t.Errorf("fresh-github CreatedAt = %v, want %v", got, want)
	}

	svcs, err := client.ListServices(ctx, &apprunner.ListServicesInput{})
	if err != nil {
		t.Fatalf("ListServices: %v", err)
	}
	var svcNames []string
	for _, sv := range svcs.ServiceSummaryList {
		svcNames = append(svcNames, aws.ToString(sv.ServiceName))
	}
	if diff := cmp.Diff(svcNames, []string{"storefront", "billing-api", "static-site", "reports-worker", "catalog-api"}); diff != "" {
		t.Errorf("services (-got +want):\n%s", diff)
	}

	const storefront = "arn:aws:apprunner:us-east-1:123456789012:service/storefront/e924861fb4ac77d6cf32419f8ae674c8"
	d, err := client.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(storefront)})
	if err != nil {
		t.Fatalf("DescribeService: %v", err)
	}
	if got, want := aws.ToString(d.Service.SourceConfiguration.AuthenticationConfiguration.ConnectionArn),
		"arn:aws:apprunner:us-east-1:123456789012:connection/storefront-github/04c55319304afef88d844f848df39fac"; got != want {
		t.Errorf("storefront connection = %s, want %s", got, want)
	}
	const retired = "arn:aws:apprunner:us-east-1:123456789012:service/retired-worker/7a4e0c16c1fe5bf4b907967c84f19b80"
	d, err = client.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(retired)})
	if err != nil {
		t.Fatalf("DescribeService(deleted): %v", err)
	}
	if d.Service.Status != types.ServiceStatusDeleted {
		t.Errorf("retired-worker status = %s, want DELETED", d.Service.Status)
	}
	tags, err := client.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{
		ResourceArn: aws.String("arn:aws:apprunner:us-east-1:123456789012:connection/platform-protected/0aeb7ae59be762ef009566c28637329a"),
	})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	if diff := cmp.Diff(tagMap(tags.Tags), map[string]string{"apprunner-cleanup:protect": "true"}); diff != "" {
		t.Errorf("tags (-got +want):\n%s", diff)
	}

	other := newClient(t, hs.URL, "OTHER", "eu-west-1", func(o *apprunner.Options) {})
	s.SetOptions(func(o *apprunnerlocal.Options) { o.Accounts = map[string]string{"OTHER": "210987654321"} })
	out, err := other.ListConnections(ctx, &apprunner.ListConnectionsInput{})
	if err != nil {
		t.Fatalf("ListConnections(other account): %v", err)
	}
	var theirs []string
	for _, c := range out.ConnectionSummaryList {
		theirs = append(theirs, aws.ToString(c.ConnectionName))
	}
	if diff := cmp.Diff([]string{"legacy-api-github", "other-account-conn"}, theirs); diff != "" {
		t.Errorf("other account's connections in eu-west-1 (-want +got):\n%s", diff)
	}
}

func TestParseSeedRejectsBadSeeds(t *testing.T) {
	tests := []struct {
		name, json string
	}{
		{"unknown field", `{"accounts":{"123456789012":{"us-east-1":{"connections":[{"name":"abcd","colour":"red"}]}}}}`},
		{"bad account", `{"accounts":{"1234":{"us-east-1":{}}}}`},
		{"bad region", `{"accounts":{"123456789012":{"Mars":{}}}}`},
		{"bad name", `{"accounts":{"123456789012":{"us-east-1":{"connections":[{"name":"a"}]}}}}`},
		{"bad id", `{"accounts":{"123456789012":{"us-east-1":{"connections":[{"name":"abcd","id":"XYZ"}]}}}}`},
		{"bad status", `{"accounts":{"123456789012":{"us-east-1":{"connections":[{"name":"abcd","status":"READY"}]}}}}`},
		{"bad provider", `{"accounts":{"123456789012":{"us-east-1":{"connections":[{"name":"abcd","providerType":"GITLAB"}]}}}}`},
		{"both times", `{"accounts":{"123456789012":{"us-east-1":{"connections":[{"name":"abcd","createdAt":"2025-01-01T00:00:00Z","createdAgo":"1h"}]}}}}`},
		{"bad duration", `{"accounts":{"123456789012":{"us-east-1":{"connections":[{"name":"abcd","createdAgo":"yesterday"}]}}}}`},
		{"aws tag", `{"accounts":{"123456789012":{"us-east-1":{"connections":[{"name":"abcd","tags":{"aws:x":"y"}}]}}}}`},
		{"bad service status", `{"accounts":{"123456789012":{"us-east-1":{"services":[{"name":"abcd","status":"UP"}]}}}}`},
		{"not json", `accounts`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := apprunnerlocal.ParseSeed([]byte(tt.json)); err == nil {
				t.Errorf("ParseSeed(%s) succeeded, want an error", tt.json)
			}
		})
	}
}

func TestLoadRejectsDanglingAndDuplicateNamesAtomically(t *testing.T) {
	s := apprunnerlocal.New(apprunnerlocal.Options{})
	seed, err := apprunnerlocal.ParseSeed([]byte(`{"accounts":{"123456789012":{"us-east-1":{
		"connections":[{"name":"good-conn"}],
		"services":[{"name":"svc-one","connectionName":"missing-conn"}]}}}}`))
	if err != nil {
		t.Fatalf("ParseSeed: %v", err)
	}
	if err := s.Load(seed); err == nil {
		t.Fatal("Load with a dangling connectionName succeeded, want an error")
	}
	if got := s.Connections(acct, "us-east-1"); len(got) != 0 {
		t.Errorf("a failed Load left %d connections, want 0", len(got))
	}
	mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "good-conn"})
	if _, err := s.AddConnection(acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "good-conn"}); err == nil {
		t.Error("second live connection with the same name succeeded, want an error")
	}
	if err := s.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatalf("Load(demo): %v", err)
	}
	if err := s.Load(apprunnerlocal.DemoSeed()); err == nil {
		t.Error("loading the demo twice succeeded, want duplicate errors")
	}
}

func TestLoadSeedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(path, apprunnerlocal.DemoJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	seed, err := apprunnerlocal.LoadSeedFile(path)
	if err != nil {
		t.Fatalf("LoadSeedFile: %v", err)
	}
	if diff := cmp.Diff(seed, apprunnerlocal.DemoSeed()); diff != "" {
		t.Errorf("file seed differs from DemoSeed (-file +demo):\n%s", diff)
	}
	if _, err := apprunnerlocal.LoadSeedFile(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadSeedFile(missing) = %v, want os.ErrNotExist", err)
	}
}

func TestStatsCountCallsByOperationAndOutcome(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	_, _ = client.ListServices(ctx, &apprunner.ListServicesInput{})
	_, _ = client.ListServices(ctx, &apprunner.ListServicesInput{})
	_, _ = client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{
		ConnectionArn: aws.String("arn:aws:apprunner:us-east-1:123456789012:connection/nope/00000000000000000000000000000000"),
	})
	want := apprunnerlocal.Stats{
		Calls: map[string]int{"ListServices": 2, "DeleteConnection": 1},
		Outcomes: map[string]map[string]int{
			"ListServices":     {"ok": 2},
			"DeleteConnection": {"ResourceNotFoundException": 1},
		},
	}
	if diff := cmp.Diff(s.Stats(), want); diff != "" {
		t.Errorf("Stats (-got +want):\n%s", diff)
	}

	resp, err := http.Get(hs.URL + "/_local/stats")
	if err != nil {
		t.Fatalf("GET /_local/stats: %v", err)
	}
	defer resp.Body.Close()
	var got apprunnerlocal.Stats
	if err := decodeJSON(resp, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("GET /_local/stats (-got +want):\n%s", diff)
	}

	s.ResetStats()
	if got := s.Stats().Total(); got != 0 {
		t.Errorf("Total after ResetStats = %d, want 0", got)
	}
}
