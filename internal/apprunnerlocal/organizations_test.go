package apprunnerlocal_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
)

// The demo organization (demo.json).
const (
	demoOrg         = "o-a1b2c3d4e5"
	demoRoot        = "r-demo"
	demoWorkloads   = "ou-demo-workloads"
	demoProduction  = "ou-demo-production"
	demoSandboxes   = "ou-demo-sandboxes"
	demoOffboarding = "ou-demo-offboard1"
	demoStorefront  = "345678901234" // in Production, below Workloads
	demoLeaving     = "210987654321" // in Offboarding
	demoSuspended   = "678901234567" // in Offboarding, SUSPENDED
	outsider        = "111111111111" // in no organization
)

// newOrgClient returns the real Organizations client for one access key,
// without retries: a test sees every error the emulator returns.
func newOrgClient(url, accessKey string) *organizations.Client {
	return organizations.New(organizations.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       apprunnerlocal.HTTPClient(),
	})
}

// demoOrgServer serves the demo seed; the access keys MEMBER, OUTSIDER and
// SUSPENDED belong to the storefront account, an account in no
// organization, and the suspended account. Any other key is the management
// account's.
func demoOrgServer(t *testing.T, opts apprunnerlocal.Options) (*apprunnerlocal.Server, string) {
	t.Helper()
	opts.Accounts = map[string]string{"MEMBER": demoStorefront, "OUTSIDER": outsider, "SUSPENDED": demoSuspended}
	s, hs := newServer(t, opts)
	if err := s.Load(apprunnerlocal.DemoSeed()); err != nil {
		t.Fatalf("Load(demo): %v", err)
	}
	return s, hs.URL
}

func TestDemoOrganizationThroughTheSDK(t *testing.T) {
	ctx := context.Background()
	_, url := demoOrgServer(t, apprunnerlocal.Options{})
	client := newOrgClient(url, "AKID")

	org, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatalf("DescribeOrganization: %v", err)
	}
	want := types.Organization{
		Id:                 aws.String(demoOrg),
		Arn:                aws.String("arn:aws:organizations::123456789012:organization/" + demoOrg),
		FeatureSet:         types.OrganizationFeatureSetAll,
		MasterAccountId:    aws.String("123456789012"),
		MasterAccountArn:   aws.String("arn:aws:organizations::123456789012:account/" + demoOrg + "/123456789012"),
		MasterAccountEmail: aws.String("aws-management@example.com"),
	}
	if diff := cmp.Diff(*org.Organization, want, cmp.AllowUnexported(types.Organization{})); diff != "" {
		t.Errorf("Organization (-got +want):\n%s", diff)
	}

	roots, err := client.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatalf("ListRoots: %v", err)
	}
	if len(roots.Roots) != 1 || aws.ToString(roots.Roots[0].Id) != demoRoot || roots.NextToken != nil {
		t.Fatalf("ListRoots = %+v, want the one root %s", roots, demoRoot)
	}
	if got, want := aws.ToString(roots.Roots[0].Arn), "arn:aws:organizations::123456789012:root/"+demoOrg+"/"+demoRoot; got != want {
		t.Errorf("root ARN = %s, want %s", got, want)
	}

	tree := map[string][]string{}
	var walk func(parent string)
	walk = func(parent string) {
		ous, err := client.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		if err != nil {
			t.Fatalf("ListOrganizationalUnitsForParent(%s): %v", parent, err)
		}
		accounts, err := client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		if err != nil {
			t.Fatalf("ListAccountsForParent(%s): %v", parent, err)
		}
		for _, a := range accounts.Accounts {
			tree[parent] = append(tree[parent], aws.ToString(a.Id)+" "+aws.ToString(a.Name)+" "+string(a.Status))
		}
		for _, ou := range ous.OrganizationalUnits {
			tree[parent] = append(tree[parent], aws.ToString(ou.Id)+" "+aws.ToString(ou.Name))
			walk(aws.ToString(ou.Id))
		}
	}
	walk(demoRoot)
	wantTree := map[string][]string{
		demoRoot:        {"123456789012 management ACTIVE", demoOffboarding + " Offboarding", demoWorkloads + " Workloads"},
		demoWorkloads:   {demoProduction + " Production", demoSandboxes + " Sandboxes"},
		demoProduction:  {demoStorefront + " storefront-prod ACTIVE", "456789012345 billing-prod ACTIVE"},
		demoSandboxes:   {"567890123456 sandbox-web ACTIVE"},
		demoOffboarding: {demoLeaving + " legacy-platform ACTIVE", demoSuspended + " retired-experiments SUSPENDED"},
	}
	if diff := cmp.Diff(tree, wantTree); diff != "" {
		t.Errorf("organization tree (-got +want):\n%s", diff)
	}

	acc, err := client.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(demoSuspended)})
	if err != nil {
		t.Fatalf("DescribeAccount: %v", err)
	}
	a := acc.Account
	if a.Status != types.AccountStatusSuspended || a.State != types.AccountStateSuspended ||
		aws.ToString(a.Arn) != "arn:aws:organizations::123456789012:account/"+demoOrg+"/"+demoSuspended ||
		aws.ToString(a.Email) != "aws-retired-experiments@example.com" || a.JoinedMethod != types.AccountJoinedMethodCreated ||
		a.JoinedTimestamp == nil {
		t.Errorf("DescribeAccount(%s) = %+v", demoSuspended, *a)
	}
	ou, err := client.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(demoOffboarding)})
	if err != nil || aws.ToString(ou.OrganizationalUnit.Name) != "Offboarding" {
		t.Errorf("DescribeOrganizationalUnit(%s) = %v, %v; want Offboarding", demoOffboarding, ou, err)
	}
	children, err := client.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(demoRoot), ChildType: types.ChildTypeOrganizationalUnit})
	if err != nil || len(children.Children) != 2 || children.Children[0].Type != types.ChildTypeOrganizationalUnit {
		t.Errorf("ListChildren(root, OUs) = %+v, %v; want the 2 OUs", children, err)
	}
}

