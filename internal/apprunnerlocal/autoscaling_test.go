package apprunnerlocal_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

const builtinAS = "arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/DefaultConfiguration/1/00000000000000000000000000000001"

// listAutoScaling pages through ListAutoScalingConfigurations and
// returns NAME/REVISION of each item.
func listAutoScaling(t *testing.T, client *apprunner.Client, in *apprunner.ListAutoScalingConfigurationsInput) []string {
	t.Helper()
	var out []string
	p := apprunner.NewListAutoScalingConfigurationsPaginator(client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListAutoScalingConfigurations: %v", err)
		}
		for _, c := range page.AutoScalingConfigurationSummaryList {
			out = append(out, fmt.Sprintf("%s/%d", aws.ToString(c.AutoScalingConfigurationName), c.AutoScalingConfigurationRevision))
		}
	}
	return out
}

// listRevisionsRaw pages through a configuration list in the raw
// protocol, so that LatestOnly can be false, and returns NAME/REVISION of
// each item.
func listRevisionsRaw(t *testing.T, url, op, body string) []string {
	t.Helper()
	var in map[string]any
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		req, _ := json.Marshal(in)
		status, _, resp := post(t, url, "AppRunner."+op, string(req), true)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", op, status, resp)
		}
		var page map[string]json.RawMessage
		var items []map[string]any
		if err := json.Unmarshal([]byte(resp), &page); err != nil {
			t.Fatal(err)
		}
		for key, raw := range page {
			if strings.HasSuffix(key, "SummaryList") {
				if err := json.Unmarshal(raw, &items); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, it := range items {
			var name string
			var rev float64
			for k, v := range it {
				switch {
				case strings.HasSuffix(k, "ConfigurationName"):
					name = v.(string)
				case strings.HasSuffix(k, "ConfigurationRevision"):
					rev = v.(float64)
				}
			}
			out = append(out, fmt.Sprintf("%s/%d", name, int(rev)))
		}
		next, ok := page["NextToken"]
		if !ok {
			return out
		}
		var token string
		_ = json.Unmarshal(next, &token)
		in["NextToken"] = token
	}
}

func TestEveryScopeHasAppRunnersDefaultConfiguration(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	list, err := client.ListAutoScalingConfigurations(ctx, &apprunner.ListAutoScalingConfigurationsInput{})
	if err != nil {
		t.Fatalf("ListAutoScalingConfigurations: %v", err)
	}
	if len(list.AutoScalingConfigurationSummaryList) != 1 {
		t.Fatalf("a fresh scope lists %+v, want DefaultConfiguration alone", list.AutoScalingConfigurationSummaryList)
	}
	got := list.AutoScalingConfigurationSummaryList[0]
	if aws.ToString(got.AutoScalingConfigurationArn) != builtinAS || !aws.ToBool(got.IsDefault) || aws.ToBool(got.HasAssociatedService) ||
		got.Status != types.AutoScalingConfigurationStatusActive || got.AutoScalingConfigurationRevision != 1 {
		t.Errorf("DefaultConfiguration = %+v, want %s, default, ACTIVE, unused", got, builtinAS)
	}
	d, err := client.DescribeAutoScalingConfiguration(ctx, &apprunner.DescribeAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(builtinAS)})
	if err != nil {
		t.Fatalf("DescribeAutoScalingConfiguration: %v", err)
	}
	if c := d.AutoScalingConfiguration; aws.ToInt32(c.MaxConcurrency) != 100 || aws.ToInt32(c.MinSize) != 1 || aws.ToInt32(c.MaxSize) != 25 || !aws.ToBool(c.Latest) {
		t.Errorf("DefaultConfiguration = %+v, want 100/1/25, latest", c)
	}

	svc := mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "web-app"})
	ds, err := client.DescribeService(ctx, &apprunner.DescribeServiceInput{ServiceArn: aws.String(svc)})
	if err != nil {
		t.Fatal(err)
	}
	if sum := ds.Service.AutoScalingConfigurationSummary; aws.ToString(sum.AutoScalingConfigurationArn) != builtinAS || !aws.ToBool(sum.HasAssociatedService) || !aws.ToBool(sum.IsDefault) {
		t.Errorf("service's summary = %+v, want DefaultConfiguration, used, default", sum)
	}
	for name, arn := range map[string]string{"itself": builtinAS, "by its name": "arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/DefaultConfiguration"} {
		_, err := client.DeleteAutoScalingConfiguration(ctx, &apprunner.DeleteAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(arn), DeleteAllRevisions: true})
		var invalid *types.InvalidRequestException
		if !errors.As(err, &invalid) {
			t.Errorf("deleting DefaultConfiguration %s: %v, want InvalidRequestException", name, err)
		}
	}
	if got := s.AutoScalingConfigurations(acct, "eu-west-1"); len(got) != 1 || got[0].Name != "DefaultConfiguration" || !got[0].IsDefault {
		t.Errorf("AutoScalingConfigurations of an untouched region = %+v, want DefaultConfiguration", got)
	}
}

