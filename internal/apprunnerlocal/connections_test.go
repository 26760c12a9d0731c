package apprunnerlocal_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

const acct = apprunnerlocal.DefaultAccount

func TestCreateListDeleteConnectionRoundTrip(t *testing.T) {
	ctx := context.Background()
	fixed := time.Date(2025, 6, 1, 12, 0, 0, 500_000_000, time.UTC)
	s, hs := newServer(t, apprunnerlocal.Options{Now: func() time.Time { return fixed }})
	client := newClient(t, hs.URL, "AKID", "us-east-1")

	created, err := client.CreateConnection(ctx, &apprunner.CreateConnectionInput{
		ConnectionName: aws.String("my-github"),
		ProviderType:   types.ProviderTypeGithub,
		Tags:           []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
	})
	if err != nil {
		t.Fatalf("CreateConnection: %v", err)
	}
	c := created.Connection
	if got, want := c.Status, types.ConnectionStatusPendingHandshake; got != want {
		t.Errorf("status = %s, want %s", got, want)
	}
	if got := aws.ToTime(c.CreatedAt); !got.Equal(fixed) {
		t.Errorf("CreatedAt = %v, want %v", got, fixed)
	}
	arn := aws.ToString(c.ConnectionArn)
	if !strings.HasPrefix(arn, "arn:aws:apprunner:us-east-1:123456789012:connection/my-github/") || len(arn) != len("arn:aws:apprunner:us-east-1:123456789012:connection/my-github/")+32 {
		t.Errorf("ARN = %s, want arn:aws:apprunner:us-east-1:123456789012:connection/my-github/<32 hex>", arn)
	}

	list, err := client.ListConnections(ctx, &apprunner.ListConnectionsInput{})
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	if len(list.ConnectionSummaryList) != 1 || aws.ToString(list.ConnectionSummaryList[0].ConnectionArn) != arn {
		t.Fatalf("ListConnections = %+v, want just %s", list.ConnectionSummaryList, arn)
	}
	tags, err := client.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	if got := tagMap(tags.Tags); !cmp.Equal(got, map[string]string{"team": "web"}) {
		t.Errorf("tags = %v, want team=web", got)
	}

	del, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DeleteConnection: %v", err)
	}
	if got := del.Connection.Status; got != types.ConnectionStatusDeleted {
		t.Errorf("deleted connection status = %s, want DELETED", got)
	}
	_, err = client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(arn)})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("second DeleteConnection error = %v, want ResourceNotFoundException", err)
	}
	list, err = client.ListConnections(ctx, &apprunner.ListConnectionsInput{})
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	if len(list.ConnectionSummaryList) != 0 {
		t.Errorf("ListConnections after delete = %d items, want 0", len(list.ConnectionSummaryList))
	}
	st, ok := s.Connection(arn)
	if !ok || st.Status != "DELETED" || st.Name != "my-github" {
		t.Errorf("Connection(%s) = %+v, %v; want DELETED my-github", arn, st, ok)
	}
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func TestDeleteConnectionRefusesWhileAServiceUsesIt(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	connARN := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "shared-github"})
	svc1 := mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "web-one", ConnectionARN: connARN, Status: "PAUSED"})
	svc2 := mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "web-two", ConnectionName: "shared-github"})

	_, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(connARN)})
	var invalid *types.InvalidRequestException
	if !errors.As(err, &invalid) {
		t.Fatalf("DeleteConnection error = %v, want InvalidRequestException", err)
	}
	for _, want := range []string{"is used by services", svc1, svc2} {
		if !strings.Contains(invalid.ErrorMessage(), want) {
			t.Errorf("message %q does not contain %q", invalid.ErrorMessage(), want)
		}
	}

	for _, arn := range []string{svc1, svc2} {
		if _, err := client.DeleteService(ctx, &apprunner.DeleteServiceInput{ServiceArn: aws.String(arn)}); err != nil {
			t.Fatalf("DeleteService(%s): %v", arn, err)
		}
	}
	if _, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(connARN)}); err != nil {
		t.Fatalf("DeleteConnection after its services are deleted: %v", err)
	}
	if got := s.UnsafeDeletions(); len(got) != 0 {
		t.Errorf("UnsafeDeletions = %v, want none", got)
	}
}