func TestListParentsWalksFromANestedAccountToTheRoot(t *testing.T) {
	ctx := context.Background()
	_, url := demoOrgServer(t, apprunnerlocal.Options{})
	client := newOrgClient(url, "AKID")
	var path []string
	for child := demoStorefront; ; {
		out, err := client.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(child)})
		if err != nil {
			t.Fatalf("ListParents(%s): %v", child, err)
		}
		if len(out.Parents) != 1 || out.NextToken != nil {
			t.Fatalf("ListParents(%s) = %+v, want one parent and no NextToken", child, out)
		}
		p := out.Parents[0]
		path = append(path, aws.ToString(p.Id)+" "+string(p.Type))
		if p.Type == types.ParentTypeRoot {
			break
		}
		child = aws.ToString(p.Id)
	}
	want := []string{demoProduction + " ORGANIZATIONAL_UNIT", demoWorkloads + " ORGANIZATIONAL_UNIT", demoRoot + " ROOT"}
	if diff := cmp.Diff(path, want); diff != "" {
		t.Errorf("path to the root (-got +want):\n%s", diff)
	}
}

// bigOrganization is a seed of an organization with nOUs OUs under its
// root and nAccounts accounts in its first OU, listed in reverse order.
func bigOrganization(nOUs, nAccounts int) *apprunnerlocal.Seed {
	so := &apprunnerlocal.SeedOrganization{
		ID: "o-bigorg0001", ManagementAccount: "100000000000", RootID: "r-big1",
		Accounts: []apprunnerlocal.SeedOrgAccount{{ID: "100000000000"}},
	}
	for i := nOUs - 1; i >= 0; i-- {
		so.OrganizationalUnits = append(so.OrganizationalUnits,
			apprunnerlocal.SeedOrganizationalUnit{ID: fmt.Sprintf("ou-big1-%08d", i), Name: fmt.Sprintf("unit %d", i)})
	}
	for i := nAccounts - 1; i >= 0; i-- {
		so.Accounts = append(so.Accounts, apprunnerlocal.SeedOrgAccount{ID: fmt.Sprintf("2000%08d", i), Parent: "ou-big1-00000000"})
	}
	return &apprunnerlocal.Seed{Organization: so}
}