func TestAutoScalingRevisionsListDescribeDelete(t *testing.T) {
	ctx := context.Background()
	fixed := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s, hs := newServer(t, apprunnerlocal.Options{Now: func() time.Time { return fixed }})
	client := newClient(t, hs.URL, "AKID", "us-east-1")

	var arns []string
	for i, size := range []int32{5, 10, 20} {
		out, err := client.CreateAutoScalingConfiguration(ctx, &apprunner.CreateAutoScalingConfigurationInput{
			AutoScalingConfigurationName: aws.String("high-availability"), MaxSize: aws.Int32(size), MinSize: aws.Int32(3),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
		})
		if err != nil {
			t.Fatalf("CreateAutoScalingConfiguration: %v", err)
		}
		c := out.AutoScalingConfiguration
		prefix := fmt.Sprintf("arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/high-availability/%d/", i+1)
		if arn := aws.ToString(c.AutoScalingConfigurationArn); !strings.HasPrefix(arn, prefix) || len(arn) != len(prefix)+32 {
			t.Errorf("ARN = %s, want %s<32 hex>", arn, prefix)
		}
		if aws.ToInt32(c.MaxConcurrency) != 100 || aws.ToInt32(c.MinSize) != 3 || aws.ToInt32(c.MaxSize) != size || !aws.ToBool(c.Latest) || aws.ToBool(c.IsDefault) {
			t.Errorf("created = %+v, want 100/3/%d, latest, not default", c, size)
		}
		arns = append(arns, aws.ToString(c.AutoScalingConfigurationArn))
	}
	if _, err := client.CreateAutoScalingConfiguration(ctx, &apprunner.CreateAutoScalingConfigurationInput{AutoScalingConfigurationName: aws.String("cost-saver")}); err != nil {
		t.Fatal(err)
	}

	for name, tt := range map[string]struct {
		in   apprunner.ListAutoScalingConfigurationsInput
		want []string
	}{
		"latest by default":   {apprunner.ListAutoScalingConfigurationsInput{MaxResults: aws.Int32(1)}, []string{"DefaultConfiguration/1", "cost-saver/1", "high-availability/3"}},
		"one name, latest":    {apprunner.ListAutoScalingConfigurationsInput{AutoScalingConfigurationName: aws.String("high-availability"), LatestOnly: true}, []string{"high-availability/3"}},
		"a name of no config": {apprunner.ListAutoScalingConfigurationsInput{AutoScalingConfigurationName: aws.String("absent")}, nil},
	} {
		if diff := cmp.Diff(tt.want, listAutoScaling(t, client, &tt.in)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	// The SDK sends LatestOnly only when it is true, so every revision
	// takes a request of its own.
	for name, tt := range map[string]struct {
		body string
		want []string
	}{
		"every revision": {`{"LatestOnly": false, "MaxResults": 2}`, []string{"DefaultConfiguration/1", "cost-saver/1", "high-availability/1", "high-availability/2", "high-availability/3"}},
		"one name":       {`{"LatestOnly": false, "MaxResults": 1, "AutoScalingConfigurationName": "high-availability"}`, []string{"high-availability/1", "high-availability/2", "high-availability/3"}},
	} {
		if diff := cmp.Diff(tt.want, listRevisionsRaw(t, hs.URL, "ListAutoScalingConfigurations", tt.body)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}

	partial := "arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/high-availability"
	for arn, want := range map[string]string{partial: arns[2], partial + "/2": arns[1], arns[0]: arns[0]} {
		d, err := client.DescribeAutoScalingConfiguration(ctx, &apprunner.DescribeAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(arn)})
		if err != nil || aws.ToString(d.AutoScalingConfiguration.AutoScalingConfigurationArn) != want {
			t.Errorf("DescribeAutoScalingConfiguration(%s) = %v, %v; want %s", arn, d, err, want)
		}
	}

	del, err := client.DeleteAutoScalingConfiguration(ctx, &apprunner.DeleteAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(partial)})
	if err != nil {
		t.Fatalf("DeleteAutoScalingConfiguration(latest by name): %v", err)
	}
	if c := del.AutoScalingConfiguration; aws.ToString(c.AutoScalingConfigurationArn) != arns[2] || c.Status != types.AutoScalingConfigurationStatusInactive ||
		!aws.ToTime(c.DeletedAt).Equal(fixed) || aws.ToBool(c.Latest) {
		t.Errorf("deleted = %+v, want revision 3 INACTIVE at %v, not latest", c, fixed)
	}
	d, err := client.DescribeAutoScalingConfiguration(ctx, &apprunner.DescribeAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(arns[1])})
	if err != nil || !aws.ToBool(d.AutoScalingConfiguration.Latest) {
		t.Errorf("revision 2 after revision 3 is deleted = %+v, %v; want latest", d, err)
	}
	var notFound *types.ResourceNotFoundException
	if _, err := client.DeleteAutoScalingConfiguration(ctx, &apprunner.DeleteAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(arns[2])}); !errors.As(err, &notFound) {
		t.Errorf("deleting a deleted revision: %v, want ResourceNotFoundException", err)
	}
	if _, err := client.TagResource(ctx, &apprunner.TagResourceInput{ResourceArn: aws.String(arns[2]), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); !errors.As(err, &notFound) {
		t.Errorf("tagging a deleted revision: %v, want ResourceNotFoundException", err)
	}
	out, err := client.CreateAutoScalingConfiguration(ctx, &apprunner.CreateAutoScalingConfigurationInput{AutoScalingConfigurationName: aws.String("high-availability")})
	if err != nil || aws.ToInt32(out.AutoScalingConfiguration.AutoScalingConfigurationRevision) != 4 {
		t.Errorf("a revision after a deleted one = %+v, %v; want revision 4", out, err)
	}

	all, err := client.DeleteAutoScalingConfiguration(ctx, &apprunner.DeleteAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(arns[0]), DeleteAllRevisions: true})
	if err != nil || aws.ToString(all.AutoScalingConfiguration.AutoScalingConfigurationArn) != arns[0] {
		t.Fatalf("DeleteAllRevisions = %+v, %v; want revision 1 back", all, err)
	}
	var states []string
	for _, st := range s.AutoScalingConfigurations(acct, "us-east-1") {
		states = append(states, fmt.Sprintf("%s/%d %s", st.Name, st.Revision, st.Status))
	}
	// One instant for all: sorted by ARN after creation time.
	want := []string{"DefaultConfiguration/1 ACTIVE", "cost-saver/1 ACTIVE", "high-availability/1 INACTIVE", "high-availability/2 INACTIVE", "high-availability/3 INACTIVE", "high-availability/4 INACTIVE"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("after DeleteAllRevisions (-want +got):\n%s", diff)
	}
}

