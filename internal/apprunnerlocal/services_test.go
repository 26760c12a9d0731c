package apprunnerlocal_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

func codeSource(connARN string) *types.SourceConfiguration {
	return &types.SourceConfiguration{
		AuthenticationConfiguration: &types.AuthenticationConfiguration{ConnectionArn: aws.String(connARN)},
		CodeRepository: &types.CodeRepository{
			RepositoryUrl:     aws.String("https://github.com/example/web"),
			SourceCodeVersion: &types.SourceCodeVersion{Type: types.SourceCodeVersionTypeBranch, Value: aws.String("main")},
			CodeConfiguration: &types.CodeConfiguration{
				ConfigurationSource: types.ConfigurationSourceApi,
				CodeConfigurationValues: &types.CodeConfigurationValues{
					Runtime: types.RuntimeGo1, BuildCommand: aws.String("go build -o app"), StartCommand: aws.String("./app"),
				},
			},
		},
	}
}

func imageSource() *types.SourceConfiguration {
	return &types.SourceConfiguration{
		ImageRepository: &types.ImageRepository{
			ImageIdentifier:     aws.String("public.ecr.aws/aws-containers/hello-app-runner:latest"),
			ImageRepositoryType: types.ImageRepositoryTypeEcrPublic,
		},
	}
}

func TestServiceLifecycle(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	connARN := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "web-github"})

	created, err := client.CreateService(ctx, &apprunner.CreateServiceInput{
		ServiceName:         aws.String("web-app"),
		SourceConfiguration: codeSource(connARN),
		Tags:                []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}},
	})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	svc := created.Service
	arn := aws.ToString(svc.ServiceArn)
	if svc.Status != types.ServiceStatusRunning || aws.ToString(created.OperationId) == "" || len(aws.ToString(svc.ServiceId)) != 32 {
		t.Errorf("created service = status %s, operation %q, id %q; want RUNNING, an operation ID, a 32-char ID",
			svc.Status, aws.ToString(created.OperationId), aws.ToString(svc.ServiceId))
	}

	d, err := client.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeService: %v", err)
	}
	src := d.Service.SourceConfiguration
	if got := aws.ToString(src.AuthenticationConfiguration.ConnectionArn); got != connARN {
		t.Errorf("ConnectionArn = %s, want %s", got, connARN)
	}
	if got := aws.ToString(src.CodeRepository.CodeConfiguration.CodeConfigurationValues.StartCommand); got != "./app" {
		t.Errorf("StartCommand = %q, want ./app", got)
	}
	if d.Service.InstanceConfiguration == nil || aws.ToString(d.Service.InstanceConfiguration.Cpu) == "" {
		t.Errorf("InstanceConfiguration = %+v, want defaults", d.Service.InstanceConfiguration)
	}

	paused, err := client.PauseService(ctx, &apprunner.PauseServiceInput{ServiceArn: aws.String(arn)})
	if err != nil || paused.Service.Status != types.ServiceStatusPaused {
		t.Fatalf("PauseService = %v, %v; want PAUSED", paused, err)
	}
	_, err = client.PauseService(ctx, &apprunner.PauseServiceInput{ServiceArn: aws.String(arn)})
	var state *types.InvalidStateException
	if !errors.As(err, &state) {
		t.Errorf("pausing a paused service: %v, want InvalidStateException", err)
	}
	resumed, err := client.ResumeService(ctx, &apprunner.ResumeServiceInput{ServiceArn: aws.String(arn)})
	if err != nil || resumed.Service.Status != types.ServiceStatusRunning {
		t.Fatalf("ResumeService = %v, %v; want RUNNING", resumed, err)
	}
	if _, err := client.ResumeService(ctx, &apprunner.ResumeServiceInput{ServiceArn: aws.String(arn)}); !errors.As(err, &state) {
		t.Errorf("resuming a running service: %v, want InvalidStateException", err)
	}

	if _, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}, {Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := client.UntagResource(ctx, &apprunner.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"owner", "absent"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, err := client.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	if diff := cmp.Diff(tagMap(tags.Tags), map[string]string{"env": "dev"}); diff != "" {
		t.Errorf("tags (-got +want):\n%s", diff)
	}

	del, err := client.DeleteService(ctx, &apprunner.DeleteServiceInput{ServiceArn: aws.String(arn)})
	if err != nil || del.Service.Status != types.ServiceStatusDeleted {
		t.Fatalf("DeleteService = %v, %v; want DELETED at once", del, err)
	}
	d, err = client.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(arn)})
	if err != nil || d.Service.Status != types.ServiceStatusDeleted || d.Service.DeletedAt == nil {
		t.Errorf("DescribeService after delete = %+v, %v; want DELETED with DeletedAt", d, err)
	}
	list, err := client.ListServices(ctx, &apprunner.ListServicesInput{})
	if err != nil || len(list.ServiceSummaryList) != 0 {
		t.Errorf("ListServices after delete = %+v, %v; want empty", list, err)
	}
	var notFound *types.ResourceNotFoundException
	if _, err := client.DeleteService(ctx, &apprunner.DeleteServiceInput{ServiceArn: aws.String(arn)}); !errors.As(err, &notFound) {
		t.Errorf("second DeleteService: %v, want ResourceNotFoundException", err)
	}

	img, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: imageSource()})
	if err != nil {
		t.Fatalf("CreateService(image, reusing a deleted service's name): %v", err)
	}
	if img.Service.SourceConfiguration.ImageRepository == nil {
		t.Errorf("image service source = %+v, want an ImageRepository", img.Service.SourceConfiguration)
	}
}

