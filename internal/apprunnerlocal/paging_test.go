package apprunnerlocal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

// seedMany adds n connections and n services, every third service DELETED,
// with creation times out of order so that sorting is exercised.
func seedMany(t *testing.T, s *apprunnerlocal.Server, n int) (liveServices int) {
	t.Helper()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		created := base.Add(time.Duration((i*7919)%n) * time.Minute)
		mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: fmt.Sprintf("conn-%04d", i), CreatedAt: created})
		status := "RUNNING"
		if i%3 == 0 {
			status = "DELETED"
		} else {
			liveServices++
		}
		mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: fmt.Sprintf("svc-%04d", i), Status: status, CreatedAt: created})
	}
	return liveServices
}

func TestPaginatorsReachTheLastPage(t *testing.T) {
	ctx := context.Background()
	const n = 301
	s, hs := newServer(t, apprunnerlocal.Options{})
	live := seedMany(t, s, n)
	client := newClient(t, hs.URL, "AKID", "us-east-1")

	for _, size := range []int32{0, 1, 7, 20} {
		t.Run(fmt.Sprintf("services page %d", size), func(t *testing.T) {
			in := &apprunner.ListServicesInput{}
			if size > 0 {
				in.MaxResults = aws.Int32(size)
			}
			var arns []string
			p := apprunner.NewListServicesPaginator(client, in)
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListServices: %v", err)
				}
				for _, sv := range page.ServiceSummaryList {
					arns = append(arns, aws.ToString(sv.ServiceArn))
				}
			}
			checkSortedUnique(t, s, arns, live)
		})
	}
	for _, size := range []int32{0, 1, 13, 100} {
		t.Run(fmt.Sprintf("connections page %d", size), func(t *testing.T) {
			in := &apprunner.ListConnectionsInput{}
			if size > 0 {
				in.MaxResults = aws.Int32(size)
			}
			seen := map[string]bool{}
			var last time.Time
			p := apprunner.NewListConnectionsPaginator(client, in)
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListConnections: %v", err)
				}
				if limit := int(size); limit > 0 && len(page.ConnectionSummaryList) > limit {
					t.Fatalf("page of %d items, MaxResults %d", len(page.ConnectionSummaryList), limit)
				}
				for _, c := range page.ConnectionSummaryList {
					if created := aws.ToTime(c.CreatedAt); created.Before(last) {
						t.Errorf("%s created %v listed after %v", aws.ToString(c.ConnectionName), created, last)
					} else {
						last = created
					}
					seen[aws.ToString(c.ConnectionArn)] = true
				}
			}
			if len(seen) != n {
				t.Errorf("saw %d distinct connections, want %d", len(seen), n)
			}
		})
	}
}

func checkSortedUnique(t *testing.T, s *apprunnerlocal.Server, arns []string, want int) {
	t.Helper()
	seen := map[string]bool{}
	var last time.Time
	for _, arn := range arns {
		if seen[arn] {
			t.Errorf("%s listed twice", arn)
		}
		seen[arn] = true
		st, _ := s.Service(arn)
		if st.Status == "DELETED" {
			t.Errorf("DELETED service %s listed", arn)
		}
		if st.CreatedAt.Before(last) {
			t.Errorf("%s out of order", arn)
		}
		last = st.CreatedAt
	}
	if len(seen) != want {
		t.Errorf("listed %d services, want %d", len(seen), want)
	}
}

func TestEmptyPageQuirkNeedsPagingOnEmptyPages(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{EmptyPageQuirk: true})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	// 5 live, then 40 deleted, then 5 live: with pages of 10, pages 2..5
	// come back empty but with a NextToken.
	for i := range 50 {
		status := "RUNNING"
		if i >= 5 && i < 45 {
			status = "DELETED"
		}
		mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{
			Name: fmt.Sprintf("svc-%04d", i), Status: status, CreatedAt: base.Add(time.Duration(i) * time.Minute),
		})
	}

	// A naive loop that stops at the first empty page misses services.
	naive := 0
	var token *string
	for {
		out, err := client.ListServices(ctx, &apprunner.ListServicesInput{MaxResults: aws.Int32(10), NextToken: token})
		if err != nil {
			t.Fatalf("ListServices: %v", err)
		}
		if len(out.ServiceSummaryList) == 0 {
			if out.NextToken == nil {
				t.Fatal("empty page without NextToken: the quirk did not happen")
			}
			break
		}
		naive += len(out.ServiceSummaryList)
		if token = out.NextToken; token == nil {
			break
		}
	}
	if naive != 5 {
		t.Errorf("naive loop got %d services, want 5 (it should stop at the first empty page)", naive)
	}

	var got []types.ServiceSummary
	empty := 0
	p := apprunner.NewListServicesPaginator(client, &apprunner.ListServicesInput{MaxResults: aws.Int32(10)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListServices: %v", err)
		}
		if len(page.ServiceSummaryList) == 0 {
			empty++
		}
		got = append(got, page.ServiceSummaryList...)
	}
	if len(got) != 10 || empty == 0 {
		t.Errorf("paginator got %d services over %d empty pages, want 10 services and some empty pages", len(got), empty)
	}
}

func TestNextTokenIsBoundToItsRequest(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{Accounts: map[string]string{"KEY-B": "222222222222"}})
	seedMany(t, s, 30)
	a := newClient(t, hs.URL, "KEY-A", "us-east-1")
	b := newClient(t, hs.URL, "KEY-B", "us-east-1")
	aWest := newClient(t, hs.URL, "KEY-A", "eu-west-1")

	out, err := a.ListServices(ctx, &apprunner.ListServicesInput{MaxResults: aws.Int32(2)})
	if err != nil || out.NextToken == nil {
		t.Fatalf("ListServices = %v, %v; want a NextToken", out, err)
	}
	conns, err := a.ListConnections(ctx, &apprunner.ListConnectionsInput{MaxResults: aws.Int32(2)})
	if err != nil || conns.NextToken == nil {
		t.Fatalf("ListConnections = %v, %v; want a NextToken", conns, err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"other account", func() error {
			_, err := b.ListServices(ctx, &apprunner.ListServicesInput{NextToken: out.NextToken})
			return err
		}},
		{"other region", func() error {
			_, err := aWest.ListServices(ctx, &apprunner.ListServicesInput{NextToken: out.NextToken})
			return err
		}},
		{"other operation", func() error {
			_, err := a.ListConnections(ctx, &apprunner.ListConnectionsInput{NextToken: out.NextToken})
			return err
		}},
		{"other filter", func() error {
			_, err := a.ListConnections(ctx, &apprunner.ListConnectionsInput{NextToken: conns.NextToken, ConnectionName: aws.String("conn-0001")})
			return err
		}},
		{"tampered", func() error {
			_, err := a.ListServices(ctx, &apprunner.ListServicesInput{NextToken: aws.String(*out.NextToken + "x")})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var invalid *types.InvalidRequestException
			if err := tt.call(); !errorsAs(err, &invalid) {
				t.Errorf("error = %v, want InvalidRequestException", err)
			}
		})
	}
	if _, err := a.ListServices(ctx, &apprunner.ListServicesInput{NextToken: out.NextToken, MaxResults: aws.Int32(20)}); err != nil {
		t.Errorf("changing MaxResults between pages: %v, want success", err)
	}
}