func TestAutoScalingInUseAndDefault(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	rev1 := mustAddAutoScaling(t, s, acct, "us-east-1", apprunnerlocal.SeedAutoScalingConfiguration{Name: "web-scaling"})
	rev2 := mustAddAutoScaling(t, s, acct, "us-east-1", apprunnerlocal.SeedAutoScalingConfiguration{Name: "web-scaling", MaxSize: 10})
	users := []string{
		mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "web-one", AutoScalingConfigurationName: "web-scaling"}),
		mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "web-two", AutoScalingConfigurationARN: rev2, Status: "PAUSED"}),
	}
	created, err := client.CreateService(ctx, &apprunner.CreateServiceInput{
		ServiceName: aws.String("web-three"), SourceConfiguration: imageSource(),
		AutoScalingConfigurationArn: aws.String("arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/web-scaling/2"),
	})
	if err != nil {
		t.Fatalf("CreateService with a partial auto scaling ARN: %v", err)
	}
	sum := created.Service.AutoScalingConfigurationSummary
	if aws.ToString(sum.AutoScalingConfigurationArn) != rev2 || sum.AutoScalingConfigurationRevision != 2 || !aws.ToBool(sum.HasAssociatedService) || aws.ToBool(sum.IsDefault) {
		t.Errorf("summary = %+v, want %s revision 2, used, not default", sum, rev2)
	}
	users = append(users, aws.ToString(created.Service.ServiceArn))
	mustAddService(t, s, acct, "us-east-1", apprunnerlocal.SeedService{Name: "web-gone", AutoScalingConfigurationARN: rev2, Status: "DELETED"})

	var got []string
	p := apprunner.NewListServicesForAutoScalingConfigurationPaginator(client, &apprunner.ListServicesForAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(rev2), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListServicesForAutoScalingConfiguration: %v", err)
		}
		got = append(got, page.ServiceArnList...)
	}
	if diff := cmp.Diff(users, got); diff != "" {
		t.Errorf("services of revision 2 (-want +got):\n%s", diff)
	}
	free, err := client.ListServicesForAutoScalingConfiguration(ctx, &apprunner.ListServicesForAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(rev1)})
	if err != nil || len(free.ServiceArnList) != 0 {
		t.Errorf("services of revision 1 = %v, %v; want none", free, err)
	}
	for arn, want := range map[string]bool{rev1: false, rev2: true} {
		d, err := client.DescribeAutoScalingConfiguration(ctx, &apprunner.DescribeAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(arn)})
		if err != nil || aws.ToBool(d.AutoScalingConfiguration.HasAssociatedService) != want {
			t.Errorf("HasAssociatedService of %s = %+v, %v; want %v", arn, d, err, want)
		}
	}

	var invalid *types.InvalidRequestException
	const inUse = "You can't delete the auto scaling configuration. It's used by one or more services. To delete it, update the services to use other auto scaling configurations."
	for name, in := range map[string]*apprunner.DeleteAutoScalingConfigurationInput{
		"the revision used":                  {AutoScalingConfigurationArn: aws.String(rev2)},
		"every revision, named by the free":  {AutoScalingConfigurationArn: aws.String(rev1), DeleteAllRevisions: true},
		"every revision, named by its name:": {AutoScalingConfigurationArn: aws.String("arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/web-scaling"), DeleteAllRevisions: true},
	} {
		if _, err := client.DeleteAutoScalingConfiguration(ctx, in); !errors.As(err, &invalid) || invalid.ErrorMessage() != inUse {
			t.Errorf("deleting %s: %v, want InvalidRequestException %q", name, err, inUse)
		}
	}
	if st, _ := s.AutoScalingConfiguration(rev1); st.Status != "ACTIVE" {
		t.Errorf("a refused DeleteAllRevisions deleted revision 1: %+v", st)
	}

	def, err := client.UpdateDefaultAutoScalingConfiguration(ctx, &apprunner.UpdateDefaultAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(rev1)})
	if err != nil || !aws.ToBool(def.AutoScalingConfiguration.IsDefault) {
		t.Fatalf("UpdateDefaultAutoScalingConfiguration = %+v, %v; want IsDefault", def, err)
	}
	if st, _ := s.AutoScalingConfiguration(builtinAS); st.IsDefault {
		t.Error("DefaultConfiguration is still the default after another became it")
	}
	if _, err := client.DeleteAutoScalingConfiguration(ctx, &apprunner.DeleteAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(rev1)}); !errors.As(err, &invalid) || !strings.Contains(invalid.ErrorMessage(), "default") {
		t.Errorf("deleting the default: %v, want InvalidRequestException about the default", err)
	}
	if _, err := client.DeleteAutoScalingConfiguration(ctx, &apprunner.DeleteAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(builtinAS)}); !errors.As(err, &invalid) {
		t.Errorf("deleting App Runner's DefaultConfiguration while it is not the default: %v, want InvalidRequestException", err)
	}
	newer, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-four"), SourceConfiguration: imageSource()})
	if err != nil || aws.ToString(newer.Service.AutoScalingConfigurationSummary.AutoScalingConfigurationArn) != rev1 {
		t.Errorf("a new service without a configuration = %+v, %v; want the default %s", newer, err, rev1)
	}

	// The users move away: UpdateService changes the configuration.
	for _, arn := range append(users, aws.ToString(newer.Service.ServiceArn)) {
		if st, _ := s.Service(arn); st.Status == "PAUSED" {
			if _, err := client.DeleteService(ctx, &apprunner.DeleteServiceInput{ServiceArn: aws.String(arn)}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := client.UpdateService(ctx, &apprunner.UpdateServiceInput{ServiceArn: aws.String(arn), AutoScalingConfigurationArn: aws.String(builtinAS)}); err != nil {
			t.Fatalf("UpdateService(%s): %v", arn, err)
		}
	}
	if _, err := client.DeleteAutoScalingConfiguration(ctx, &apprunner.DeleteAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(rev2)}); err != nil {
		t.Errorf("DeleteAutoScalingConfiguration once unused: %v", err)
	}
	if got := s.UnsafeDeletions(); len(got) != 0 {
		t.Errorf("UnsafeDeletions = %v, want none", got)
	}
}

