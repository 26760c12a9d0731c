package request_test

import (
	"strings"
	"testing"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

func TestParseConnectionARN(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		in      string
		want    request.ARN
		wantErr string
	}{
		{in: "arn:aws:apprunner:us-east-1:123456789012:connection/my-conn/" + id,
			want: request.ARN{Partition: "aws", Region: "us-east-1", Account: "123456789012", Resource: "connection", Name: "my-conn", ID: id}},
		{in: "arn:aws-cn:apprunner:cn-north-1:123456789012:connection/my_conn/" + id,
			want: request.ARN{Partition: "aws-cn", Region: "cn-north-1", Account: "123456789012", Resource: "connection", Name: "my_conn", ID: id}},
		{in: "", wantErr: "empty"},
		{in: "my-conn", wantErr: "not an ARN"},
		{in: "arn:aws:apprunner:us-east-1:123456789012:service/web-app/" + id, wantErr: "App Runner service, not a connection"},
		{in: "arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/x/1/" + id, wantErr: "not a connection"},
		{in: "arn:aws:codestar-connections:us-east-1:123456789012:connection/" + id, wantErr: `service "codestar-connections"`},
		{in: "arn:aws:apprunner:us-east-1:12345:connection/my-conn/" + id, wantErr: "12 digits"},
		{in: "arn:aws:apprunner:mars:123456789012:connection/my-conn/" + id, wantErr: "region"},
		{in: "arn:foo:apprunner:us-east-1:123456789012:connection/my-conn/" + id, wantErr: "partition"},
		{in: "arn:aws:apprunner:us-east-1:123456789012:connection/x/" + id, wantErr: "connection name"},
		{in: "arn:aws:apprunner:us-east-1:123456789012:connection/my-conn/XYZ", wantErr: "32 hexadecimal"},
		{in: "arn:aws:apprunner:us-east-1:123456789012:connection/my-conn", wantErr: "connection/NAME/ID"},
		{in: strings.Repeat("a", 2048), wantErr: "longer than an ARN"},
	}
	for _, tt := range tests {
		got, err := request.ParseConnectionARN(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseConnectionARN(%.60q) error = %v, want one mentioning %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseConnectionARN(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want || got.String() != tt.in {
			t.Errorf("ParseConnectionARN(%q) = %+v (%s), want %+v", tt.in, got, got, tt.want)
		}
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	err := cleanup.Config{Account: "12", Region: "nowhere", MinAge: -1, MaxConcurrency: 500, NameInclude: []string{"[unclosed"}}.Validate()
	if err == nil {
		t.Fatal("no error for a config with five problems")
	}
	for _, want := range []string{"account", "region", "minimum age", "max concurrency", "name glob"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
