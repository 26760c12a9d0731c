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

const resourcesSeed = `{"accounts": {"123456789012": {"us-east-1": {
	"vpcConnectors": [
		{"name": "private-egress", "id": "0123456789abcdef0123456789abcdef", "createdAt": "2025-01-01T00:00:00Z",
		 "subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"], "tags": {"team": "web"}},
		{"name": "old-egress", "status": "INACTIVE", "createdAgo": "720h"}],
	"autoScalingConfigurations": [
		{"name": "web-scaling", "id": "11111111111111111111111111111111", "createdAt": "2025-01-02T00:00:00Z", "maxSize": 5},
		{"name": "web-scaling", "id": "22222222222222222222222222222222", "createdAt": "2025-01-03T00:00:00Z", "minSize": 2, "isDefault": true},
		{"name": "DefaultConfiguration", "id": "33333333333333333333333333333333", "createdAt": "2025-01-04T00:00:00Z"}],
	"observabilityConfigurations": [
		{"name": "xray-tracing", "id": "44444444444444444444444444444444", "revision": 3, "traceVendor": "AWSXRAY", "createdAt": "2025-01-05T00:00:00Z"}],
	"services": [
		{"name": "web-app", "id": "55555555555555555555555555555555", "createdAt": "2025-01-06T00:00:00Z", "vpcConnectorName": "private-egress",
		 "autoScalingConfigurationName": "web-scaling", "autoScalingConfigurationRevision": 1, "observabilityConfigurationName": "xray-tracing"},
		{"name": "plain-app", "id": "66666666666666666666666666666666", "createdAt": "2025-01-07T00:00:00Z"}]}}}}`