func TestDeleteServiceDelayKeepsTheConnectionInUse(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, hs := newServer(t, apprunnerlocal.Options{DeleteServiceDelay: time.Minute, Now: func() time.Time { return clock() }})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	connARN := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "web-github"})
	svcARN := mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "web-app", ConnectionName: "web-github"})

	del, err := client.DeleteService(ctx, &apprunner.DeleteServiceInput{ServiceArn: aws.String(svcARN)})
	if err != nil || del.Service.Status != types.ServiceStatusOperationInProgress {
		t.Fatalf("DeleteService = %v, %v; want OPERATION_IN_PROGRESS", del, err)
	}
	var state *types.InvalidStateException
	if _, err := client.DeleteService(ctx, &apprunner.DeleteServiceInput{ServiceArn: aws.String(svcARN)}); !errors.As(err, &state) {
		t.Errorf("DeleteService while deleting: %v, want InvalidStateException", err)
	}
	var invalid *types.InvalidRequestException
	if _, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(connARN)}); !errors.As(err, &invalid) {
		t.Errorf("DeleteConnection while its service is being deleted: %v, want InvalidRequestException", err)
	}

	// Changing the clock through SetOptions keeps the access race-free.
	s.SetOptions(func(o *apprunnerlocal.Options) {
		later := now.Add(time.Minute)
		o.Now = func() time.Time { return later }
	})
	d, err := client.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(svcARN)})
	if err != nil || d.Service.Status != types.ServiceStatusDeleted {
		t.Fatalf("DescribeService after the delay = %v, %v; want DELETED", d, err)
	}
	if _, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(connARN)}); err != nil {
		t.Errorf("DeleteConnection after the deletion completed: %v", err)
	}
}

func TestCreateServiceRefusesMissingOrUnavailableConnections(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	pending := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "pending-conn", Status: "PENDING_HANDSHAKE"})
	deleted := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "gone-conn", Status: "DELETED"})
	otherRegion := mustAddConnection(t, s, acct, "eu-west-1", apprunnerlocal.SeedConnection{Name: "far-conn"})
	for name, arn := range map[string]string{
		"pending":      pending,
		"deleted":      deleted,
		"other region": otherRegion,
		"missing":      "arn:aws:apprunner:us-east-1:123456789012:connection/nope/0123456789abcdef0123456789abcdef",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: codeSource(arn)})
			var invalid *types.InvalidRequestException
			if !errors.As(err, &invalid) {
				t.Errorf("CreateService with a %s connection: %v, want InvalidRequestException", name, err)
			}
		})
	}
	if got := s.Services(acct, "us-east-1"); len(got) != 0 {
		t.Errorf("refused creations left services: %+v", got)
	}
}

