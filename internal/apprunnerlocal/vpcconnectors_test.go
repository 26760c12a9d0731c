package apprunnerlocal_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

var vpcConnectorARNRE = regexp.MustCompile(`^arn:aws:apprunner:us-east-1:123456789012:vpcconnector/private-egress/(\d+)/[0-9a-f]{32}$`)

func TestVPCConnectorLifecycle(t *testing.T) {
	ctx := context.Background()
	fixed := time.Date(2025, 6, 1, 12, 0, 0, 250_000_000, time.UTC)
	s, hs := newServer(t, apprunnerlocal.Options{Now: func() time.Time { return fixed }})
	client := newClient(t, hs.URL, "AKID", "us-east-1")

	created, err := client.CreateVpcConnector(ctx, &apprunner.CreateVpcConnectorInput{
		VpcConnectorName: aws.String("private-egress"),
		Subnets:          []string{"subnet-0a1b2c3d", "subnet-0e1f2a3b"},
		SecurityGroups:   []string{"sg-0123abcd"},
		Tags:             []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
	})
	if err != nil {
		t.Fatalf("CreateVpcConnector: %v", err)
	}
	vc := created.VpcConnector
	arn := aws.ToString(vc.VpcConnectorArn)
	if m := vpcConnectorARNRE.FindStringSubmatch(arn); m == nil || m[1] != "1" {
		t.Errorf("ARN = %s, want .../vpcconnector/private-egress/1/<32 hex>", arn)
	}
	if vc.Status != types.VpcConnectorStatusActive || vc.VpcConnectorRevision != 1 || !aws.ToTime(vc.CreatedAt).Equal(fixed) || vc.DeletedAt != nil {
		t.Errorf("created = %+v, want ACTIVE revision 1 created %v", vc, fixed)
	}
	if diff := cmp.Diff([]string{"subnet-0a1b2c3d", "subnet-0e1f2a3b"}, vc.Subnets); diff != "" {
		t.Errorf("subnets (-want +got):\n%s", diff)
	}
	var invalid *types.InvalidRequestException
	if _, err := client.CreateVpcConnector(ctx, &apprunner.CreateVpcConnectorInput{VpcConnectorName: aws.String("private-egress"), Subnets: []string{"subnet-1"}}); !errors.As(err, &invalid) {
		t.Errorf("second CreateVpcConnector of a live name: %v, want InvalidRequestException", err)
	}

	list, err := client.ListVpcConnectors(ctx, &apprunner.ListVpcConnectorsInput{})
	if err != nil || len(list.VpcConnectors) != 1 || aws.ToString(list.VpcConnectors[0].VpcConnectorArn) != arn {
		t.Fatalf("ListVpcConnectors = %+v, %v; want just %s", list, err, arn)
	}
	tags, err := client.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || !cmp.Equal(tagMap(tags.Tags), map[string]string{"team": "web"}) {
		t.Errorf("ListTagsForResource = %v, %v; want team=web", tags, err)
	}

	del, err := client.DeleteVpcConnector(ctx, &apprunner.DeleteVpcConnectorInput{VpcConnectorArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DeleteVpcConnector: %v", err)
	}
	if del.VpcConnector.Status != types.VpcConnectorStatusInactive || !aws.ToTime(del.VpcConnector.DeletedAt).Equal(fixed) {
		t.Errorf("deleted = %+v, want INACTIVE with DeletedAt", del.VpcConnector)
	}
	d, err := client.DescribeVpcConnector(ctx, &apprunner.DescribeVpcConnectorInput{VpcConnectorArn: aws.String(arn)})
	if err != nil || d.VpcConnector.Status != types.VpcConnectorStatusInactive {
		t.Errorf("DescribeVpcConnector after delete = %+v, %v; want INACTIVE", d, err)
	}
	var notFound *types.ResourceNotFoundException
	for name, call := range map[string]func() error{
		"second delete": func() error {
			_, err := client.DeleteVpcConnector(ctx, &apprunner.DeleteVpcConnectorInput{VpcConnectorArn: aws.String(arn)})
			return err
		},
		"tagging it": func() error {
			_, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"describing an unknown one": func() error {
			_, err := client.DescribeVpcConnector(ctx, &apprunner.DescribeVpcConnectorInput{VpcConnectorArn: aws.String(strings.Replace(arn, "/1/", "/7/", 1))})
			return err
		},
	} {
		if err := call(); !errors.As(err, &notFound) {
			t.Errorf("%s: %v, want ResourceNotFoundException", name, err)
		}
	}
	list, err = client.ListVpcConnectors(ctx, &apprunner.ListVpcConnectorsInput{})
	if err != nil || len(list.VpcConnectors) != 0 {
		t.Errorf("ListVpcConnectors after delete = %+v, %v; want none", list, err)
	}

	again, err := client.CreateVpcConnector(ctx, &apprunner.CreateVpcConnectorInput{VpcConnectorName: aws.String("private-egress"), Subnets: []string{"subnet-1"}})
	if err != nil {
		t.Fatalf("CreateVpcConnector reusing a deleted name: %v", err)
	}
	if again.VpcConnector.VpcConnectorRevision != 2 || len(again.VpcConnector.SecurityGroups) != 0 {
		t.Errorf("recreated = %+v, want revision 2 without security groups", again.VpcConnector)
	}
	if got := s.VPCConnectors(acct, "us-east-1"); len(got) != 2 || got[0].Status != "INACTIVE" || got[1].Status != "ACTIVE" {
		t.Errorf("VPCConnectors = %+v, want the INACTIVE one and the ACTIVE one", got)
	}
}

func TestDeleteVPCConnectorRefusesWhileAServiceUsesIt(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	used := mustAddVPCConnector(t, s, acct, "us-east-1", apprunnerlocal.SeedVPCConnector{Name: "shared-vpc"})
	mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "old-web", VPCConnectorARN: used, Status: "DELETED"})
	paused := mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "paused-web", VPCConnectorName: "shared-vpc", Status: "PAUSED"})

	created, err := client.CreateService(ctx, &apprunner.CreateServiceInput{
		ServiceName: aws.String("web-app"), SourceConfiguration: imageSource(),
		NetworkConfiguration: &types.NetworkConfiguration{EgressConfiguration: &types.EgressConfiguration{EgressType: types.EgressTypeVpc, VpcConnectorArn: aws.String(used)}},
	})
	if err != nil {
		t.Fatalf("CreateService with a VPC connector: %v", err)
	}
	running := aws.ToString(created.Service.ServiceArn)
	if e := created.Service.NetworkConfiguration.EgressConfiguration; e.EgressType != types.EgressTypeVpc || aws.ToString(e.VpcConnectorArn) != used {
		t.Errorf("egress = %+v, want VPC through %s", e, used)
	}
	if st, _ := s.Service(running); st.VPCConnectorARN != used {
		t.Errorf("Service(%s).VPCConnectorARN = %q, want %s", running, st.VPCConnectorARN, used)
	}

	for _, svc := range []string{running, paused} {
		_, err := client.DeleteVpcConnector(ctx, &apprunner.DeleteVpcConnectorInput{VpcConnectorArn: aws.String(used)})
		var invalid *types.InvalidRequestException
		if !errors.As(err, &invalid) || invalid.ErrorMessage() != "Provided VPC connector arn is being used by other services" {
			t.Fatalf("DeleteVpcConnector in use: %v, want InvalidRequestException with App Runner's message", err)
		}
		if _, err := client.DeleteService(ctx, &apprunner.DeleteServiceInput{ServiceArn: aws.String(svc)}); err != nil {
			t.Fatalf("DeleteService: %v", err)
		}
	}
	if _, err := client.DeleteVpcConnector(ctx, &apprunner.DeleteVpcConnectorInput{VpcConnectorArn: aws.String(used)}); err != nil {
		t.Errorf("DeleteVpcConnector once its services are deleted: %v", err)
	}
	if got := s.UnsafeDeletions(); len(got) != 0 {
		t.Errorf("UnsafeDeletions = %v, want none", got)
	}
}