func TestOrganizationsPaginatorsReachTheLastPage(t *testing.T) {
	ctx := context.Background()
	const nOUs, nAccounts = 25, 45
	s, hs := newServer(t, apprunnerlocal.Options{Accounts: map[string]string{"MGMT": "100000000000"}})
	if err := s.Load(bigOrganization(nOUs, nAccounts)); err != nil {
		t.Fatalf("Load: %v", err)
	}
	client := newOrgClient(hs.URL, "MGMT")
	var wantOUs, wantAccounts []string
	for i := range nOUs {
		wantOUs = append(wantOUs, fmt.Sprintf("ou-big1-%08d", i))
	}
	for i := range nAccounts {
		wantAccounts = append(wantAccounts, fmt.Sprintf("2000%08d", i))
	}

	for _, max := range []int32{0, 1, 7, 20} {
		t.Run(fmt.Sprintf("MaxResults=%d", max), func(t *testing.T) {
			var maxResults *int32
			if max > 0 {
				maxResults = aws.Int32(max)
			}
			pageSize := cmpOr(int(max), 20)

			var ous []string
			pages := 0
			p := organizations.NewListOrganizationalUnitsForParentPaginator(client, &organizations.ListOrganizationalUnitsForParentInput{
				ParentId: aws.String("r-big1"), MaxResults: maxResults})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListOrganizationalUnitsForParent page %d: %v", pages+1, err)
				}
				pages++
				if len(page.OrganizationalUnits) > pageSize {
					t.Errorf("page %d holds %d OUs, more than %d", pages, len(page.OrganizationalUnits), pageSize)
				}
				for _, ou := range page.OrganizationalUnits {
					ous = append(ous, aws.ToString(ou.Id))
				}
			}
			if diff := cmp.Diff(ous, wantOUs); diff != "" {
				t.Errorf("OUs (-got +want):\n%s", diff)
			}
			if want := (nOUs + pageSize - 1) / pageSize; pages != want {
				t.Errorf("%d pages of OUs, want %d", pages, want)
			}

			var accounts []string
			ap := organizations.NewListAccountsForParentPaginator(client, &organizations.ListAccountsForParentInput{
				ParentId: aws.String("ou-big1-00000000"), MaxResults: maxResults})
			for ap.HasMorePages() {
				page, err := ap.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListAccountsForParent: %v", err)
				}
				for _, a := range page.Accounts {
					accounts = append(accounts, aws.ToString(a.Id))
				}
			}
			if diff := cmp.Diff(accounts, wantAccounts); diff != "" {
				t.Errorf("accounts (-got +want):\n%s", diff)
			}

			var all []string
			lp := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{MaxResults: maxResults})
			for lp.HasMorePages() {
				page, err := lp.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListAccounts: %v", err)
				}
				for _, a := range page.Accounts {
					all = append(all, aws.ToString(a.Id))
				}
			}
			if diff := cmp.Diff(all, append([]string{"100000000000"}, wantAccounts...)); diff != "" {
				t.Errorf("all accounts (-got +want):\n%s", diff)
			}

			var children []string
			cp := organizations.NewListChildrenPaginator(client, &organizations.ListChildrenInput{
				ParentId: aws.String("ou-big1-00000000"), ChildType: types.ChildTypeAccount, MaxResults: maxResults})
			for cp.HasMorePages() {
				page, err := cp.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListChildren: %v", err)
				}
				for _, c := range page.Children {
					children = append(children, aws.ToString(c.Id))
				}
			}
			if diff := cmp.Diff(children, wantAccounts); diff != "" {
				t.Errorf("children (-got +want):\n%s", diff)
			}
		})
	}
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// statusOf returns the HTTP status of a failed SDK call.
func statusOf(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestOrganizationsErrorsDecodeIntoTheSDKsTypes(t *testing.T) {
	ctx := context.Background()
	_, url := demoOrgServer(t, apprunnerlocal.Options{})
	client := newOrgClient(url, "AKID")
	// A token issued for another parent.
	two, err := client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(demoOffboarding), MaxResults: aws.Int32(1)})
	if err != nil || two.NextToken == nil {
		t.Fatalf("ListAccountsForParent(Offboarding, 1) = %v, %v; want a NextToken", two, err)
	}

	invalid := func(reason types.InvalidInputExceptionReason) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			var e *types.InvalidInputException
			if !errors.As(err, &e) || e.Reason != reason {
				t.Errorf("error %v, want InvalidInputException with Reason %s", err, reason)
			}
		}
	}
	is := func(target any) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			if !errors.As(err, target) {
				t.Errorf("error %v (%T), want %T", err, err, target)
			}
		}
	}
	tests := []struct {
		name  string
		call  func() error
		check func(t *testing.T, err error)
	}{
		{"unknown parent", func() error {
			_, err := client.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("ou-demo-nosuchou1")})
			return err
		}, is(new(*types.ParentNotFoundException))},
		{"unknown parent of accounts", func() error {
			_, err := client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("r-zzzz")})
			return err
		}, is(new(*types.ParentNotFoundException))},
		{"unknown child", func() error {
			_, err := client.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(outsider)})
			return err
		}, is(new(*types.ChildNotFoundException))},
		{"unknown account", func() error {
			_, err := client.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(outsider)})
			return err
		}, is(new(*types.AccountNotFoundException))},
		{"unknown OU", func() error {
			_, err := client.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-demo-nosuchou1")})
			return err
		}, is(new(*types.OrganizationalUnitNotFoundException))},
		{"root as child", func() error {
			_, err := client.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(demoRoot)})
			return err
		}, invalid(types.InvalidInputExceptionReasonInvalidPattern)},
		{"malformed parent", func() error {
			_, err := client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-A1B2")})
			return err
		}, invalid(types.InvalidInputExceptionReasonInvalidPattern)},
		{"account ID too long", func() error {
			_, err := client.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("1234567890123")})
			return err
		}, invalid(types.InvalidInputExceptionReasonMaxLengthExceeded)},
		{"MaxResults 21", func() error {
			_, err := client.ListRoots(ctx, &organizations.ListRootsInput{MaxResults: aws.Int32(21)})
			return err
		}, invalid(types.InvalidInputExceptionReasonMaxValueExceeded)},
		{"MaxResults 0", func() error {
			_, err := client.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(0)})
			return err
		}, invalid(types.InvalidInputExceptionReasonMinValueExceeded)},
		{"invalid ChildType", func() error {
			_, err := client.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(demoRoot), ChildType: "POLICY"})
			return err
		}, invalid(types.InvalidInputExceptionReasonInvalidEnum)},
		{"forged NextToken", func() error {
			_, err := client.ListAccounts(ctx, &organizations.ListAccountsInput{NextToken: aws.String("not-a-token")})
			return err
		}, invalid(types.InvalidInputExceptionReasonInvalidPaginationToken)},
		{"NextToken of another parent", func() error {
			_, err := client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(demoProduction), NextToken: two.NextToken})
			return err
		}, invalid(types.InvalidInputExceptionReasonInvalidPaginationToken)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			tt.check(t, err)
			if got := statusOf(err); got != http.StatusBadRequest {
				t.Errorf("HTTP status %d, want 400", got)
			}
			var apiErr smithy.APIError
			if errors.As(err, &apiErr) && apiErr.ErrorMessage() == "" {
				t.Errorf("error %v has no message", err)
			}
		})
	}
}

