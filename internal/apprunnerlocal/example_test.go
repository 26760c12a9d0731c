package apprunnerlocal_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

// The real SDK client, pointed at the emulator, sees App Runner.
func Example() {
	ctx := context.Background()
	emu := apprunnerlocal.New(apprunnerlocal.Options{})
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()

	// Any access key ID not in Options.Accounts is DefaultAccount's.
	client := apprunnerlocal.NewClient(srv.URL, "us-east-1", "AKID")

	_, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{
		ConnectionArn: aws.String("arn:aws:apprunner:us-east-1:123456789012:connection/storefront-github/04c55319304afef88d844f848df39fac"),
	})
	var invalid *types.InvalidRequestException
	fmt.Println("in use:", errors.As(err, &invalid))

	out, err := client.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{
		ConnectionArn: aws.String("arn:aws:apprunner:us-east-1:123456789012:connection/orphan-bitbucket/6872d629e5c84b3cd049f78da5806829"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(out.Connection.ConnectionName), out.Connection.Status)
	fmt.Println("DeleteConnection calls:", emu.Stats().Calls["DeleteConnection"])
	// Output:
	// in use: true
	// orphan-bitbucket DELETED
	// DeleteConnection calls: 2
}

// The real Organizations client, pointed at the emulator, sees the demo
// organization. Calls are counted apart from App Runner's.
func Example_organizations() {
	ctx := context.Background()
	emu := apprunnerlocal.New(apprunnerlocal.Options{})
	if err := emu.Load(apprunnerlocal.DemoSeed()); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()

	// DefaultAccount, which any unlisted access key belongs to, is the demo
	// organization's management account.
	client := organizations.New(organizations.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:   apprunnerlocal.HTTPClient(),
	})
	p := organizations.NewListAccountsForParentPaginator(client, &organizations.ListAccountsForParentInput{
		ParentId: aws.String("ou-demo-offboard1"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			panic(err)
		}
		for _, a := range page.Accounts {
			fmt.Println(aws.ToString(a.Id), aws.ToString(a.Name), a.Status)
		}
	}
	fmt.Println("ListAccountsForParent calls:", emu.Stats().Calls["organizations:ListAccountsForParent"])
	// Output:
	// 210987654321 legacy-platform ACTIVE
	// 678901234567 retired-experiments SUSPENDED
	// ListAccountsForParent calls: 1
}
