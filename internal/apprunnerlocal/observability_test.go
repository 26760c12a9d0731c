package apprunnerlocal_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

func TestObservabilityLifecycleAndInUse(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := apprunnerlocal.NewClock(base)
	s, hs := newServer(t, apprunnerlocal.Options{Now: clock.Now})
	client := newClient(t, hs.URL, "AKID", "us-east-1")

	var arns []string
	for range 2 {
		out, err := client.CreateObservabilityConfiguration(ctx, &apprunner.CreateObservabilityConfigurationInput{
			ObservabilityConfigurationName: aws.String("xray-tracing"),
			TraceConfiguration:             &types.TraceConfiguration{Vendor: types.TracingVendorAwsxray},
			Tags:                           []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
		})
		if err != nil {
			t.Fatalf("CreateObservabilityConfiguration: %v", err)
		}
		clock.Advance(time.Minute)
		arns = append(arns, aws.ToString(out.ObservabilityConfiguration.ObservabilityConfigurationArn))
	}
	prefix := "arn:aws:apprunner:us-east-1:123456789012:observabilityconfiguration/xray-tracing/2/"
	if !strings.HasPrefix(arns[1], prefix) || len(arns[1]) != len(prefix)+32 {
		t.Errorf("ARN of revision 2 = %s, want %s<32 hex>", arns[1], prefix)
	}
	plain, err := client.CreateObservabilityConfiguration(ctx, &apprunner.CreateObservabilityConfigurationInput{ObservabilityConfigurationName: aws.String("no-tracing")})
	if err != nil || plain.ObservabilityConfiguration.TraceConfiguration != nil || !plain.ObservabilityConfiguration.Latest {
		t.Errorf("a configuration without tracing = %+v, %v; want no TraceConfiguration, latest", plain, err)
	}

	list, err := client.ListObservabilityConfigurations(ctx, &apprunner.ListObservabilityConfigurationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var latest []string
	for _, c := range list.ObservabilityConfigurationSummaryList {
		latest = append(latest, aws.ToString(c.ObservabilityConfigurationArn))
	}
	if diff := cmp.Diff([]string{arns[1], aws.ToString(plain.ObservabilityConfiguration.ObservabilityConfigurationArn)}, latest); diff != "" {
		t.Errorf("latest revisions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"xray-tracing/1", "xray-tracing/2"},
		listRevisionsRaw(t, hs.URL, "ListObservabilityConfigurations", `{"ObservabilityConfigurationName": "xray-tracing", "LatestOnly": false, "MaxResults": 1}`)); diff != "" {
		t.Errorf("every revision of xray-tracing (-want +got):\n%s", diff)
	}

	created, err := client.CreateService(ctx, &apprunner.CreateServiceInput{
		ServiceName: aws.String("web-app"), SourceConfiguration: imageSource(),
		ObservabilityConfiguration: &types.ServiceObservabilityConfiguration{
			ObservabilityEnabled: true, ObservabilityConfigurationArn: aws.String("arn:aws:apprunner:us-east-1:123456789012:observabilityconfiguration/xray-tracing/1"),
		},
	})
	if err != nil {
		t.Fatalf("CreateService with observability: %v", err)
	}
	if o := created.Service.ObservabilityConfiguration; !o.ObservabilityEnabled || aws.ToString(o.ObservabilityConfigurationArn) != arns[0] {
		t.Errorf("service observability = %+v, want enabled with %s", o, arns[0])
	}
	svc := aws.ToString(created.Service.ServiceArn)

	_, err = client.DeleteObservabilityConfiguration(ctx, &apprunner.DeleteObservabilityConfigurationInput{ObservabilityConfigurationArn: aws.String(arns[0])})
	var invalid *types.InvalidRequestException
	const inUse = "You can't delete the observability configuration. It's used by one or more services. To delete it, update the services to use other observability configurations."
	if !errors.As(err, &invalid) || invalid.ErrorMessage() != inUse {
		t.Fatalf("deleting a configuration in use: %v, want InvalidRequestException %q", err, inUse)
	}
	if _, err := client.UpdateService(ctx, &apprunner.UpdateServiceInput{ServiceArn: aws.String(svc),
		ObservabilityConfiguration: &types.ServiceObservabilityConfiguration{ObservabilityEnabled: false}}); err != nil {
		t.Fatalf("UpdateService turning observability off: %v", err)
	}
	if st, _ := s.Service(svc); st.ObservabilityConfigurationARN != "" {
		t.Errorf("ObservabilityConfigurationARN after turning it off = %s", st.ObservabilityConfigurationARN)
	}
	del, err := client.DeleteObservabilityConfiguration(ctx, &apprunner.DeleteObservabilityConfigurationInput{ObservabilityConfigurationArn: aws.String(arns[0])})
	if err != nil {
		t.Fatalf("DeleteObservabilityConfiguration once unused: %v", err)
	}
	if c := del.ObservabilityConfiguration; c.Status != types.ObservabilityConfigurationStatusInactive || c.DeletedAt == nil || c.Latest {
		t.Errorf("deleted = %+v, want INACTIVE with DeletedAt", c)
	}
	d, err := client.DescribeObservabilityConfiguration(ctx, &apprunner.DescribeObservabilityConfigurationInput{ObservabilityConfigurationArn: aws.String(arns[0])})
	if err != nil || d.ObservabilityConfiguration.Status != types.ObservabilityConfigurationStatusInactive {
		t.Errorf("DescribeObservabilityConfiguration of a deleted one = %+v, %v; want INACTIVE", d, err)
	}
	var notFound *types.ResourceNotFoundException
	if _, err := client.DeleteObservabilityConfiguration(ctx, &apprunner.DeleteObservabilityConfigurationInput{ObservabilityConfigurationArn: aws.String(arns[0])}); !errors.As(err, &notFound) {
		t.Errorf("second delete: %v, want ResourceNotFoundException", err)
	}
	if _, err := client.ListTagsForResource(ctx, &apprunner.ListTagsForResourceInput{ResourceArn: aws.String(arns[0])}); !errors.As(err, &notFound) {
		t.Errorf("tags of a deleted one: %v, want ResourceNotFoundException", err)
	}
	if st, ok := s.ObservabilityConfiguration(arns[0]); !ok || st.Status != "INACTIVE" || st.Revision != 1 || !st.DeletedAt.Equal(clock.Now()) {
		t.Errorf("ObservabilityConfiguration(%s) = %+v, %v", arns[0], st, ok)
	}
}

func TestObservabilityInputIsValidated(t *testing.T) {
	ctx := context.Background()
	s, hs := newServer(t, apprunnerlocal.Options{})
	client := newClient(t, hs.URL, "AKID", "us-east-1")
	gone := mustAddObservability(t, s, acct, "us-east-1", apprunnerlocal.SeedObservabilityConfiguration{Name: "gone-tracing", Status: "INACTIVE"})
	live := mustAddObservability(t, s, acct, "us-east-1", apprunnerlocal.SeedObservabilityConfiguration{Name: "live-tracing"})
	service := func(o types.ServiceObservabilityConfiguration) func() error {
		return func() error {
			_, err := client.CreateService(ctx, &apprunner.CreateServiceInput{ServiceName: aws.String("web-app"), SourceConfiguration: imageSource(), ObservabilityConfiguration: &o})
			return err
		}
	}
	var invalid *types.InvalidRequestException
	for name, call := range map[string]func() error{
		"the reserved name": func() error {
			_, err := client.CreateObservabilityConfiguration(ctx, &apprunner.CreateObservabilityConfigurationInput{ObservabilityConfigurationName: aws.String("DefaultConfiguration")})
			return err
		},
		"a name of 3": func() error {
			_, err := client.CreateObservabilityConfiguration(ctx, &apprunner.CreateObservabilityConfigurationInput{ObservabilityConfigurationName: aws.String("obs")})
			return err
		},
		"an unknown vendor": func() error {
			_, err := client.CreateObservabilityConfiguration(ctx, &apprunner.CreateObservabilityConfigurationInput{ObservabilityConfigurationName: aws.String("otel-tracing"),
				TraceConfiguration: &types.TraceConfiguration{Vendor: "OTEL"}})
			return err
		},
		"MaxResults 101": func() error {
			_, err := client.ListObservabilityConfigurations(ctx, &apprunner.ListObservabilityConfigurationsInput{MaxResults: aws.Int32(101)})
			return err
		},
		"enabled without an ARN":     service(types.ServiceObservabilityConfiguration{ObservabilityEnabled: true}),
		"an ARN while disabled":      service(types.ServiceObservabilityConfiguration{ObservabilityConfigurationArn: aws.String(live)}),
		"an INACTIVE configuration":  service(types.ServiceObservabilityConfiguration{ObservabilityEnabled: true, ObservabilityConfigurationArn: aws.String(gone)}),
		"another region's (unknown)": service(types.ServiceObservabilityConfiguration{ObservabilityEnabled: true, ObservabilityConfigurationArn: aws.String(strings.Replace(live, "us-east-1", "eu-west-1", 1))}),
	} {
		if err := call(); !errors.As(err, &invalid) {
			t.Errorf("%s: %v, want InvalidRequestException", name, err)
		}
	}
}