func TestOrganizationsCallersAsTheRealServiceAllows(t *testing.T) {
	ctx := context.Background()
	listRoots := func(c *organizations.Client) error {
		_, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
		return err
	}
	describe := func(c *organizations.Client) error {
		_, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
		return err
	}

	_, url := demoOrgServer(t, apprunnerlocal.Options{})
	if err := describe(newOrgClient(url, "MEMBER")); err != nil {
		t.Errorf("DescribeOrganization by a member account: %v, want it allowed", err)
	}
	var denied *types.AccessDeniedException
	if err := listRoots(newOrgClient(url, "MEMBER")); !errors.As(err, &denied) {
		t.Errorf("ListRoots by a member account: %v, want AccessDeniedException", err)
	}
	var notInUse *types.AWSOrganizationsNotInUseException
	for _, call := range []func(*organizations.Client) error{describe, listRoots} {
		if err := call(newOrgClient(url, "OUTSIDER")); !errors.As(err, &notInUse) {
			t.Errorf("an account outside the organization: %v, want AWSOrganizationsNotInUseException", err)
		}
	}

	_, delegated := demoOrgServer(t, apprunnerlocal.Options{DelegatedAdministrators: []string{demoStorefront, outsider}})
	if err := listRoots(newOrgClient(delegated, "MEMBER")); err != nil {
		t.Errorf("ListRoots by a delegated administrator: %v, want it allowed", err)
	}
	if err := listRoots(newOrgClient(delegated, "OUTSIDER")); !errors.As(err, &notInUse) {
		t.Errorf("ListRoots by a 'delegated administrator' outside the organization: %v, want AWSOrganizationsNotInUseException", err)
	}

	_, empty := newServer(t, apprunnerlocal.Options{})
	if err := describe(newOrgClient(empty.URL, "AKID")); !errors.As(err, &notInUse) {
		t.Errorf("DescribeOrganization with no organization loaded: %v, want AWSOrganizationsNotInUseException", err)
	}
}

