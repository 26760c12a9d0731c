package request_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

func TestParseResourceARNSaysTheKind(t *testing.T) {
	const (
		id  = "0123456789abcdef0123456789abcdef"
		pre = "arn:aws:apprunner:us-east-1:123456789012:"
	)
	tests := []struct {
		in       string
		kind     request.Kind
		name     string
		revision string
		wantErr  string
	}{
		{in: pre + "connection/my-conn/" + id, kind: request.KindConnection, name: "my-conn"},
		{in: pre + "vpcconnector/private-db-access-for-the-payments-team/1/" + id, kind: request.KindVPCConnector, name: "private-db-access-for-the-payments-team", revision: "1"},
		{in: pre + "autoscalingconfiguration/web-scale/12/" + id, kind: request.KindAutoScaling, name: "web-scale", revision: "12"},
		{in: pre + "observabilityconfiguration/tracing/3/" + id, kind: request.KindObservability, name: "tracing", revision: "3"},
		{in: pre + "service/web-app/" + id, wantErr: "App Runner service, not a connection, VPC connector"},
		{in: pre + "customdomain/x/" + id, wantErr: "App Runner customdomain"},
		{in: pre + "autoscalingconfiguration/web-scale/" + id, wantErr: "autoscalingconfiguration/NAME/REVISION/ID"},
		{in: pre + "autoscalingconfiguration/web-scale/0/" + id, wantErr: "revision"},
		{in: pre + "autoscalingconfiguration/web-scale/v2/" + id, wantErr: "revision"},
		{in: pre + "observabilityconfiguration/a-name-that-is-far-too-long-for-it/1/" + id, wantErr: "name"},
		{in: pre + "vpcconnector/ok-name/1/xyz", wantErr: "32 hexadecimal"},
		{in: "not-an-arn", wantErr: "not an ARN"},
		{in: "arn:aws:s3:::bucket", wantErr: "account"},
	}
	for _, tt := range tests {
		got, err := request.ParseResourceARN(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseResourceARN(%.70q) error = %v, want one mentioning %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseResourceARN(%q): %v", tt.in, err)
			continue
		}
		if got.Kind() != tt.kind || got.Name != tt.name || got.Revision != tt.revision || got.String() != tt.in {
			t.Errorf("ParseResourceARN(%q) = %+v, kind %s (%s); want kind %s, name %s, revision %q", tt.in, got, got.Kind(), got, tt.kind, tt.name, tt.revision)
		}
	}
}

func TestParseKinds(t *testing.T) {
	tests := []struct {
		in      string
		want    []request.Kind
		wantErr string
	}{
		{in: "connection", want: []request.Kind{request.KindConnection}},
		{in: " observability-configuration , connection,connection", want: []request.Kind{request.KindConnection, request.KindObservability}},
		{in: "all", want: request.Kinds()},
		{in: "vpc-connector,all", want: request.Kinds()},
		{in: "", wantErr: "no resource type"},
		{in: "connections", wantErr: `unknown resource type "connections"`},
		{in: "VPC-connector", wantErr: "unknown resource type"},
	}
	for _, tt := range tests {
		got, err := request.ParseKinds(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseKinds(%q) error = %v, want one mentioning %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseKinds(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if back, err := request.ParseKinds(request.KindsString(got)); err != nil || !slices.Equal(back, got) {
			t.Errorf("KindsString(%v) = %q reads back as %v, %v", got, request.KindsString(got), back, err)
		}
	}
}

// TestResourceTypesOfARequest: sweeps and offboarding may name their
// kinds; a deletion may not (its ARNs say them), and an unknown kind
// rejects the request whole.
func TestResourceTypesOfARequest(t *testing.T) {
	role := "arn:aws:iam::210987654321:role/Cleanup"
	tests := []struct {
		name    string
		raw     request.RawRequest
		want    []request.Kind
		wantErr string
	}{
		{name: "sweep", raw: request.RawRequest{Action: request.ActionSweep, ResourceTypes: []string{"vpc-connector"}}, want: []request.Kind{request.KindVPCConnector}},
		{name: "sweep of all", raw: request.RawRequest{Action: request.ActionSweep, ResourceTypes: []string{"all"}}, want: request.Kinds()},
		{name: "sweep without", raw: request.RawRequest{Action: request.ActionSweep}},
		{name: "offboard", raw: request.RawRequest{Action: request.ActionOffboard, RoleARN: &role, Regions: []string{"eu-west-1"},
			ResourceTypes: []string{"auto-scaling-configuration", "connection"}}, want: []request.Kind{request.KindConnection, request.KindAutoScaling}},
		{name: "unknown", raw: request.RawRequest{Action: request.ActionSweep, ResourceTypes: []string{"bucket"}}, wantErr: `"resourceTypes": unknown resource type "bucket"`},
		{name: "empty", raw: request.RawRequest{Action: request.ActionSweep, ResourceTypes: []string{}}, wantErr: "no resource type"},
		{name: "delete", raw: request.RawRequest{Action: request.ActionDelete, ConnectionARNs: []string{"x"}, ResourceTypes: []string{"connection"}},
			wantErr: "the ARNs of a deletion say their kinds"},
	}
	for _, tt := range tests {
		req, _, err := tt.raw.Check()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error = %v, want one mentioning %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(req.Kinds, tt.want) {
			t.Errorf("%s: kinds %v, error %v; want %v", tt.name, req.Kinds, err, tt.want)
		}
	}
}