func TestSeedingVPCConnectorsAndConfigurations(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	s, hs := newServer(t, apprunnerlocal.Options{Now: func() time.Time { return now }})
	seed, err := apprunnerlocal.ParseSeed([]byte(resourcesSeed))
	if err != nil {
		t.Fatalf("ParseSeed: %v", err)
	}
	if err := s.Load(seed); err != nil {
		t.Fatalf("Load: %v", err)
	}
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	const (
		vpc  = "arn:aws:apprunner:us-east-1:123456789012:vpcconnector/private-egress/1/0123456789abcdef0123456789abcdef"
		as1  = "arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/web-scaling/1/11111111111111111111111111111111"
		as2  = "arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/web-scaling/2/22222222222222222222222222222222"
		def2 = "arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/DefaultConfiguration/2/33333333333333333333333333333333"
		obs  = "arn:aws:apprunner:us-east-1:123456789012:observabilityconfiguration/xray-tracing/3/44444444444444444444444444444444"
		web  = "arn:aws:apprunner:us-east-1:123456789012:service/web-app/55555555555555555555555555555555"
	)
	st, _ := s.Service(web)
	if st.VPCConnectorARN != vpc || st.AutoScalingConfigurationARN != as1 || st.ObservabilityConfigurationARN != obs {
		t.Errorf("web-app = %+v, want %s, %s, %s", st, vpc, as1, obs)
	}
	if st, _ := s.Service("arn:aws:apprunner:us-east-1:123456789012:service/plain-app/66666666666666666666666666666666"); st.AutoScalingConfigurationARN != builtinAS || st.VPCConnectorARN != "" || st.ObservabilityConfigurationARN != "" {
		t.Errorf("plain-app = %+v, want App Runner's DefaultConfiguration and nothing else", st)
	}
	want := []apprunnerlocal.ResourceState{
		{ARN: builtinAS, Name: "DefaultConfiguration", ID: "00000000000000000000000000000001", Account: acct, Region: "us-east-1", Revision: 1, Status: "ACTIVE",
			CreatedAt: time.Date(2021, 5, 18, 0, 0, 0, 0, time.UTC), Tags: map[string]string{}},
		{ARN: as1, Name: "web-scaling", ID: "11111111111111111111111111111111", Account: acct, Region: "us-east-1", Revision: 1, Status: "ACTIVE",
			CreatedAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), Tags: map[string]string{}},
		{ARN: as2, Name: "web-scaling", ID: "22222222222222222222222222222222", Account: acct, Region: "us-east-1", Revision: 2, Status: "ACTIVE",
			CreatedAt: time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC), Tags: map[string]string{}, IsDefault: true},
		{ARN: def2, Name: "DefaultConfiguration", ID: "33333333333333333333333333333333", Account: acct, Region: "us-east-1", Revision: 2, Status: "ACTIVE",
			CreatedAt: time.Date(2025, 1, 4, 0, 0, 0, 0, time.UTC), Tags: map[string]string{}},
	}
	if diff := cmp.Diff(want, s.AutoScalingConfigurations(acct, "us-east-1")); diff != "" {
		t.Errorf("AutoScalingConfigurations (-want +got):\n%s", diff)
	}
	vpcs := s.VPCConnectors(acct, "us-east-1")
	if len(vpcs) != 2 || vpcs[1].Name != "old-egress" || vpcs[1].Status != "INACTIVE" || !vpcs[1].CreatedAt.Equal(now.Add(-720*time.Hour)) || !vpcs[1].DeletedAt.Equal(now) {
		t.Errorf("VPCConnectors = %+v, want old-egress second, INACTIVE, created 30 days ago", vpcs)
	}

	d, err := client.DescribeVpcConnector(ctx, &apprunner.DescribeVpcConnectorInput{VpcConnectorArn: aws.String(vpc)})
	if err != nil || !cmp.Equal(d.VpcConnector.Subnets, []string{"subnet-1", "subnet-2"}) || !cmp.Equal(d.VpcConnector.SecurityGroups, []string{"sg-1"}) {
		t.Errorf("DescribeVpcConnector = %+v, %v; want the seeded subnets and security group", d, err)
	}
	a, err := client.DescribeAutoScalingConfiguration(ctx, &apprunner.DescribeAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(as2)})
	if c := a.AutoScalingConfiguration; err != nil || aws.ToInt32(c.MinSize) != 2 || aws.ToInt32(c.MaxSize) != 25 || !aws.ToBool(c.IsDefault) || aws.ToBool(c.HasAssociatedService) {
		t.Errorf("DescribeAutoScalingConfiguration(%s) = %+v, %v; want min 2, max 25, default, unused", as2, a, err)
	}
	o, err := client.DescribeObservabilityConfiguration(ctx, &apprunner.DescribeObservabilityConfigurationInput{ObservabilityConfigurationArn: aws.String(obs)})
	if c := o.ObservabilityConfiguration; err != nil || c.TraceConfiguration == nil || c.TraceConfiguration.Vendor != types.TracingVendorAwsxray || c.ObservabilityConfigurationRevision != 3 {
		t.Errorf("DescribeObservabilityConfiguration = %+v, %v; want X-Ray tracing, revision 3", o, err)
	}
	ds, err := client.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(web)})
	if err != nil {
		t.Fatal(err)
	}
	if e := ds.Service.NetworkConfiguration.EgressConfiguration; e.EgressType != types.EgressTypeVpc || aws.ToString(e.VpcConnectorArn) != vpc {
		t.Errorf("egress = %+v, want VPC through %s", e, vpc)
	}
	if sum := ds.Service.AutoScalingConfigurationSummary; aws.ToString(sum.AutoScalingConfigurationArn) != as1 || sum.AutoScalingConfigurationRevision != 1 || aws.ToBool(sum.IsDefault) {
		t.Errorf("summary = %+v, want %s, not default", sum, as1)
	}

	// A new service gets the seeded default.
	created, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("new-app"), SourceConfiguration: imageSource()})
	if err != nil || aws.ToString(created.Service.AutoScalingConfigurationSummary.AutoScalingConfigurationArn) != as2 {
		t.Errorf("a new service's configuration = %+v, %v; want the default %s", created, err, as2)
	}
}