func TestAssumeRoleByNameInTheOrganizationsAccounts(t *testing.T) {
	ctx := context.Background()
	const name = "AppRunnerConnectionCleanup"
	_, url := demoOrgServer(t, apprunnerlocal.Options{
		AssumableRoleNames: []string{name},
		AssumableRoles:     []string{"arn:aws:iam::" + outsider + ":role/Exact"},
	})
	home := newSTS(url, "AKID")
	for _, account := range []string{demoStorefront, demoLeaving, "123456789012"} {
		role := "arn:aws:iam::" + account + ":role/" + name
		creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(home, role))
		who, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds,
			HTTPClient: apprunnerlocal.HTTPClient(), RetryMaxAttempts: 1}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(who.Account) != account {
			t.Errorf("through %s: caller identity %v, %v; want account %s", role, who, err, account)
		}
	}
	refused := []string{
		"arn:aws:iam::" + outsider + ":role/" + name,             // not in the organization
		"arn:aws:iam::" + demoSuspended + ":role/" + name,        // suspended
		"arn:aws:iam::" + demoStorefront + ":role/Other",         // another name
		"arn:aws:iam::" + demoStorefront + ":role/" + name + "x", // not the same name
	}
	for _, role := range refused {
		_, err := home.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("test")})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
			t.Errorf("AssumeRole(%s): %v, want AccessDenied", role, err)
		}
	}
	if _, err := home.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + outsider + ":role/Exact"),
		RoleSessionName: aws.String("test")}); err != nil {
		t.Errorf("AssumeRole of a role in AssumableRoles: %v, want it granted", err)
	}
	if _, err := home.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + demoStorefront + ":role/team/" + name),
		RoleSessionName: aws.String("test")}); err != nil {
		t.Errorf("AssumeRole of a named role with a path: %v, want it granted", err)
	}
}

func TestOrganizationsCallsAreCountedApartAndObeyTheKnobs(t *testing.T) {
	ctx := context.Background()
	s, url := demoOrgServer(t, apprunnerlocal.Options{
		RateLimits: map[string]apprunnerlocal.RateLimit{"organizations:ListRoots": {PerSecond: 0.001, Burst: 1}},
	})
	client := newOrgClient(url, "AKID")
	s.ResetStats()
	if _, err := client.ListRoots(ctx, &organizations.ListRootsInput{}); err != nil {
		t.Fatalf("first ListRoots: %v", err)
	}
	_, err := client.ListRoots(ctx, &organizations.ListRootsInput{})
	var tooMany *types.TooManyRequestsException
	if !errors.As(err, &tooMany) {
		t.Errorf("second ListRoots: %v, want TooManyRequestsException", err)
	}
	_, _ = client.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(outsider)})
	want := apprunnerlocal.Stats{
		Calls: map[string]int{"organizations:ListRoots": 2, "organizations:DescribeAccount": 1},
		Outcomes: map[string]map[string]int{
			"organizations:ListRoots":       {"ok": 1, "TooManyRequestsException": 1},
			"organizations:DescribeAccount": {"AccountNotFoundException": 1},
		},
	}
	if diff := cmp.Diff(s.Stats(), want); diff != "" {
		t.Errorf("Stats (-got +want):\n%s", diff)
	}

	s.SetOptions(func(o *apprunnerlocal.Options) { o.FaultRate = 1 })
	_, err = client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	var fault *types.ServiceException
	if !errors.As(err, &fault) || statusOf(err) != http.StatusInternalServerError {
		t.Errorf("DescribeOrganization with FaultRate 1: %v, want ServiceException (500)", err)
	}
}

func TestOrganizationsRawProtocol(t *testing.T) {
	_, url := demoOrgServer(t, apprunnerlocal.Options{})
	send := func(target, body string) (int, string, string) {
		req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(data)
	}
	tests := []struct {
		name, target, body string
		wantStatus         int
		wantBody           string
	}{
		{"describe", "AWSOrganizationsV20161128.DescribeOrganization", `{}`, 200, `"MasterAccountId":"123456789012"`},
		{"empty body", "AWSOrganizationsV20161128.ListRoots", ``, 200, `"PolicyTypes":[]`},
		{"epoch timestamps", "AWSOrganizationsV20161128.DescribeAccount", `{"AccountId":"210987654321"}`, 200, `"JoinedTimestamp":1`},
		{"not emulated", "AWSOrganizationsV20161128.CreateAccount", `{}`, 400, `"__type":"UnknownOperationException"`},
		{"missing member", "AWSOrganizationsV20161128.ListParents", `{}`, 400, `"Reason":"INPUT_REQUIRED"`},
		{"malformed JSON", "AWSOrganizationsV20161128.ListRoots", `{`, 400, `"__type":"SerializationException"`},
		{"not found", "AWSOrganizationsV20161128.ListParents", `{"ChildId":"999999999999"}`, 400, `{"__type":"ChildNotFoundException","message":"We can't find`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ctype, body := send(tt.target, tt.body)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("got %d %s, want %d containing %s", status, body, tt.wantStatus, tt.wantBody)
			}
			if ctype != "application/x-amz-json-1.1" {
				t.Errorf("Content-Type = %q, want application/x-amz-json-1.1", ctype)
			}
		})
	}
}

