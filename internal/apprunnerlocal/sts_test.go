package apprunnerlocal_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/sts"
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

func TestAssumeRoleIsRefusedForRolesNotListed(t *testing.T) {
	_, hs := newServer(t, apprunnerlocal.Options{AssumableRoles: []string{"arn:aws:iam::210987654321:role/Allowed"}})
	_, err := newSTS(hs.URL, "AKIDHOME").AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::210987654321:role/Other"), RoleSessionName: aws.String("test"),
	})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Fatalf("error %v, want AccessDenied", err)
	}
}