func TestSeedsOfTheNewKindsAreChecked(t *testing.T) {
	parse := []struct{ name, region string }{
		{"unknown VPC connector field", `{"vpcConnectors":[{"name":"vpc-one","subnet":"s"}]}`},
		{"VPC connector name of 41", `{"vpcConnectors":[{"name":"` + strings.Repeat("v", 41) + `"}]}`},
		{"VPC connector status", `{"vpcConnectors":[{"name":"vpc-one","status":"DELETED"}]}`},
		{"auto scaling name of 33", `{"autoScalingConfigurations":[{"name":"` + strings.Repeat("a", 33) + `"}]}`},
		{"auto scaling min above max", `{"autoScalingConfigurations":[{"name":"web-scaling","minSize":5,"maxSize":3}]}`},
		{"auto scaling concurrency", `{"autoScalingConfigurations":[{"name":"web-scaling","maxConcurrency":201}]}`},
		{"an INACTIVE default", `{"autoScalingConfigurations":[{"name":"web-scaling","status":"INACTIVE","isDefault":true}]}`},
		{"negative revision", `{"autoScalingConfigurations":[{"name":"web-scaling","revision":-1}]}`},
		{"bad createdAgo", `{"observabilityConfigurations":[{"name":"xray-tracing","createdAgo":"soon"}]}`},
		{"reserved observability name", `{"observabilityConfigurations":[{"name":"DefaultConfiguration"}]}`},
		{"trace vendor", `{"observabilityConfigurations":[{"name":"xray-tracing","traceVendor":"OTEL"}]}`},
		{"name and ARN", `{"services":[{"name":"web-app","vpcConnectorName":"vpc-one","vpcConnectorArn":"arn:aws:apprunner:us-east-1:123456789012:vpcconnector/vpc-one/1/0123456789abcdef0123456789abcdef"}]}`},
		{"revision without a name", `{"services":[{"name":"web-app","autoScalingConfigurationRevision":2}]}`},
	}
	for _, tt := range parse {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := apprunnerlocal.ParseSeed([]byte(`{"accounts":{"123456789012":{"us-east-1":` + tt.region + `}}}`)); err == nil {
				t.Errorf("ParseSeed(%s) succeeded, want an error", tt.region)
			}
		})
	}

	load := []struct{ name, region string }{
		{"an unknown VPC connector", `{"services":[{"name":"web-app","vpcConnectorName":"absent-vpc"}]}`},
		{"an INACTIVE VPC connector by name", `{"vpcConnectors":[{"name":"old-vpc","status":"INACTIVE"}],"services":[{"name":"web-app","vpcConnectorName":"old-vpc"}]}`},
		{"an unknown revision", `{"autoScalingConfigurations":[{"name":"web-scaling"}],"services":[{"name":"web-app","autoScalingConfigurationName":"web-scaling","autoScalingConfigurationRevision":2}]}`},
		{"an unknown observability ARN", `{"services":[{"name":"web-app","observabilityConfigurationArn":"arn:aws:apprunner:us-east-1:123456789012:observabilityconfiguration/x-ray/1/0123456789abcdef0123456789abcdef"}]}`},
		{"another region's ARN", `{"services":[{"name":"web-app","autoScalingConfigurationArn":"` + strings.Replace(builtinAS, "us-east-1", "eu-west-1", 1) + `"}]}`},
		{"two live VPC connectors of a name", `{"vpcConnectors":[{"name":"vpc-one"},{"name":"vpc-one"}]}`},
		{"a second ACTIVE revision 1", `{"autoScalingConfigurations":[{"name":"web-scaling","revision":1},{"name":"web-scaling","revision":1}]}`},
		{"a second DefaultConfiguration revision 1", `{"autoScalingConfigurations":[{"name":"DefaultConfiguration","revision":1}]}`},
		{"two defaults", `{"autoScalingConfigurations":[{"name":"web-scaling","isDefault":true},{"name":"cost-scaling","isDefault":true}]}`},
		{"a repeated ID", `{"observabilityConfigurations":[{"name":"xray-tracing","revision":1,"id":"44444444444444444444444444444444","status":"INACTIVE"},{"name":"xray-tracing","revision":1,"id":"44444444444444444444444444444444","status":"INACTIVE"}]}`},
	}
	for _, tt := range load {
		t.Run(tt.name, func(t *testing.T) {
			s := apprunnerlocal.New(apprunnerlocal.Options{})
			seed, err := apprunnerlocal.ParseSeed([]byte(`{"accounts":{"123456789012":{"us-east-1":` + tt.region + `}}}`))
			if err != nil {
				t.Fatalf("ParseSeed: %v", err)
			}
			if err := s.Load(seed); err == nil {
				t.Errorf("Load(%s) succeeded, want an error", tt.region)
			}
			if got := len(s.VPCConnectors(acct, "us-east-1")) + len(s.ObservabilityConfigurations(acct, "us-east-1")) + len(s.Services(acct, "us-east-1")); got != 0 {
				t.Errorf("a failed Load left %d resources", got)
			}
			if got := s.AutoScalingConfigurations(acct, "us-east-1"); len(got) != 1 || !got[0].IsDefault {
				t.Errorf("a failed Load left auto scaling configurations %+v, want DefaultConfiguration alone and default", got)
			}
		})
	}
	if _, err := apprunnerlocal.New(apprunnerlocal.Options{}).AddAutoScalingConfiguration(acct, "us-east-1", apprunnerlocal.SeedAutoScalingConfiguration{Name: "x"}); err == nil {
		t.Error("AddAutoScalingConfiguration with a bad name succeeded")
	}
}