func TestAutoScalingInputIsValidated(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	gone := mustAddAutoScaling(t, s, acct, "us-east-1", apprunnerlocal.SeedAutoScalingConfiguration{Name: "gone-scaling", Status: "INACTIVE"})
	for i := range 3 {
		mustAddAutoScaling(t, s, acct, "us-east-1", apprunnerlocal.SeedAutoScalingConfiguration{Name: fmt.Sprintf("scaling-%d", i)})
	}
	first, err := client.ListAutoScalingConfigurations(ctx, &apprunner.ListAutoScalingConfigurationsInput{MaxResults: aws.Int32(1)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("ListAutoScalingConfigurations = %v, %v; want a NextToken", first, err)
	}
	create := func(in apprunner.CreateAutoScalingConfigurationInput) func() error {
		return func() error {
			if in.AutoScalingConfigurationName == nil {
				in.AutoScalingConfigurationName = aws.String("web-scaling")
			}
			_, err := client.CreateAutoScalingConfiguration(ctx, &in)
			return err
		}
	}
	var invalid *types.InvalidRequestException
	for name, call := range map[string]func() error{
		"a name of 33":          create(apprunner.CreateAutoScalingConfigurationInput{AutoScalingConfigurationName: aws.String(strings.Repeat("a", 33))}),
		"a name with a dot":     create(apprunner.CreateAutoScalingConfigurationInput{AutoScalingConfigurationName: aws.String("web.scaling")}),
		"MaxConcurrency 201":    create(apprunner.CreateAutoScalingConfigurationInput{MaxConcurrency: aws.Int32(201)}),
		"MinSize 0":             create(apprunner.CreateAutoScalingConfigurationInput{MinSize: aws.Int32(0)}),
		"MinSize 26":            create(apprunner.CreateAutoScalingConfigurationInput{MinSize: aws.Int32(26)}),
		"MaxSize 0":             create(apprunner.CreateAutoScalingConfigurationInput{MaxSize: aws.Int32(0)}),
		"MinSize above MaxSize": create(apprunner.CreateAutoScalingConfigurationInput{MinSize: aws.Int32(5), MaxSize: aws.Int32(4)}),
		"an aws: tag":           create(apprunner.CreateAutoScalingConfigurationInput{Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}}),
		"MaxResults 0": func() error {
			_, err := client.ListAutoScalingConfigurations(ctx, &apprunner.ListAutoScalingConfigurationsInput{MaxResults: aws.Int32(0)})
			return err
		},
		"a token for another filter": func() error {
			_, err := client.ListAutoScalingConfigurations(ctx, &apprunner.ListAutoScalingConfigurationsInput{NextToken: first.NextToken, AutoScalingConfigurationName: aws.String("scaling-1")})
			return err
		},
		"a token for another operation": func() error {
			_, err := client.ListObservabilityConfigurations(ctx, &apprunner.ListObservabilityConfigurationsInput{NextToken: first.NextToken})
			return err
		},
		"ListServicesFor MaxResults 101": func() error {
			_, err := client.ListServicesForAutoScalingConfiguration(ctx, &apprunner.ListServicesForAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(builtinAS), MaxResults: aws.Int32(101)})
			return err
		},
		"a service with an INACTIVE configuration": func() error {
			_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: imageSource(), AutoScalingConfigurationArn: aws.String(gone)})
			return err
		},
		"a service with another region's configuration": func() error {
			_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: imageSource(),
				AutoScalingConfigurationArn: aws.String(strings.Replace(builtinAS, "us-east-1", "eu-west-1", 1))})
			return err
		},
	} {
		if err := call(); !errors.As(err, &invalid) {
			t.Errorf("%s: %v, want InvalidRequestException", name, err)
		}
	}
	var notFound *types.ResourceNotFoundException
	for name, call := range map[string]func() error{
		"ListServicesFor an unknown configuration": func() error {
			_, err := client.ListServicesForAutoScalingConfiguration(ctx, &apprunner.ListServicesForAutoScalingConfigurationInput{
				AutoScalingConfigurationArn: aws.String("arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/absent/1/0123456789abcdef0123456789abcdef")})
			return err
		},
		"UpdateDefault to an INACTIVE one": func() error {
			_, err := client.UpdateDefaultAutoScalingConfiguration(ctx, &apprunner.UpdateDefaultAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(gone)})
			return err
		},
		"describing another account's": func() error {
			_, err := client.DescribeAutoScalingConfiguration(ctx, &apprunner.DescribeAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(strings.Replace(builtinAS, acct, "210987654321", 1))})
			return err
		},
	} {
		if err := call(); !errors.As(err, &notFound) {
			t.Errorf("%s: %v, want ResourceNotFoundException", name, err)
		}
	}
}
