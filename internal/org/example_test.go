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
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// A Directory over the demo organization: the function runs in the
// management account, sweeps the accounts below Workloads and offboards
// those below Offboarding. The management account is swept in its own
// region only (with the function's own credentials) and never offboarded.
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

	dir := org.NewDirectory(api, org.Settings{
		Home: apprunnerlocal.DefaultAccount, SweepOUs: []string{"ou-demo-workloads"}, OffboardOU: "ou-demo-offboard1",
	})
	for _, plan := range []struct {
		action   request.Action
		ous      []string
		accounts []string
	}{
		{request.ActionSweep, []string{"ou-demo-workloads"}, []string{"123456789012"}},
		{request.ActionOffboard, []string{"ou-demo-offboard1"}, []string{"123456789012", "456789012345"}},
	} {
		reach, refused, err := dir.Resolve(ctx, plan.action, plan.ous, plan.accounts)
		if err != nil {
			panic(err)
		}
		fmt.Println(plan.action, reach)
		for _, r := range refused {
			fmt.Println(r.Subject, "refused:", r.Reason)
		}
	}
	// Output:
	// sweep [123456789012 345678901234 456789012345 567890123456]
	// offboard [210987654321]
	// 123456789012 refused: account 123456789012 is the function's own: offboarding it (every free connection, whatever its age) needs OFFBOARD_HOME_ACCOUNT=true
	// 456789012345 refused: account 456789012345 is neither the offboarding OU (OFFBOARD_OU_ID: ou-demo-offboard1) nor below it
	// 678901234567 refused: account 678901234567 is SUSPENDED, not ACTIVE: only ACTIVE accounts are reached
}