func TestCreateServiceRefusesBadEgress(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	gone := mustAddVPCConnector(t, s, acct, "us-east-1", apprunnerlocal.SeedVPCConnector{Name: "gone-vpc", Status: "INACTIVE"})
	far := mustAddVPCConnector(t, s, acct, "eu-west-1", apprunnerlocal.SeedVPCConnector{Name: "far-vpc"})
	live := mustAddVPCConnector(t, s, acct, "us-east-1", apprunnerlocal.SeedVPCConnector{Name: "live-vpc"})
	for name, egress := range map[string]types.EgressConfiguration{
		"an INACTIVE connector":     {EgressType: types.EgressTypeVpc, VpcConnectorArn: aws.String(gone)},
		"another region's":          {EgressType: types.EgressTypeVpc, VpcConnectorArn: aws.String(far)},
		"VPC without a connector":   {EgressType: types.EgressTypeVpc},
		"a connector with DEFAULT":  {EgressType: types.EgressTypeDefault, VpcConnectorArn: aws.String(live)},
		"a partial connector ARN":   {EgressType: types.EgressTypeVpc, VpcConnectorArn: aws.String("arn:aws:apprunner:us-east-1:123456789012:vpcconnector/live-vpc")},
		"an unknown egress type":    {EgressType: "PRIVATE"},
		"a connector ARN malformed": {EgressType: types.EgressTypeVpc, VpcConnectorArn: aws.String("live-vpc")},
	} {
		_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{
			ServiceName: aws.String("web-app"), SourceConfiguration: imageSource(),
			NetworkConfiguration: &types.NetworkConfiguration{EgressConfiguration: &egress},
		})
		var invalid *types.InvalidRequestException
		if !errors.As(err, &invalid) {
			t.Errorf("CreateService with %s: %v, want InvalidRequestException", name, err)
		}
	}
	if got := s.Services(acct, "us-east-1"); len(got) != 0 {
		t.Errorf("refused creations left services: %+v", got)
	}
}