func TestValidationFailuresAreInvalidRequests(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	connARN := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "web-github"})
	noConn := codeSource(connARN)
	noConn.AuthenticationConfiguration = nil
	tests := []struct {
		name string
		call func() error
	}{
		{"connection name too short", func() error {
			_, err := client.CreateConnection(ctx, &apprunner.CreateConnectionInput{ConnectionName: aws.String("ab"), ProviderType: types.ProviderTypeGithub})
			return err
		}},
		{"connection name pattern", func() error {
			_, err := client.CreateConnection(ctx, &apprunner.CreateConnectionInput{ConnectionName: aws.String("-bad-name"), ProviderType: types.ProviderTypeGithub})
			return err
		}},
		{"provider type enum", func() error {
			_, err := client.CreateConnection(ctx, &apprunner.CreateConnectionInput{ConnectionName: aws.String("good-name"), ProviderType: "GITLAB"})
			return err
		}},
		{"duplicate connection name", func() error {
			_, err := client.CreateConnection(ctx, &apprunner.CreateConnectionInput{ConnectionName: aws.String("web-github"), ProviderType: types.ProviderTypeGithub})
			return err
		}},
		{"aws: tag key", func() error {
			_, err := client.CreateConnection(ctx, &apprunner.CreateConnectionInput{ConnectionName: aws.String("good-name"), ProviderType: types.ProviderTypeGithub,
				Tags: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("x")}}})
			return err
		}},
		{"ListConnections MaxResults 0", func() error {
			_, err := client.ListConnections(ctx, &apprunner.ListConnectionsInput{MaxResults: aws.Int32(0)})
			return err
		}},
		{"ListConnections MaxResults 101", func() error {
			_, err := client.ListConnections(ctx, &apprunner.ListConnectionsInput{MaxResults: aws.Int32(101)})
			return err
		}},
		{"ListServices MaxResults 21", func() error {
			_, err := client.ListServices(ctx, &apprunner.ListServicesInput{MaxResults: aws.Int32(21)})
			return err
		}},
		{"ListServices garbage NextToken", func() error {
			_, err := client.ListServices(ctx, &apprunner.ListServicesInput{NextToken: aws.String("not-a-token")})
			return err
		}},
		{"DeleteConnection malformed ARN", func() error {
			_, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String("web-github")})
			return err
		}},
		{"DescribeService malformed ARN", func() error {
			_, err := client.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String("arn:aws:apprunner:us-east-1:1234:service/x/y")})
			return err
		}},
		{"service name pattern", func() error {
			_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("bad name"), SourceConfiguration: imageSource()})
			return err
		}},
		{"code source without connection", func() error {
			_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: noConn})
			return err
		}},
		{"no source", func() error {
			_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: &types.SourceConfiguration{}})
			return err
		}},
		{"bad image identifier", func() error {
			src := imageSource()
			src.ImageRepository.ImageIdentifier = aws.String("docker.io/library/nginx")
			_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: src})
			return err
		}},
		{"bad cpu", func() error {
			_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: imageSource(),
				InstanceConfiguration: &types.InstanceConfiguration{Cpu: aws.String("3 vCPU")}})
			return err
		}},
		{"health check interval", func() error {
			_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: imageSource(),
				HealthCheckConfiguration: &types.HealthCheckConfiguration{Interval: aws.Int32(30)}})
			return err
		}},
		{"untag aws: key", func() error {
			_, err := client.UntagResource(ctx, &apprunner.UntagResourceInput{ResourceArn: aws.String(connARN), TagKeys: []string{"aws:x"}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var invalid *types.InvalidRequestException
			if err := tt.call(); !errors.As(err, &invalid) {
				t.Errorf("error = %v, want InvalidRequestException", err)
			}
		})
	}
	// Missing required members are caught by the SDK's own validation
	// before a request is sent; the emulator checks them too (see the raw
	// protocol tests).
}

func TestTagsOnUnknownResourcesAreNotFound(t *testing.T) {
	ctx := context.Background()
	_, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	for _, arn := range []string{
		"arn:aws:apprunner:us-east-1:123456789012:connection/nope/0123456789abcdef0123456789abcdef",
		"arn:aws:apprunner:us-east-1:123456789012:service/nope/0123456789abcdef0123456789abcdef",
		"arn:aws:apprunner:us-east-1:123456789012:vpcconnector/nope/1/0123456789abcdef0123456789abcdef",
	} {
		var notFound *types.ResourceNotFoundException
		if _, err := client.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: aws.String(arn)}); !errors.As(err, &notFound) {
			t.Errorf("ListTagsForResource(%s): %v, want ResourceNotFoundException", arn, err)
		}
		if _, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("k")}}}); !errors.As(err, &notFound) {
			t.Errorf("TagResource(%s): %v, want ResourceNotFoundException", arn, err)
		}
		if _, err := client.UntagResource(ctx, &apprunner.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"k"}}); !errors.As(err, &notFound) {
			t.Errorf("UntagResource(%s): %v, want ResourceNotFoundException", arn, err)
		}
	}
	var notFound *types.ResourceNotFoundException
	if _, err := client.DescribeService(ctx, &apprunner.DescribeServiceInput{
		ServiceArn: aws.String("arn:aws:apprunner:us-east-1:123456789012:service/nope/0123456789abcdef0123456789abcdef"),
	}); !errors.As(err, &notFound) {
		t.Errorf("DescribeService(unknown): %v, want ResourceNotFoundException", err)
	}
}