// The function will find the emulator through AWS_ENDPOINT_URL_ORGANIZATIONS,
// as it finds App Runner's and STS's.
func TestOrganizationsEndpointFromTheEnvironment(t *testing.T) {
	_, url := demoOrgServer(t, apprunnerlocal.Options{})
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_CA_BUNDLE", "") // LoadDefaultConfig cannot add one to HTTPClient()
	t.Setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithHTTPClient(apprunnerlocal.HTTPClient()),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")))
	if err != nil {
		t.Fatal(err)
	}
	out, err := organizations.NewFromConfig(cfg).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || aws.ToString(out.Organization.Id) != demoOrg {
		t.Errorf("DescribeOrganization through AWS_ENDPOINT_URL_ORGANIZATIONS = %v, %v; want %s", out, err, demoOrg)
	}
}

func TestParseSeedRejectsBadOrganizations(t *testing.T) {
	const ok = `"id":"o-exampleorg","managementAccount":"123456789012","rootId":"r-ex12"`
	const mgmt = `{"id":"123456789012"}`
	tests := []struct{ name, org string }{
		{"bad org ID", `{"id":"o-short","managementAccount":"123456789012","rootId":"r-ex12","accounts":[` + mgmt + `]}`},
		{"bad root ID", `{"id":"o-exampleorg","managementAccount":"123456789012","rootId":"root","accounts":[` + mgmt + `]}`},
		{"management not an account", `{` + ok + `,"accounts":[{"id":"210987654321"}]}`},
		{"OU of another root", `{` + ok + `,"organizationalUnits":[{"id":"ou-zz99-abcdefgh","name":"x"}],"accounts":[` + mgmt + `]}`},
		{"OU without name", `{` + ok + `,"organizationalUnits":[{"id":"ou-ex12-abcdefgh"}],"accounts":[` + mgmt + `]}`},
		{"unknown parent", `{` + ok + `,"organizationalUnits":[{"id":"ou-ex12-abcdefgh","name":"x","parent":"ou-ex12-missing1"}],"accounts":[` + mgmt + `]}`},
		{"cycle", `{` + ok + `,"organizationalUnits":[{"id":"ou-ex12-aaaaaaaa","name":"a","parent":"ou-ex12-bbbbbbbb"},{"id":"ou-ex12-bbbbbbbb","name":"b","parent":"ou-ex12-aaaaaaaa"}],"accounts":[` + mgmt + `]}`},
		{"six levels", `{` + ok + `,"organizationalUnits":[{"id":"ou-ex12-aaaaaaa1","name":"1"},{"id":"ou-ex12-aaaaaaa2","name":"2","parent":"ou-ex12-aaaaaaa1"},{"id":"ou-ex12-aaaaaaa3","name":"3","parent":"ou-ex12-aaaaaaa2"},{"id":"ou-ex12-aaaaaaa4","name":"4","parent":"ou-ex12-aaaaaaa3"},{"id":"ou-ex12-aaaaaaa5","name":"5","parent":"ou-ex12-aaaaaaa4"},{"id":"ou-ex12-aaaaaaa6","name":"6","parent":"ou-ex12-aaaaaaa5"}],"accounts":[` + mgmt + `]}`},
		{"duplicate account", `{` + ok + `,"accounts":[` + mgmt + `,` + mgmt + `]}`},
		{"bad status", `{` + ok + `,"accounts":[{"id":"123456789012","status":"CLOSED"}]}`},
		{"state of another status", `{` + ok + `,"accounts":[{"id":"123456789012","status":"ACTIVE","state":"CLOSED"}]}`},
		{"bad email", `{` + ok + `,"accounts":[{"id":"123456789012","email":"nobody"}]}`},
		{"unknown field", `{` + ok + `,"accounts":[{"id":"123456789012","colour":"red"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := `{"accounts":{},"organization":` + tt.org + `}`
			if _, err := apprunnerlocal.ParseSeed([]byte(seed)); err == nil {
				t.Errorf("ParseSeed(%s) succeeded, want an error", seed)
			}
		})
	}
	fiveLevels := `{"organization":{` + ok + `,"organizationalUnits":[{"id":"ou-ex12-aaaaaaa1","name":"1"},{"id":"ou-ex12-aaaaaaa2","name":"2","parent":"ou-ex12-aaaaaaa1"},{"id":"ou-ex12-aaaaaaa3","name":"3","parent":"ou-ex12-aaaaaaa2"},{"id":"ou-ex12-aaaaaaa4","name":"4","parent":"ou-ex12-aaaaaaa3"},{"id":"ou-ex12-aaaaaaa5","name":"5","parent":"ou-ex12-aaaaaaa4"}],"accounts":[{"id":"123456789012","state":"PENDING_ACTIVATION"}]}}`
	if _, err := apprunnerlocal.ParseSeed([]byte(fiveLevels)); err != nil {
		t.Errorf("ParseSeed(five levels of OUs): %v, want it accepted", err)
	}
}

func TestLoadRefusesASecondOrganization(t *testing.T) {
	s := apprunnerlocal.New(apprunnerlocal.Options{})
	if err := s.Load(bigOrganization(1, 1)); err != nil {
		t.Fatalf("Load: %v", err)
	}
	seed := apprunnerlocal.DemoSeed()
	if err := s.Load(seed); err == nil {
		t.Fatal("loading a second organization succeeded, want an error")
	}
	// All or nothing: the demo's connections were not added either.
	if got := s.Connections(acct, "us-east-1"); len(got) != 0 {
		t.Errorf("a refused Load left %d connections", len(got))
	}
	seed.Organization = nil
	if err := s.Load(seed); err != nil {
		t.Errorf("Load(demo without its organization): %v", err)
	}
	if !slices.ContainsFunc(s.Connections(acct, "us-east-1"), func(c apprunnerlocal.ConnectionState) bool { return c.Name == "legacy-github" }) {
		t.Error("the demo's connections are missing")
	}
}

// orgCalls are calls of several services by the management account of the
// demo organization, by name: Organizations' as "organizations:<Operation>",
// as RateLimits and Stats name them, and one of App Runner and of STS,
// which Organizations' buckets must leave alone.
func orgCalls(url string) map[string]func(context.Context) error {
	org := newOrgClient(url, "AKID")
	return map[string]func(context.Context) error{
		"organizations:DescribeOrganization": func(ctx context.Context) error {
			_, err := org.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		},
		"organizations:ListRoots": func(ctx context.Context) error {
			_, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
			return err
		},
		"organizations:ListAccounts": func(ctx context.Context) error {
			_, err := org.ListAccounts(ctx, &organizations.ListAccountsInput{})
			return err
		},
		"organizations:ListParents": func(ctx context.Context) error {
			_, err := org.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(demoStorefront)})
			return err
		},
		"ListConnections": func(ctx context.Context) error {
			_, err := apprunnerlocal.NewClient(url, "us-east-1", "AKID", noRetries).ListConnections(ctx, &apprunner.ListConnectionsInput{})
			return err
		},
		"sts:GetCallerIdentity": func(ctx context.Context) error {
			_, err := newSTS(url, "AKID").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		},
	}
}

// TestOrganizationsThrottledAsAWhole: the bucket keyed
// OrganizationsRateLimitKey holds every Organizations call to one rate,
// whatever the operation, besides any bucket of the operation's own; a
// call is admitted only when each bucket that applies has a token, so a
// refusal by one spends nothing of another.
func TestOrganizationsThrottledAsAWhole(t *testing.T) {
	const (
		ok      = "ok"
		tooMany = "TooManyRequestsException"
		all     = apprunnerlocal.OrganizationsRateLimitKey
	)
	type call struct {
		op    string
		after time.Duration // the clock moves on this much first
		want  string
	}
	tests := []struct {
		name   string
		limits map[string]apprunnerlocal.RateLimit
		calls  []call
	}{
		{"one bucket for every operation", map[string]apprunnerlocal.RateLimit{all: {PerSecond: 1, Burst: 3}}, []call{
			{op: "organizations:DescribeOrganization", want: ok},
			{op: "organizations:ListRoots", want: ok},
			{op: "organizations:ListAccounts", want: ok},
			{op: "organizations:ListParents", want: tooMany},
			{op: "ListConnections", want: ok},
			{op: "sts:GetCallerIdentity", want: ok},
			{op: "organizations:ListParents", after: time.Second, want: ok},
			{op: "organizations:ListRoots", want: tooMany},
		}},
		{"an operation's own bucket as well", map[string]apprunnerlocal.RateLimit{
			all: {PerSecond: 1, Burst: 3}, "organizations:ListRoots": {PerSecond: 0.001, Burst: 1},
		}, []call{
			{op: "organizations:ListRoots", want: ok},
			{op: "organizations:ListRoots", want: tooMany},
			// The refused ListRoots took nothing from the shared bucket:
			// two of its three tokens are left.
			{op: "organizations:DescribeOrganization", want: ok},
			{op: "organizations:ListAccounts", want: ok},
			{op: "organizations:ListParents", want: tooMany},
		}},
		{"a call the shared bucket refuses keeps its operation's token", map[string]apprunnerlocal.RateLimit{
			all: {PerSecond: 1, Burst: 1}, "organizations:ListRoots": {PerSecond: 0.001, Burst: 1},
		}, []call{
			{op: "organizations:DescribeOrganization", want: ok},
			{op: "organizations:ListRoots", want: tooMany},
			{op: "organizations:ListRoots", after: time.Second, want: ok},
		}},
		{"without it, operations are throttled apart", map[string]apprunnerlocal.RateLimit{
			"organizations:ListRoots": {PerSecond: 0.001, Burst: 1},
		}, []call{
			{op: "organizations:ListRoots", want: ok},
			{op: "organizations:ListRoots", want: tooMany},
			{op: "organizations:DescribeOrganization", want: ok},
			{op: "organizations:ListAccounts", want: ok},
			{op: "organizations:ListParents", want: ok},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			var mu sync.Mutex
			now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			s, url := demoOrgServer(t, apprunnerlocal.Options{RateLimits: tt.limits, Now: func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				return now
			}})
			calls := orgCalls(url)
			want := map[string]map[string]int{}
			for i, c := range tt.calls {
				mu.Lock()
				now = now.Add(c.after)
				mu.Unlock()
				err := calls[c.op](ctx)
				var throttled *types.TooManyRequestsException
				switch {
				case c.want == ok && err != nil:
					t.Errorf("call %d, %s: %v, want it admitted", i, c.op, err)
				case c.want == tooMany && (!errors.As(err, &throttled) || statusOf(err) != http.StatusBadRequest):
					t.Errorf("call %d, %s: %v, want TooManyRequestsException (HTTP 400)", i, c.op, err)
				}
				if want[c.op] == nil {
					want[c.op] = map[string]int{}
				}
				want[c.op][c.want]++
			}
			if diff := cmp.Diff(want, s.Stats().Outcomes); diff != "" {
				t.Errorf("outcomes counted (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOrganizationsThrottledAsAWholeTheSDKRetries: under a shared bucket,
// concurrent callers of different operations are refused with
// TooManyRequestsException, which the SDK's standard retryer knows as
// throttling and retries until each call is admitted; the bucket holds
// them to its rate all along.
func TestOrganizationsThrottledAsAWholeTheSDKRetries(t *testing.T) {
	const (
		perSecond = 20
		burst     = 3
		callers   = 3
		perCaller = 4
	)
	s, url := demoOrgServer(t, apprunnerlocal.Options{RateLimits: map[string]apprunnerlocal.RateLimit{
		apprunnerlocal.OrganizationsRateLimitKey: {PerSecond: perSecond, Burst: burst},
	}})
	// The SDK's standard retryer with its retry quota, but enough attempts
	// for three callers sharing a token every 50 ms, and short jittered
	// delays instead of the default (up to 20 s), so that the test takes
	// a second, not minutes; jitter keeps the callers from taking turns
	// in lockstep.
	client := organizations.New(organizations.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: apprunnerlocal.HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 20
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
				return 10*time.Millisecond + rand.N(50*time.Millisecond), nil
			})
		}),
	})
	ops := []func(context.Context) error{
		func(ctx context.Context) error {
			_, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		},
		func(ctx context.Context) error {
			_, err := client.ListRoots(ctx, &organizations.ListRootsInput{})
			return err
		},
		func(ctx context.Context) error {
			_, err := client.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(demoStorefront)})
			return err
		},
		func(ctx context.Context) error {
			_, err := client.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(demoProduction)})
			return err
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	errs := make(chan error, callers*perCaller)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range perCaller {
				errs <- ops[(c+i)%len(ops)](ctx)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a call failed despite the SDK's retries: %v", err)
		}
	}
	admitted, refused := 0, 0
	for op, outcomes := range s.Stats().Outcomes {
		if strings.HasPrefix(op, "organizations:") {
			admitted += outcomes["ok"]
			refused += outcomes["TooManyRequestsException"]
		}
	}
	if admitted != callers*perCaller || refused == 0 {
		t.Errorf("%d calls admitted and %d refused, want %d admitted after some refusals", admitted, refused, callers*perCaller)
	}
	// A token bucket admits at most burst + rate × time.
	if least := time.Duration(float64(callers*perCaller-burst) / perSecond * float64(time.Second)); elapsed < least {
		t.Errorf("%d calls took %v, want at least %v at %d a second", admitted, elapsed, least, perSecond)
	}
	t.Logf("%d calls admitted, %d refused and retried, in %v", admitted, refused, elapsed)
}