func TestDisableInUseGuardDeletesEveryKindAndRecords(t *testing.T) {
	ctx := context.Background()
	fixed := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	s, hs := newServer(t, apprunnerlocal.Options{DisableInUseGuard: true, Now: func() time.Time { return fixed }})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	vpc := mustAddVPCConnector(t, s, acct, "us-east-1", apprunnerlocal.SeedVPCConnector{Name: "shared-vpc"})
	as := mustAddAutoScaling(t, s, acct, "us-east-1", apprunnerlocal.SeedAutoScalingConfiguration{Name: "shared-scaling"})
	obs := mustAddObservability(t, s, acct, "us-east-1", apprunnerlocal.SeedObservabilityConfiguration{Name: "shared-tracing"})
	svc := mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "web-one",
		VPCConnectorName: "shared-vpc", AutoScalingConfigurationName: "shared-scaling", ObservabilityConfigurationName: "shared-tracing"})

	if _, err := client.DeleteVpcConnector(ctx, &apprunner.DeleteVpcConnectorInput{VpcConnectorArn: aws.String(vpc)}); err != nil {
		t.Fatalf("DeleteVpcConnector: %v", err)
	}
	if _, err := client.DeleteAutoScalingConfiguration(ctx, &apprunner.DeleteAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(as)}); err != nil {
		t.Fatalf("DeleteAutoScalingConfiguration: %v", err)
	}
	if _, err := client.DeleteObservabilityConfiguration(ctx, &apprunner.DeleteObservabilityConfigurationInput{ObservabilityConfigurationArn: aws.String(obs)}); err != nil {
		t.Fatalf("DeleteObservabilityConfiguration: %v", err)
	}
	var want []apprunnerlocal.UnsafeDeletion
	for _, arn := range []string{vpc, as, obs} {
		want = append(want, apprunnerlocal.UnsafeDeletion{ResourceARN: arn, ServiceARNs: []string{svc}, At: fixed})
	}
	if diff := cmp.Diff(want, s.UnsafeDeletions()); diff != "" {
		t.Errorf("UnsafeDeletions (-want +got):\n%s", diff)
	}
	d, err := client.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(svc)})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Service.AutoScalingConfigurationSummary; got.Status != types.AutoScalingConfigurationStatusInactive || aws.ToString(got.AutoScalingConfigurationArn) != as {
		t.Errorf("summary of a service whose configuration was deleted under it = %+v, want %s INACTIVE", got, as)
	}
}