func TestAccountsAndRegionsAreApart(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{Accounts: map[string]string{"KEY-B": "222222222222"}})
	clients := map[string]*apprunner.Client{
		"A us-east-1": newClient(t, hs.URL, "KEY-A", "us-east-1"),
		"A eu-west-1": newClient(t, hs.URL, "KEY-A", "eu-west-1"),
		"B us-east-1": newClient(t, hs.URL, "KEY-B", "us-east-1"),
	}
	arns := map[string]string{}
	for name, c := range clients {
		// The same connection name in each scope is no clash.
		out, err := c.CreateConnection(ctx, &apprunner.CreateConnectionInput{ConnectionName: aws.String("same-name"), ProviderType: types.ProviderTypeGithub})
		if err != nil {
			t.Fatalf("%s CreateConnection: %v", name, err)
		}
		arns[name] = aws.ToString(out.Connection.ConnectionArn)
	}
	wantPrefix := map[string]string{
		"A us-east-1": "arn:aws:apprunner:us-east-1:123456789012:",
		"A eu-west-1": "arn:aws:apprunner:eu-west-1:123456789012:",
		"B us-east-1": "arn:aws:apprunner:us-east-1:222222222222:",
	}
	for name, c := range clients {
		if got := arns[name]; got[:len(wantPrefix[name])] != wantPrefix[name] {
			t.Errorf("%s ARN = %s, want prefix %s", name, got, wantPrefix[name])
		}
		out, err := c.ListConnections(ctx, &apprunner.ListConnectionsInput{})
		if err != nil {
			t.Fatalf("%s ListConnections: %v", name, err)
		}
		if len(out.ConnectionSummaryList) != 1 || aws.ToString(out.ConnectionSummaryList[0].ConnectionArn) != arns[name] {
			t.Errorf("%s sees %+v, want only its own %s", name, out.ConnectionSummaryList, arns[name])
		}
		for other, arn := range arns {
			if other == name {
				continue
			}
			var notFound *types.ResourceNotFoundException
			if _, err := c.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(arn)}); !errors.As(err, &notFound) {
				t.Errorf("%s deleting %s's connection: %v, want ResourceNotFoundException", name, other, err)
			}
		}
	}
	if got := len(s.Connections("222222222222", "us-east-1")); got != 1 {
		t.Errorf("account B has %d connections, want 1", got)
	}
}

func TestManyServicesAndConnectionsFromGo(t *testing.T) {
	s := apprunnerlocal.New(apprunnerlocal.Options{})
	for i := range 2000 {
		conn := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: fmt.Sprintf("conn-%04d", i)})
		mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: fmt.Sprintf("svc-%04d", i), ConnectionARN: conn})
	}
	if got := len(s.Services(acct, "us-east-1")); got != 2000 {
		t.Errorf("%d services, want 2000", got)
	}
}