func TestDisableInUseGuardDeletesAndRecords(t *testing.T) {
	ctx := context.Background()
	fixed := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	s, hs := newServer(t, apprunnerlocal.Options{DisableInUseGuard: true, Now: func() time.Time { return fixed }})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	connARN := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "shared-github"})
	svc := mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "web-one", ConnectionARN: connARN})
	mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "old-one", ConnectionARN: connARN, Status: "DELETED"})

	if _, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(connARN)}); err != nil {
		t.Fatalf("DeleteConnection: %v", err)
	}
	want := []apprunnerlocal.UnsafeDeletion{{ConnectionARN: connARN, ResourceARN: connARN, ServiceARNs: []string{svc}, At: fixed}}
	if diff := cmp.Diff(s.UnsafeDeletions(), want); diff != "" {
		t.Errorf("UnsafeDeletions (-got +want):\n%s", diff)
	}
}

func TestListConnectionsFilterByName(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	for i := range 30 {
		mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: fmt.Sprintf("conn-%03d", i)})
	}
	out, err := client.ListConnections(ctx, &apprunner.ListConnectionsInput{ConnectionName: aws.String("conn-017")})
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	if len(out.ConnectionSummaryList) != 1 || aws.ToString(out.ConnectionSummaryList[0].ConnectionName) != "conn-017" || out.NextToken != nil {
		t.Errorf("filtered list = %+v next %v, want conn-017 alone", out.ConnectionSummaryList, out.NextToken)
	}
}

// TestTaggingAConnectionIsValidatedAsAppRunnerDoes: tags are added,
// overwritten and removed; keys of aws:, keys and values too long, and a
// 51st tag are refused with InvalidRequestException (the SDK checks
// neither), and a deleted connection has no tags to change.
func TestTaggingAConnectionIsValidatedAsAppRunnerDoes(t *testing.T) {
	ctx := context.Background()
	_, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	created, err := client.CreateConnection(ctx, &apprunner.CreateConnectionInput{ConnectionName: aws.String("tagged"), ProviderType: types.ProviderTypeGithub})
	if err != nil {
		t.Fatal(err)
	}
	arn := created.Connection.ConnectionArn
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	if _, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{tag("mark", "1"), tag("team", "web")}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{tag("mark", "2")}}); err != nil {
		t.Fatalf("TagResource overwriting: %v", err)
	}
	if _, err := client.UntagResource(ctx, &apprunner.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, err := client.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"mark": "2"}, tagMap(tags.Tags)); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}

	var many []types.Tag
	for i := range 49 {
		many = append(many, tag(fmt.Sprintf("k%02d", i), "v"))
	}
	if _, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: arn, Tags: many}); err != nil {
		t.Fatalf("tagging up to 50: %v", err)
	}
	var invalid *types.InvalidRequestException
	for name, tags := range map[string][]types.Tag{
		"a 51st tag":         {tag("one-too-many", "v")},
		"an aws: key":        {tag("aws:cloudformation:stack-name", "x")},
		"a key of 129 runes": {tag(strings.Repeat("k", 129), "v")},
		"a value of 257":     {tag("mark", strings.Repeat("v", 257))},
	} {
		if _, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: arn, Tags: tags}); !errors.As(err, &invalid) {
			t.Errorf("%s: %v, want InvalidRequestException", name, err)
		}
	}
	if _, err := client.UntagResource(ctx, &apprunner.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"aws:x"}}); !errors.As(err, &invalid) {
		t.Errorf("untagging an aws: key: %v, want InvalidRequestException", err)
	}

	if _, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: arn}); err != nil {
		t.Fatal(err)
	}
	var notFound *types.ResourceNotFoundException
	if _, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{tag("mark", "3")}}); !errors.As(err, &notFound) {
		t.Errorf("tagging a deleted connection: %v, want ResourceNotFoundException", err)
	}
}

// TestAClockMovedForwardAgesWhatWasCreated: with a Clock as Options.Now,
// a connection created now is a week old once the clock has moved a week.
func TestAClockMovedForwardAgesWhatWasCreated(t *testing.T) {
	ctx := context.Background()
	clock := apprunnerlocal.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	_, hs := newServer(t, apprunnerlocal.Options{Now: clock.Now})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	created, err := client.CreateConnection(ctx, &apprunner.CreateConnectionInput{ConnectionName: aws.String("aging"), ProviderType: types.ProviderTypeGithub})
	if err != nil {
		t.Fatal(err)
	}
	later := clock.Advance(7 * 24 * time.Hour)
	if age := later.Sub(aws.ToTime(created.Connection.CreatedAt)); age != 7*24*time.Hour {
		t.Errorf("age after a week = %s, want 168h", age)
	}
}