func TestDemoHasLeftoversOfEveryKind(t *testing.T) {
	s := apprunnerlocal.New(apprunnerlocal.Options{})
	if err := s.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatalf("Load(demo): %v", err)
	}
	users := map[string][]string{}
	for _, sv := range s.Services(acct, "us-east-1") {
		for _, arn := range []string{sv.VPCConnectorARN, sv.AutoScalingConfigurationARN, sv.ObservabilityConfigurationARN} {
			users[arn] = append(users[arn], sv.Name+" "+sv.Status)
		}
		if sv.VPCConnectorARN != "" && sv.ConnectionARN != "" {
			t.Errorf("%s uses a VPC connector and a connection: the demo's connections keep their users", sv.Name)
		}
	}
	describe := func(states []apprunnerlocal.ResourceState) []string {
		var out []string
		for _, st := range states {
			line := fmt.Sprintf("%s/%d %v", st.Name, st.Revision, users[st.ARN])
			if st.IsDefault {
				line += " default"
			}
			out = append(out, line)
		}
		return out
	}
	for kind, tt := range map[string]struct {
		got, want []string
	}{
		"VPC connectors": {describe(s.VPCConnectors(acct, "us-east-1")),
			[]string{"legacy-batch-vpc/1 []", "storefront-vpc/1 [catalog-api RUNNING]", "reporting-vpc/1 [reports-worker PAUSED]"}},
		"auto scaling": {describe(s.AutoScalingConfigurations(acct, "us-east-1")),
			[]string{"DefaultConfiguration/1 [storefront RUNNING billing-api PAUSED static-site RUNNING reports-worker PAUSED]", "burst-scaling/1 []",
				"storefront-scaling/1 []", "storefront-scaling/2 [catalog-api RUNNING]", "standard-scaling/1 [] default"}},
		"observability": {describe(s.ObservabilityConfigurations(acct, "us-east-1")),
			[]string{"legacy-xray/1 []", "storefront-tracing/1 [catalog-api RUNNING]", "canary-tracing/1 []"}},
	} {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("demo %s (-want +got):\n%s", kind, diff)
		}
	}
	if got := s.VPCConnectors("210987654321", "eu-west-1"); len(got) != 1 || got[0].Name != "legacy-api-vpc" {
		t.Errorf("other account's VPC connectors = %+v, want legacy-api-vpc", got)
	}
}

func TestTaggingTheNewKinds(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	for _, arn := range []string{
		mustAddVPCConnector(t, s, acct, "us-east-1", apprunnerlocal.SeedVPCConnector{Name: "tagged-vpc", Tags: map[string]string{"team": "web"}}),
		mustAddAutoScaling(t, s, acct, "us-east-1", apprunnerlocal.SeedAutoScalingConfiguration{Name: "tagged-scaling", Tags: map[string]string{"team": "web"}}),
		mustAddObservability(t, s, acct, "us-east-1", apprunnerlocal.SeedObservabilityConfiguration{Name: "tagged-tracing", Tags: map[string]string{"team": "web"}}),
	} {
		if _, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{tag("mark", "1")}}); err != nil {
			t.Fatalf("TagResource(%s): %v", arn, err)
		}
		if _, err := client.UntagResource(ctx, &apprunner.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
			t.Fatalf("UntagResource(%s): %v", arn, err)
		}
		out, err := client.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil || !cmp.Equal(tagMap(out.Tags), map[string]string{"mark": "1"}) {
			t.Errorf("tags of %s = %v, %v; want mark=1", arn, out, err)
		}
		var many []types.Tag
		for i := range 50 {
			many = append(many, tag(fmt.Sprintf("k%02d", i), "v"))
		}
		var invalid *types.InvalidRequestException
		if _, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: aws.String(arn), Tags: many}); !errors.As(err, &invalid) {
			t.Errorf("a 51st tag on %s: %v, want InvalidRequestException", arn, err)
		}
		var notFound *types.ResourceNotFoundException
		other := strings.Replace(arn, "us-east-1", "eu-west-1", 1)
		if _, err := client.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: aws.String(other)}); !errors.As(err, &notFound) {
			t.Errorf("tags of %s: %v, want ResourceNotFoundException", other, err)
		}
	}
}

