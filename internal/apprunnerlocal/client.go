package apprunnerlocal

import (
	"io"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
)

// NewClient returns the real App Runner client for an emulator served at
// endpoint (an httptest.Server's URL, say), calling as accessKeyID in
// region: the key picks the account, as [Options.Accounts] says, and the
// secret is never checked. It uses [HTTPClient]; everything else, retries
// included, is the SDK's default unless optFns change it.
func NewClient(endpoint, region, accessKeyID string, optFns ...func(*apprunner.Options)) *apprunner.Client {
	return apprunner.New(apprunner.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, "SECRET", ""),
		HTTPClient:   HTTPClient(),
	}, optFns...)
}

// HTTPClient returns an HTTP client for SDK clients that talk to the
// emulator (apprunner.Options.HTTPClient).
//
// aws-sdk-go-v2 closes a request body as soon as the response headers
// arrive, while net/http's writer may still probe that body for extra bytes
// through io.WriterTo; the SDK's closed body then answers io.EOF as an
// error, and net/http closes the connection under the response being read
// ("failed to decode response body ... use of closed network connection",
// aws-sdk-go-v2 issue 2737). Against a server on loopback that answers in
// microseconds this happens often for responses over 4 KiB. The SDK's
// retryer hides it at the cost of extra calls; this client avoids it by
// hiding io.WriterTo from request bodies.
func HTTPClient() *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Transport: readOnlyBodyTransport{base: base}}
}

type readOnlyBodyTransport struct {
	base http.RoundTripper
}

// readOnlyBody exposes only Read and Close of a request body.
type readOnlyBody struct {
	io.ReadCloser
}

// RoundTrip implements http.RoundTripper.
func (t readOnlyBodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		r := req.Clone(req.Context())
		r.Body = readOnlyBody{req.Body}
		req = r
	}
	return t.base.RoundTrip(req)
}

// SDKEnv is the environment that points the SDK's standard configuration
// (config.LoadDefaultConfig) at an emulator serving endpoint: App Runner,
// STS, Organizations and SQS, in region, with static credentials of
// DefaultAccount and no shared configuration files. Tests of code that
// loads its own AWS configuration set it with t.Setenv.
func SDKEnv(endpoint, region string) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_APPRUNNER": endpoint, "AWS_ENDPOINT_URL_STS": endpoint,
		"AWS_ENDPOINT_URL_ORGANIZATIONS": endpoint, "AWS_ENDPOINT_URL_SQS": endpoint,
		"AWS_REGION": region, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_PROFILE": "",
	}
}
