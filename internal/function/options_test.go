package function_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/function"
)

// TestAWSOptionsApplyOverTheEnvironment: an operator's --region (or
// --profile) reaches the AWS configuration New loads, over AWS_REGION.
func TestAWSOptionsApplyOverTheEnvironment(t *testing.T) {
	tests := []struct {
		name, envRegion string
		opts            []func(*awsconfig.LoadOptions) error
		errPart         string
	}{
		{"no region anywhere", "", nil, "no AWS region"},
		{"the option supplies the region", "", []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion("us-east-1")}, ""},
		{"the option wins over AWS_REGION", "us-east-1", []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion("cn-north-1")},
			"region cn-north-1 is in partition aws-cn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useEmulator(t, apprunnerlocal.Options{}, tt.envRegion)
			cfg, err := function.LoadConfig(lookup(nil))
			if err != nil {
				t.Fatal(err)
			}
			_, err = function.New(context.Background(), cfg, function.Deps{
				Logger: slog.New(slog.DiscardHandler), Metrics: io.Discard, AWSOptions: tt.opts,
			})
			switch {
			case tt.errPart == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.errPart != "" && (err == nil || !strings.Contains(err.Error(), tt.errPart)):
				t.Fatalf("New error = %v, want one saying %q", err, tt.errPart)
			}
		})
	}
}
