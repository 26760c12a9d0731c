package apprunnerlocal_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

func newSTS(url, accessKey string) *sts.Client {
	return sts.New(sts.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       apprunnerlocal.HTTPClient(),
	})
}

func TestGetCallerIdentityNamesTheAccessKeysAccount(t *testing.T) {
	_, hs := newServer(t, apprunnerlocal.Options{Accounts: map[string]string{"AKIDOTHER": "210987654321"}})
	for key, want := range map[string]string{"AKIDANY": apprunnerlocal.DefaultAccount, "AKIDOTHER": "210987654321"} {
		out, err := newSTS(hs.URL, key).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if got := aws.ToString(out.Account); got != want {
			t.Errorf("%s: account %s, want %s", key, got, want)
		}
	}
}

func TestAssumedRoleCredentialsReachTheRolesAccount(t *testing.T) {
	s, hs := newServer(t, apprunnerlocal.Options{})
	theirs := mustAddConnection(t, s, "210987654321", "eu-west-1", apprunnerlocal.SeedConnection{Name: "their-conn"})
	mustAddConnection(t, s, apprunnerlocal.DefaultAccount, "eu-west-1", apprunnerlocal.SeedConnection{Name: "our-conn"})
	role := "arn:aws:iam::210987654321:role/AppRunnerConnectionCleanup"
	creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(newSTS(hs.URL, "AKIDHOME"), role))

	// No access key of its own: the role's credentials are the client's.
	client := newClient(t, hs.URL, "", "eu-west-1", func(o *apprunner.Options) { o.Credentials = creds })
	out, err := client.ListConnections(context.Background(), &apprunner.ListConnectionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ConnectionSummaryList) != 1 || aws.ToString(out.ConnectionSummaryList[0].ConnectionArn) != theirs {
		t.Errorf("connections seen through the role: %+v, want only %s", out.ConnectionSummaryList, theirs)
	}
	who, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), Credentials: creds,
		HTTPClient: apprunnerlocal.HTTPClient()}).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != "210987654321" {
		t.Errorf("caller identity through the role: %v, %v", who, err)
	}
}

func TestAssumeRoleRefusesWhatSTSRefuses(t *testing.T) {
	_, hs := newServer(t, apprunnerlocal.Options{AssumableRoles: []string{"arn:aws:iam::210987654321:role/Allowed"}})
	const allowed = "arn:aws:iam::210987654321:role/Allowed"
	tests := []struct {
		name, role, session string
		code, contains      string
	}{
		// The refusal names the caller as STS does, by its ARN.
		{"a role not listed", "arn:aws:iam::210987654321:role/Other", "test", "AccessDenied",
			"User: arn:aws:iam::123456789012:user/apprunner-local is not authorized"},
		{"no role ARN", "210987654321", "test", "ValidationError", "RoleArn"},
		// The session name becomes part of the principal ID and ARN, so
		// one that STS would refuse must not make them.
		{"no session name", allowed, "", "ValidationError", "RoleSessionName"},
		{"a one-character session name", allowed, "x", "ValidationError", "RoleSessionName"},
		{"a session name with a space", allowed, "two words", "ValidationError", "RoleSessionName"},
		{"a session name with a colon", allowed, "a:b", "ValidationError", "RoleSessionName"},
		{"a 65-character session name", allowed, strings.Repeat("s", 65), "ValidationError", "RoleSessionName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newSTS(hs.URL, "AKIDHOME").AssumeRole(context.Background(), &sts.AssumeRoleInput{
				RoleArn: aws.String(tt.role), RoleSessionName: aws.String(tt.session),
			})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.code || !strings.Contains(apiErr.ErrorMessage(), tt.contains) {
				t.Fatalf("error %v, want %s saying %q", err, tt.code, tt.contains)
			}
		})
	}
	if _, err := newSTS(hs.URL, "AKIDHOME").AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(allowed), RoleSessionName: aws.String(strings.Repeat("s", 64)),
	}); err != nil {
		t.Errorf("AssumeRole with a 64-character session name: %v, want it granted", err)
	}
}

// assumeRole asks for a session of role as the access key AKIDHOME does
// and returns the session's credentials and whom STS said they are.
func assumeRole(t *testing.T, url, role, session string) (aws.CredentialsProvider, *ststypes.AssumedRoleUser) {
	t.Helper()
	out, err := newSTS(url, "AKIDHOME").AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String(session),
	})
	if err != nil {
		t.Fatalf("AssumeRole(%s, %s): %v", role, session, err)
	}
	c := out.Credentials
	return credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)),
		out.AssumedRoleUser
}

func callerIdentity(t *testing.T, url string, creds aws.CredentialsProvider) *sts.GetCallerIdentityOutput {
	t.Helper()
	out, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds, RetryMaxAttempts: 1,
		HTTPClient: apprunnerlocal.HTTPClient()}).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	return out
}

// Unique IDs as IAM writes them: a 4-character prefix and 17 capital
// letters or digits.
var (
	userIDRE    = regexp.MustCompile(`^AIDA[A-Z0-9]{17}$`)
	sessionIDRE = regexp.MustCompile(`^AROA[A-Z0-9]{17}:[\w+=,.@-]{2,64}$`)
)

