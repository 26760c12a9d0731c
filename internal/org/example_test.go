package org_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/org"
)

// A Directory over the demo organization: the function runs in the
// management account and may reach the accounts below Workloads and
// Offboarding.
func ExampleDirectory_Resolve() {
	ctx := context.Background()
	emu := apprunnerlocal.New(apprunnerlocal.Options{})
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	api := organizations.New(organizations.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		// Any access key ID is the emulator's DefaultAccount, the demo
		// organization's management account.
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:  apprunnerlocal.HTTPClient(),
	})

	dir := org.NewDirectory(api, apprunnerlocal.DefaultAccount, []string{"ou-demo-workloads", "ou-demo-offboard1"})
	reach, refused, err := dir.Resolve(ctx, []string{"ou-demo-offboard1", "ou-demo-workloads"}, []string{"123456789012"})
	if err != nil {
		panic(err)
	}
	fmt.Println(reach)
	for _, r := range refused {
		fmt.Println(r.Subject, "refused:", r.Reason)
	}
	// Output:
	// [123456789012 210987654321 345678901234 456789012345 567890123456]
	// 678901234567 refused: account 678901234567 is SUSPENDED, not ACTIVE: only ACTIVE accounts are reached
}