func TestUpdateServiceMovesAServiceToAnotherVPCConnector(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	oldVPC := mustAddVPCConnector(t, s, acct, "us-east-1", apprunnerlocal.SeedVPCConnector{Name: "old-vpc"})
	newVPC := mustAddVPCConnector(t, s, acct, "us-east-1", apprunnerlocal.SeedVPCConnector{Name: "new-vpc"})
	svc := mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "web-app", VPCConnectorARN: oldVPC})

	var invalid *types.InvalidRequestException
	if _, err := client.UpdateService(ctx, &apprunner.UpdateServiceInput{ServiceArn: aws.String(svc), NetworkConfiguration: &types.NetworkConfiguration{
		EgressConfiguration: &types.EgressConfiguration{EgressType: types.EgressTypeVpc, VpcConnectorArn: aws.String(strings.Replace(newVPC, "new-vpc", "nil-vpc", 1))}}}); !errors.As(err, &invalid) {
		t.Errorf("UpdateService to an unknown connector: %v, want InvalidRequestException", err)
	}
	if st, _ := s.Service(svc); st.VPCConnectorARN != oldVPC {
		t.Errorf("a refused update changed the connector to %s", st.VPCConnectorARN)
	}
	out, err := client.UpdateService(ctx, &apprunner.UpdateServiceInput{ServiceArn: aws.String(svc), NetworkConfiguration: &types.NetworkConfiguration{
		EgressConfiguration: &types.EgressConfiguration{EgressType: types.EgressTypeVpc, VpcConnectorArn: aws.String(newVPC)}}})
	if err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	if n := out.Service.NetworkConfiguration; aws.ToString(n.EgressConfiguration.VpcConnectorArn) != newVPC || n.IngressConfiguration == nil || !n.IngressConfiguration.IsPubliclyAccessible {
		t.Errorf("network after update = %+v, want the new connector and the ingress kept", n)
	}
	if _, err := client.DeleteVpcConnector(ctx, &apprunner.DeleteVpcConnectorInput{VpcConnectorArn: aws.String(oldVPC)}); err != nil {
		t.Errorf("DeleteVpcConnector of the connector left: %v", err)
	}
	if _, err := client.DeleteVpcConnector(ctx, &apprunner.DeleteVpcConnectorInput{VpcConnectorArn: aws.String(newVPC)}); !errors.As(err, &invalid) {
		t.Errorf("DeleteVpcConnector of the connector now used: %v, want InvalidRequestException", err)
	}
	if _, err := client.UpdateService(ctx, &apprunner.UpdateServiceInput{ServiceArn: aws.String(svc), NetworkConfiguration: &types.NetworkConfiguration{
		EgressConfiguration: &types.EgressConfiguration{EgressType: types.EgressTypeDefault}}}); err != nil {
		t.Fatalf("UpdateService to DEFAULT egress: %v", err)
	}
	if _, err := client.DeleteVpcConnector(ctx, &apprunner.DeleteVpcConnectorInput{VpcConnectorArn: aws.String(newVPC)}); err != nil {
		t.Errorf("DeleteVpcConnector once the service left it: %v", err)
	}
}

// BenchmarkSeedingEveryKind seeds 3,000 services and 300 resources of each
// kind, most services using one of each, through the Go helpers.
func BenchmarkSeedingEveryKind(b *testing.B) {
	for b.Loop() {
		s := apprunnerlocal.New(apprunnerlocal.Options{})
		for i := range 300 {
			if _, err := s.AddVPCConnector(acct, "us-east-1", apprunnerlocal.SeedVPCConnector{Name: fmt.Sprintf("vpc-%03d", i)}); err != nil {
				b.Fatal(err)
			}
			if _, err := s.AddAutoScalingConfiguration(acct, "us-east-1", apprunnerlocal.SeedAutoScalingConfiguration{Name: fmt.Sprintf("scaling-%03d", i%100)}); err != nil {
				b.Fatal(err)
			}
			if _, err := s.AddObservabilityConfiguration(acct, "us-east-1", apprunnerlocal.SeedObservabilityConfiguration{Name: fmt.Sprintf("tracing-%03d", i)}); err != nil {
				b.Fatal(err)
			}
		}
		for i := range 3000 {
			if _, err := s.AddService(acct, "us-east-1", apprunnerlocal.SeedService{Name: fmt.Sprintf("svc-%04d", i),
				VPCConnectorName: fmt.Sprintf("vpc-%03d", i%300), AutoScalingConfigurationName: fmt.Sprintf("scaling-%03d", i%100),
				ObservabilityConfigurationName: fmt.Sprintf("tracing-%03d", i%300)}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