func TestListVPCConnectorsPages(t *testing.T) {
	ctx := context.Background()
	const n = 45
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	live := 0
	for i := range n {
		status := "ACTIVE"
		if i%4 == 0 {
			status = "INACTIVE"
		} else {
			live++
		}
		mustAddVPCConnector(t, s, acct, "us-east-1", apprunnerlocal.SeedVPCConnector{
			Name: fmt.Sprintf("vpc-%03d", i), Status: status, CreatedAt: base.Add(time.Duration((i*17)%n) * time.Hour)})
	}
	for _, size := range []int32{0, 1, 7, 100} {
		in := &apprunner.ListVpcConnectorsInput{}
		if size > 0 {
			in.MaxResults = aws.Int32(size)
		}
		var last time.Time
		seen := map[string]bool{}
		p := apprunner.NewListVpcConnectorsPaginator(client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListVpcConnectors: %v", err)
			}
			for _, vc := range page.VpcConnectors {
				if vc.Status != types.VpcConnectorStatusActive || aws.ToTime(vc.CreatedAt).Before(last) || seen[aws.ToString(vc.VpcConnectorArn)] {
					t.Errorf("page %d: %s %s listed out of order, twice or INACTIVE", size, aws.ToString(vc.VpcConnectorName), vc.Status)
				}
				last = aws.ToTime(vc.CreatedAt)
				seen[aws.ToString(vc.VpcConnectorArn)] = true
			}
		}
		if len(seen) != live {
			t.Errorf("page size %d: listed %d, want %d", size, len(seen), live)
		}
	}
}

func TestVPCConnectorInputIsValidated(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	other := newClient(t, hs.URL, "AKID", "eu-west-1")
	for _, name := range []string{"vpc-one", "vpc-two"} {
		mustAddVPCConnector(t, s, acct, "us-east-1", apprunnerlocal.SeedVPCConnector{Name: name})
		mustAddVPCConnector(t, s, acct, "eu-west-1", apprunnerlocal.SeedVPCConnector{Name: name})
	}
	page, err := client.ListVpcConnectors(ctx, &apprunner.ListVpcConnectorsInput{MaxResults: aws.Int32(1)})
	if err != nil || page.NextToken == nil {
		t.Fatalf("ListVpcConnectors = %v, %v; want a page and a NextToken", page, err)
	}
	for name, call := range map[string]func() error{
		"a name of 3": func() error {
			_, err := client.CreateVpcConnector(ctx, &apprunner.CreateVpcConnectorInput{VpcConnectorName: aws.String("vpc"), Subnets: []string{"s"}})
			return err
		},
		"a name of 41": func() error {
			_, err := client.CreateVpcConnector(ctx, &apprunner.CreateVpcConnectorInput{VpcConnectorName: aws.String(strings.Repeat("v", 41)), Subnets: []string{"s"}})
			return err
		},
		"a name starting with -": func() error {
			_, err := client.CreateVpcConnector(ctx, &apprunner.CreateVpcConnectorInput{VpcConnectorName: aws.String("-vpc-one"), Subnets: []string{"s"}})
			return err
		},
		"no subnets": func() error {
			_, err := client.CreateVpcConnector(ctx, &apprunner.CreateVpcConnectorInput{VpcConnectorName: aws.String("vpc-one"), Subnets: []string{}})
			return err
		},
		"MaxResults 101": func() error {
			_, err := client.ListVpcConnectors(ctx, &apprunner.ListVpcConnectorsInput{MaxResults: aws.Int32(101)})
			return err
		},
		"a token of another region": func() error {
			_, err := other.ListVpcConnectors(ctx, &apprunner.ListVpcConnectorsInput{NextToken: page.NextToken})
			return err
		},
		"a token not issued here": func() error {
			_, err := client.ListVpcConnectors(ctx, &apprunner.ListVpcConnectorsInput{NextToken: aws.String("bm90IGEgdG9rZW4")})
			return err
		},
		"a second connector of a live name": func() error {
			_, err := client.CreateVpcConnector(ctx, &apprunner.CreateVpcConnectorInput{VpcConnectorName: aws.String("vpc-two"), Subnets: []string{"s"}})
			return err
		},
	} {
		var invalid *types.InvalidRequestException
		if err := call(); !errors.As(err, &invalid) {
			t.Errorf("%s: %v, want InvalidRequestException", name, err)
		}
	}
}