func TestUpdateServiceRepointsTheServiceToAnotherConnection(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	before := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "before-conn"})
	after := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "after-conn"})
	pending := mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "pending-conn", Status: "PENDING_HANDSHAKE"})
	created, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: codeSource(before)})
	if err != nil {
		t.Fatal(err)
	}
	svc := created.Service.ServiceArn

	out, err := client.UpdateService(ctx, &apprunner.UpdateServiceInput{ServiceArn: svc, SourceConfiguration: codeSource(after)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Service.SourceConfiguration.AuthenticationConfiguration.ConnectionArn); got != after {
		t.Errorf("updated service uses %s, want %s", got, after)
	}
	if !out.Service.UpdatedAt.After(*created.Service.UpdatedAt) {
		t.Errorf("UpdatedAt %v not after %v", out.Service.UpdatedAt, created.Service.UpdatedAt)
	}
	var invalid *types.InvalidRequestException
	if _, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(after)}); !errors.As(err, &invalid) {
		t.Errorf("deleting the new connection: %v, want InvalidRequestException", err)
	}
	if _, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(before)}); err != nil {
		t.Errorf("deleting the connection the service left: %v", err)
	}

	if _, err := client.UpdateService(ctx, &apprunner.UpdateServiceInput{ServiceArn: svc, SourceConfiguration: codeSource(pending)}); !errors.As(err, &invalid) {
		t.Errorf("repointing to a PENDING_HANDSHAKE connection: %v, want InvalidRequestException", err)
	}
	if _, err := client.PauseService(ctx, &apprunner.PauseServiceInput{ServiceArn: svc}); err != nil {
		t.Fatal(err)
	}
	var state *types.InvalidStateException
	if _, err := client.UpdateService(ctx, &apprunner.UpdateServiceInput{ServiceArn: svc, SourceConfiguration: codeSource(after)}); !errors.As(err, &state) {
		t.Errorf("updating a paused service: %v, want InvalidStateException", err)
	}
}

// TestEveryChangeGetsItsOwnTimestamp: the wire carries milliseconds, and a
// client tells a changed service by its UpdatedAt, so two changes must not
// share one, however quickly they follow each other. The changes below come
// as fast as the client can send them, many to a millisecond.
func TestEveryChangeGetsItsOwnTimestamp(t *testing.T) {
	frozen := time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		now  func() time.Time
		// check judges the times recorded by the changes, in order.
		check func(t *testing.T, times []time.Time)
	}{
		{
			name: "the default clock moves on at every change",
			check: func(t *testing.T, times []time.Time) {
				t.Helper()
				for i := 1; i < len(times); i++ {
					if !times[i].After(times[i-1]) {
						t.Errorf("change %d recorded %v, not after change %d's %v", i, times[i], i-1, times[i-1])
					}
				}
			},
		},
		{
			// A test that stops the clock gets the time it set, to the
			// millisecond that the wire carries.
			name: "a clock set in the options is used as it is",
			now:  func() time.Time { return frozen },
			check: func(t *testing.T, times []time.Time) {
				t.Helper()
				for i, got := range times {
					if want := frozen.Truncate(time.Millisecond); !got.Equal(want) {
						t.Errorf("change %d recorded %v, want %v", i, got, want)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, hs := newServer(t, apprunnerlocal.Options{Now: tt.now})
			client := newClient(t, hs.URL, "AKID", "us-east-1")
			tt.check(t, changeTimes(t, client, mustAddConnection(t, s, acct, "us-east-1", apprunnerlocal.SeedConnection{Name: "web-github"})))
		})
	}
}

// changeTimes makes one change after another through the API and returns
// the time each recorded, as the client decoded it.
func changeTimes(t *testing.T, client *apprunner.Client, connARN string) []time.Time {
	t.Helper()
	ctx := context.Background()
	var times []time.Time
	for i := range 3 {
		out, err := client.CreateConnection(ctx, &apprunner.CreateConnectionInput{ConnectionName: aws.String(fmt.Sprintf("new-github-%d", i)), ProviderType: types.ProviderTypeGithub})
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, *out.Connection.CreatedAt)
	}
	created, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: codeSource(connARN)})
	if err != nil {
		t.Fatal(err)
	}
	times = append(times, *created.Service.UpdatedAt)
	svc := created.Service.ServiceArn
	for range 10 {
		up, err := client.UpdateService(ctx, &apprunner.UpdateServiceInput{ServiceArn: svc, SourceConfiguration: codeSource(connARN)})
		if err != nil {
			t.Fatal(err)
		}
		pause, err := client.PauseService(ctx, &apprunner.PauseServiceInput{ServiceArn: svc})
		if err != nil {
			t.Fatal(err)
		}
		resume, err := client.ResumeService(ctx, &apprunner.ResumeServiceInput{ServiceArn: svc})
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, *up.Service.UpdatedAt, *pause.Service.UpdatedAt, *resume.Service.UpdatedAt)
	}
	del, err := client.DeleteService(ctx, &apprunner.DeleteServiceInput{ServiceArn: svc})
	if err != nil {
		t.Fatal(err)
	}
	return append(times, *del.Service.UpdatedAt)
}