// TestCallerIdentityNamesThePrincipalAsAWSDoes: a function that tells its
// own messages by their SenderId compares it with its GetCallerIdentity
// UserId, so both must be the principal ID that AWS gives the
// credentials, the same on every call and, for a role, in every session.
func TestCallerIdentityNamesThePrincipalAsAWSDoes(t *testing.T) {
	const (
		home  = apprunnerlocal.DefaultAccount
		other = "210987654321"
		role  = "arn:aws:iam::" + other + ":role/AppRunnerConnectionCleanup"
		// STS leaves a role's path out of its sessions' ARNs.
		pathRole = "arn:aws:iam::" + other + ":role/team/Deployer"
	)
	opts := apprunnerlocal.Options{Accounts: map[string]string{"AKIDOTHER": other, "AKIDSAME": home}}
	// Two servers: the IDs are derived, not drawn, so a test can write
	// them down and a restarted emulator gives the same ones.
	_, first := newServer(t, opts)
	_, second := newServer(t, opts)
	type credsFunc func(t *testing.T, url string) (aws.CredentialsProvider, *ststypes.AssumedRoleUser)
	static := func(key string) credsFunc {
		return func(*testing.T, string) (aws.CredentialsProvider, *ststypes.AssumedRoleUser) {
			return credentials.NewStaticCredentialsProvider(key, "SECRET", ""), nil
		}
	}
	assumed := func(role, session string) credsFunc {
		return func(t *testing.T, url string) (aws.CredentialsProvider, *ststypes.AssumedRoleUser) {
			t.Helper()
			return assumeRole(t, url, role, session)
		}
	}
	tests := []struct {
		name                 string
		creds                credsFunc
		account, userID, arn string
	}{
		{"a plain access key", static("AKIDANY"), home, apprunnerlocal.UserPrincipalID(home),
			"arn:aws:iam::" + home + ":user/apprunner-local"},
		// One user per account: every plain key of it is that user.
		{"another plain key of the account", static("AKIDSAME"), home, apprunnerlocal.UserPrincipalID(home),
			"arn:aws:iam::" + home + ":user/apprunner-local"},
		{"a plain key of another account", static("AKIDOTHER"), other, apprunnerlocal.UserPrincipalID(other),
			"arn:aws:iam::" + other + ":user/apprunner-local"},
		{"a role session", assumed(role, "cleanup"), other, apprunnerlocal.RolePrincipalID(role, "cleanup"),
			"arn:aws:sts::" + other + ":assumed-role/AppRunnerConnectionCleanup/cleanup"},
		{"another session of the role", assumed(role, "aws-go-sdk-1700000000000"), other,
			apprunnerlocal.RolePrincipalID(role, "aws-go-sdk-1700000000000"),
			"arn:aws:sts::" + other + ":assumed-role/AppRunnerConnectionCleanup/aws-go-sdk-1700000000000"},
		{"a role with a path", assumed(pathRole, "deploy@ci"), other, apprunnerlocal.RolePrincipalID(pathRole, "deploy@ci"),
			"arn:aws:sts::" + other + ":assumed-role/Deployer/deploy@ci"},
	}
	for server, url := range map[string]string{"first server": first.URL, "second server": second.URL} {
		for _, tt := range tests {
			t.Run(server+"/"+tt.name, func(t *testing.T) {
				creds, assumedUser := tt.creds(t, url)
				// Twice: the same credentials are the same principal.
				for range 2 {
					got := callerIdentity(t, url, creds)
					if aws.ToString(got.Account) != tt.account || aws.ToString(got.UserId) != tt.userID || aws.ToString(got.Arn) != tt.arn {
						t.Errorf("GetCallerIdentity = %s, %s, %s; want %s, %s, %s",
							aws.ToString(got.Account), aws.ToString(got.UserId), aws.ToString(got.Arn), tt.account, tt.userID, tt.arn)
					}
				}
				if assumedUser != nil && (aws.ToString(assumedUser.AssumedRoleId) != tt.userID || aws.ToString(assumedUser.Arn) != tt.arn) {
					t.Errorf("AssumeRole's AssumedRoleUser = %s, %s; want %s, %s, as GetCallerIdentity says",
						aws.ToString(assumedUser.AssumedRoleId), aws.ToString(assumedUser.Arn), tt.userID, tt.arn)
				}
				re := userIDRE
				if assumedUser != nil {
					re = sessionIDRE
				}
				if !re.MatchString(tt.userID) {
					t.Errorf("principal ID %s does not match %s", tt.userID, re)
				}
			})
		}
	}

	// What a receiver compares: the part before ':' is the role's, the
	// same for all its sessions and no other role's; a user's ID is its
	// account's alone.
	roleID := func(role, session string) string {
		id, _, _ := strings.Cut(apprunnerlocal.RolePrincipalID(role, session), ":")
		return id
	}
	if roleID(role, "one") != roleID(role, "two") {
		t.Errorf("two sessions of %s have different role IDs: %s, %s", role, roleID(role, "one"), roleID(role, "two"))
	}
	distinct := []string{roleID(role, "s"), roleID(pathRole, "s"), roleID("arn:aws:iam::"+home+":role/AppRunnerConnectionCleanup", "s"),
		apprunnerlocal.UserPrincipalID(home), apprunnerlocal.UserPrincipalID(other)}
	if len(slices.Compact(slices.Sorted(slices.Values(distinct)))) != len(distinct) {
		t.Errorf("principal IDs of different principals coincide: %v", distinct)
	}
	// Pinned: tests and sample events may write these down, so the
	// derivation must not change unnoticed.
	for got, want := range map[string]string{
		apprunnerlocal.UserPrincipalID(home): "AIDAW2XMWPLATBPFJ63E4",
		apprunnerlocal.RolePrincipalID("arn:aws:iam::"+home+":role/AppRunnerConnectionCleanup", "s"): "AROAEZQVCXK4WFD74RV2W:s",
	} {
		if got != want {
			t.Errorf("principal ID %s, want %s as before", got, want)
		}
	}
}
