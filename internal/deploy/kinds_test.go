package deploy

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/cleanup"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// The four kinds of leftover in IAM: each kind's calls on its own ARNs
// only, in the function's role and the member role, under every Deny that
// holds back a DeleteConnection; and the ResourceTypes parameter that
// tells the function which kinds to clean up.

// leftoverKind is what IAM sees of one kind of leftover.
type leftoverKind struct {
	kind request.Kind
	// pattern is the resource part of the kind's ARNs in the Allow
	// statements: NAME/ID for a connection, NAME/REVISION/ID for the others.
	pattern string
	// ops are the calls the engine makes on the kind's ARNs; deleteOp
	// is the one that deletes.
	ops      []string
	deleteOp string
	// sample is the resource part of one full ARN of the kind.
	sample string
}

// The calls on every kind's ARNs: the protection tag and the idle mark.
var tagOps = []string{"ListTagsForResource", "TagResource", "UntagResource"}

var leftoverKinds = []leftoverKind{
	{request.KindConnection, "connection/*/*",
		append([]string{"DeleteConnection"}, tagOps...), "DeleteConnection",
		"connection/my-github/0123456789abcdef0123456789abcdef"},
	{request.KindVPCConnector, "vpcconnector/*/*/*",
		append([]string{"DescribeVpcConnector", "DeleteVpcConnector"}, tagOps...), "DeleteVpcConnector",
		"vpcconnector/private-egress/1/0123456789abcdef0123456789abcdef"},
	{request.KindAutoScaling, "autoscalingconfiguration/*/*/*",
		append([]string{"DescribeAutoScalingConfiguration", "ListServicesForAutoScalingConfiguration", "DeleteAutoScalingConfiguration"}, tagOps...),
		"DeleteAutoScalingConfiguration",
		"autoscalingconfiguration/high-traffic/3/0123456789abcdef0123456789abcdef"},
	{request.KindObservability, "observabilityconfiguration/*/*/*",
		append([]string{"DescribeObservabilityConfiguration", "DeleteObservabilityConfiguration"}, tagOps...),
		"DeleteObservabilityConfiguration",
		"observabilityconfiguration/tracing/2/0123456789abcdef0123456789abcdef"},
}

// The calls on no kind's ARNs: the List actions, which support no
// resource-level permissions (Service Authorization Reference, AWS App
// Runner: no resource type), and the services' descriptions.
var (
	unscopedListOps = []string{"ListConnections", "ListServices", "ListVpcConnectors", "ListAutoScalingConfigurations", "ListObservabilityConfigurations"}
	serviceOps      = []string{"DescribeService"}
)

// A role's scope: the ARN of a resource, for the Allow statements (an !Sub
// of the resource part) and for a request (a full ARN in region).
type roleScope struct {
	name     string
	stmts    func(t *testing.T) []statement // its Allow statements
	arnOf    func(resource string) any
	regions  []string // where the role acts
	evalTmpl func(t *testing.T) (tmpl map[string]any, roleID string)
}

func roleScopes() []roleScope {
	allow := func(stmts []statement) []statement {
		var out []statement
		for _, s := range stmts {
			if s.Effect == "Allow" {
				out = append(out, s)
			}
		}
		return out
	}
	return []roleScope{
		{
			name:  "function role",
			stmts: func(t *testing.T) []statement { return allow(policyStatements(t, loadTemplate(t))) },
			// Its own region and account.
			arnOf: func(resource string) any {
				return map[string]any{"Fn::Sub": "arn:${AWS::Partition}:apprunner:${AWS::Region}:${AWS::AccountId}:" + resource}
			},
			regions: []string{"us-east-1"}, // cfnEnv's AWS::Region
			evalTmpl: func(t *testing.T) (map[string]any, string) {
				tmpl := loadTemplate(t)
				return tmpl, functionRoleID(t, tmpl)
			},
		},
		{
			name:  "member role",
			stmts: func(t *testing.T) []statement { return allow(memberPermissions(t, loadMemberRole(t))) },
			// Every region of its account: offboard requests name theirs.
			arnOf: func(resource string) any {
				return map[string]any{"Fn::Sub": "arn:${AWS::Partition}:apprunner:*:${AWS::AccountId}:" + resource}
			},
			regions: request.AppRunnerRegions("aws"),
			evalTmpl: func(t *testing.T) (map[string]any, string) {
				return loadMemberRole(t), memberRoleID
			},
		},
	}
}

// wantScopes is, for each App Runner action the engine calls, the
// resources an Allow must grant it on, each once, sorted.
func wantScopes(arnOf func(string) any) map[string][]string {
	out := map[string][]string{}
	for _, op := range unscopedListOps {
		out["apprunner:"+op] = []string{"*"}
	}
	for _, op := range serviceOps {
		out["apprunner:"+op] = []string{fmt.Sprint(arnOf("service/*/*"))}
	}
	for _, k := range leftoverKinds {
		for _, op := range k.ops {
			out["apprunner:"+op] = append(out["apprunner:"+op], fmt.Sprint(arnOf(k.pattern)))
		}
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

// sampleARN is a full ARN of kind k in region, of the account cfnEnv deploys to.
func sampleARN(k leftoverKind, region string) string {
	return "arn:aws:apprunner:" + region + ":123456789012:" + k.sample
}

func TestLeftoverKindsAreEveryKindAndTheirCallsEveryOperation(t *testing.T) {
	var kinds []request.Kind
	ops := slices.Concat(unscopedListOps, serviceOps)
	for _, k := range leftoverKinds {
		kinds = append(kinds, k.kind)
		ops = append(ops, k.ops...)
		if !slices.Contains(k.ops, k.deleteOp) {
			t.Errorf("%s: deleteOp %s is not among its ops %v", k.kind, k.deleteOp, k.ops)
		}
		if got, want := strings.Split(k.pattern, "/")[0], k.kind.ARNResource(); got != want {
			t.Errorf("%s: pattern %s, want ARNs of %s", k.kind, k.pattern, want)
		}
		if !stringLike(k.pattern, k.sample) {
			t.Errorf("%s: sample %s does not match %s", k.kind, k.sample, k.pattern)
		}
		if _, err := request.ParseKindARN(sampleARN(k, "us-east-1"), k.kind); err != nil {
			t.Errorf("%s: sample ARN: %v", k.kind, err)
		}
	}
	if diff := cmp.Diff(request.Kinds(), kinds); diff != "" {
		t.Errorf("kinds of these tests differ from request.Kinds() (-want +got):\n%s", diff)
	}
	slices.Sort(ops)
	if diff := cmp.Diff(cleanup.Operations(), slices.Compact(ops)); diff != "" {
		t.Errorf("operations of these tests differ from cleanup.Operations() (-want +got):\n%s", diff)
	}
}

// TestEachKindsCallsAreAllowedOnItsOwnARNsOnly: in both roles, every App
// Runner action the engine calls is granted exactly on the resources of
// the kinds it serves, each once: a kind's Describe and Delete actions on
// that kind's ARNs and nothing else, the tag actions on every kind's.
func TestEachKindsCallsAreAllowedOnItsOwnARNsOnly(t *testing.T) {
	for _, role := range roleScopes() {
		t.Run(role.name, func(t *testing.T) {
			var stmts []statement
			for _, s := range role.stmts(t) {
				if slices.ContainsFunc(s.Actions, func(a string) bool { return strings.HasPrefix(a, "apprunner:") }) {
					stmts = append(stmts, s)
				}
			}
			got := map[string][]string{}
			for _, s := range stmts {
				for _, a := range s.Actions {
					if strings.HasPrefix(a, "apprunner:") {
						got[a] = append(got[a], resourceStrings(s.Resource)...)
					}
				}
				if s.Condition != "" {
					t.Errorf("statement %q is granted only under condition %s; the role needs its App Runner actions always", s.Sid, s.Condition)
				}
			}
			for _, v := range got {
				slices.Sort(v)
			}
			want := wantScopes(role.arnOf)
			for _, a := range slices.Sorted(maps.Keys(want)) {
				if diff := cmp.Diff(want[a], got[a]); diff != "" {
					t.Errorf("resources of %s (-want +got):\n%s", a, diff)
				}
			}
			for _, a := range slices.Sorted(maps.Keys(got)) {
				if _, ok := want[a]; !ok {
					t.Errorf("%s is granted on %v; the engine does not call it", a, got[a])
				}
			}
			// Whatever the table says: "*" for the List actions without
			// resource-level permissions only, never a Describe or Delete.
			for _, s := range stmts {
				if !slices.Contains(resourceStrings(s.Resource), "*") {
					continue
				}
				for _, a := range s.Actions {
					if !slices.Contains(unscopedListOps, strings.TrimPrefix(a, "apprunner:")) {
						t.Errorf("statement %q grants %s on \"*\"; only %v may have it", s.Sid, a, unscopedListOps)
					}
				}
			}
		})
	}
}

// resourceStrings is a statement's Resource as a list, each element in
// its string form ("*", or an !Sub as fmt prints it).
func resourceStrings(r any) []string {
	if list, ok := r.([]any); ok {
		var out []string
		for _, x := range list {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return []string{fmt.Sprint(r)}
}

// TestEachKindIsDeletedAndMarkedOnlyWithinTheRolesScope evaluates each
// role as IAM would (Allows, the protection Deny, the member role's region
// Deny) on the calls of each kind: allowed on a full ARN of the role's
// account and regions, refused on another kind's pattern, another account,
// a region the role does not act in, a partial ARN, and on protected
// resources for the deletion.
func TestEachKindIsDeletedAndMarkedOnlyWithinTheRolesScope(t *testing.T) {
	protect := "aws:ResourceTag/" + defaultProtectTagKey
	for _, role := range roleScopes() {
		tmpl, roleID := role.evalTmpl(t)
		stmts := roleEvalStatements(t, tmpl, roleID, nil)
		for _, k := range leftoverKinds {
			for _, region := range slices.Compact([]string{role.regions[0], role.regions[len(role.regions)-1]}) {
				arn := sampleARN(k, region)
				inRegion := map[string]string{"aws:RequestedRegion": region}
				with := func(kv ...string) map[string]string {
					ctx := maps.Clone(inRegion)
					for i := 0; i+1 < len(kv); i += 2 {
						ctx[kv[i]] = kv[i+1]
					}
					return ctx
				}
				partial := arn[:strings.Index(arn, "/")+1] + strings.Split(k.sample, "/")[1]
				tests := []struct {
					name string
					req  iamRequest
					want bool
				}{
					{"deletes a free resource", iamRequest{"apprunner:" + k.deleteOp, arn, inRegion}, true},
					{"deletes one whose protection tag is false", iamRequest{"apprunner:" + k.deleteOp, arn, with(protect, "False")}, true},
					{"never deletes a protected one", iamRequest{"apprunner:" + k.deleteOp, arn, with(protect, "true")}, false},
					{"never deletes one protected by an empty value", iamRequest{"apprunner:" + k.deleteOp, arn, with(protect, "")}, false},
					{"never deletes in another account", iamRequest{"apprunner:" + k.deleteOp, strings.Replace(arn, "123456789012", "210987654321", 1), inRegion}, false},
					{"never deletes by a partial ARN", iamRequest{"apprunner:" + k.deleteOp, partial, inRegion}, false},
					{"reads the tags", iamRequest{"apprunner:ListTagsForResource", arn, inRegion}, true},
					{"writes the idle mark", iamRequest{"apprunner:TagResource", arn, with("aws:TagKeys", cleanup.MarkTagKey)}, true},
					{"removes the idle mark", iamRequest{"apprunner:UntagResource", arn, with("aws:TagKeys", cleanup.MarkTagKey)}, true},
					{"writes no other tag", iamRequest{"apprunner:TagResource", arn, with("aws:TagKeys", "team")}, false},
					{"writes no other tag with the mark", iamRequest{"apprunner:TagResource", arn, with("aws:TagKeys", cleanup.MarkTagKey+",team")}, false},
					{"removes no other tag", iamRequest{"apprunner:UntagResource", arn, with("aws:TagKeys", defaultProtectTagKey)}, false},
				}
				for _, op := range k.ops {
					tests = append(tests, struct {
						name string
						req  iamRequest
						want bool
					}{"calls " + op + " on its own kind", iamRequest{"apprunner:" + op, arn, with("aws:TagKeys", cleanup.MarkTagKey)}, true})
					for _, other := range leftoverKinds {
						if other.kind == k.kind || slices.Contains(other.ops, op) {
							continue
						}
						tests = append(tests, struct {
							name string
							req  iamRequest
							want bool
						}{"never calls " + op + " on " + string(other.kind) + " ARNs", iamRequest{"apprunner:" + op, sampleARN(other, region), inRegion}, false})
					}
				}
				for _, tt := range tests {
					t.Run(fmt.Sprintf("%s/%s/%s/%s", role.name, k.kind, region, tt.name), func(t *testing.T) {
						if got := allowed(t, stmts, tt.req); got != tt.want {
							t.Errorf("%s: allowed = %v, want %v", tt.req, got, tt.want)
						}
					})
				}
			}
		}
		// Outside its regions: the function's role acts in its own
		// region only, the member role where App Runner is offered.
		outside := "eu-west-1"
		if role.name == "member role" {
			outside = "us-west-1"
		}
		for _, k := range leftoverKinds {
			req := iamRequest{"apprunner:" + k.deleteOp, sampleARN(k, outside), map[string]string{"aws:RequestedRegion": outside}}
			if allowed(t, stmts, req) {
				t.Errorf("%s: %s is allowed outside the role's regions", role.name, req)
			}
		}
	}
}

// TestEveryKindsDeleteFallsUnderEachDenyOfDeleteConnection: whatever
// Deny holds back a DeleteConnection (the protection tag; in the member
// role, the regions without App Runner) holds back each kind's Delete
// action in the same situation: a backstop cannot stop at connections.
func TestEveryKindsDeleteFallsUnderEachDenyOfDeleteConnection(t *testing.T) {
	protect := "aws:ResourceTag/" + defaultProtectTagKey
	var connection leftoverKind
	for _, k := range leftoverKinds {
		if k.kind == request.KindConnection {
			connection = k
		}
	}
	situations := []struct {
		name string
		tag  *string
	}{
		{"protected", ptr("true")},
		{"protected by an empty value", ptr("")},
		{"protection tag false", ptr("FALSE")},
		{"no protection tag", nil},
	}
	for _, role := range roleScopes() {
		tmpl, roleID := role.evalTmpl(t)
		for _, params := range []map[string]string{nil, {"ProtectTagKey": "<none>"}} {
			var denies []evalStatement
			for _, s := range roleEvalStatements(t, tmpl, roleID, params) {
				if s.Effect == "Deny" {
					denies = append(denies, s)
				}
			}
			if params == nil && len(denies) == 0 {
				t.Fatalf("%s: no Deny statement; the protection tag needs one", role.name)
			}
			var applied int
			for _, region := range []string{"us-east-1", "eu-west-3", "us-west-1", "ca-central-1"} {
				for _, sit := range situations {
					ctx := map[string]string{"aws:RequestedRegion": region}
					if sit.tag != nil {
						ctx[protect] = *sit.tag
					}
					conn := iamRequest{"apprunner:" + connection.deleteOp, sampleARN(connection, region), ctx}
					for _, d := range denies {
						want := d.applies(t, conn)
						if want {
							applied++
						}
						for _, k := range leftoverKinds {
							req := iamRequest{"apprunner:" + k.deleteOp, sampleARN(k, region), ctx}
							if got := d.applies(t, req); got != want {
								t.Errorf("%s (%v) Deny %q: applies to %s = %v, but to %s = %v", role.name, params, d.Sid, req, got, conn, want)
							}
						}
					}
				}
			}
			if params == nil && applied == 0 {
				t.Errorf("%s: no Deny holds back a protected DeleteConnection", role.name)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestTaggingIsHeldToTheIdleMark: in the function's role and the member
// role, TagResource and UntagResource are granted in statements of their
// own, one per kind on that kind's ARNs, with the mark's tag key as the
// only key.
func TestTaggingIsHeldToTheIdleMark(t *testing.T) {
	for _, role := range roleScopes() {
		t.Run(role.name, func(t *testing.T) {
			var resources []string
			for _, s := range role.stmts(t) {
				if !slices.ContainsFunc(s.Actions, func(a string) bool { return a == "apprunner:TagResource" || a == "apprunner:UntagResource" }) {
					continue
				}
				if diff := cmp.Diff([]string{"apprunner:TagResource", "apprunner:UntagResource"}, s.Actions); diff != "" {
					t.Errorf("%s: actions (-want +got):\n%s", s.Sid, diff)
				}
				if diff := cmp.Diff(markCondition(), s.IAMCondition); diff != "" {
					t.Errorf("%s: condition (-want +got):\n%s", s.Sid, diff)
				}
				resources = append(resources, fmt.Sprint(s.Resource))
			}
			var want []string
			for _, k := range leftoverKinds {
				want = append(want, fmt.Sprint(role.arnOf(k.pattern)))
			}
			slices.Sort(want)
			slices.Sort(resources)
			if diff := cmp.Diff(want, resources); diff != "" {
				t.Errorf("resources of the tagging statements, one each (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResourceTypesReachesTheFunction: the parameter is the function's
// RESOURCE_TYPES, connections only by default (what the function did before
// it knew other kinds), among the Safety parameters after UnusedFor.
func TestResourceTypesReachesTheFunction(t *testing.T) {
	tmpl := loadTemplate(t)
	param := at(t, tmpl, "Parameters", "ResourceTypes")
	if got := at(t, param, "Type"); got != "String" {
		t.Errorf("ResourceTypes Type = %v, want String", got)
	}
	if got := at(t, param, "Default"); got != string(request.KindConnection) {
		t.Errorf("ResourceTypes Default = %#v, want %q", got, request.KindConnection)
	}
	if diff := cmp.Diff(ref("ResourceTypes"), at(t, function(t, tmpl), "Environment", "Variables", "RESOURCE_TYPES")); diff != "" {
		t.Errorf("RESOURCE_TYPES (-want +got):\n%s", diff)
	}
	desc, _ := at(t, param, "Description").(string)
	for _, word := range append([]string{request.KindsAll}, kindNames()...) {
		if !strings.Contains(desc, word) {
			t.Errorf("ResourceTypes Description does not say what %q is", word)
		}
	}
	groups, _ := at(t, tmpl, "Metadata", "AWS::CloudFormation::Interface", "ParameterGroups").([]any)
	var found bool
	for _, g := range groups {
		names, _ := at(t, g, "Parameters").([]any)
		if i := slices.Index(names, any("UnusedFor")); i >= 0 {
			found = i+1 < len(names) && names[i+1] == "ResourceTypes"
		}
	}
	if !found {
		t.Error("ResourceTypes does not follow UnusedFor in the Metadata parameter groups")
	}
}

func kindNames() []string {
	var out []string
	for _, k := range request.Kinds() {
		out = append(out, string(k))
	}
	return out
}

// TestResourceTypesPatternAcceptsOnlyWhatTheFunctionReads: the stack
// refuses what the function would refuse at start, and accepts every kind
// alone, every kind together and "all".
func TestResourceTypesPatternAcceptsOnlyWhatTheFunctionReads(t *testing.T) {
	pattern, ok := at(t, loadTemplate(t), "Parameters", "ResourceTypes", "AllowedPattern").(string)
	if !ok {
		t.Fatal("Parameters.ResourceTypes has no AllowedPattern")
	}
	re := regexp.MustCompile(pattern)
	tests := []struct {
		value string
		want  bool
	}{
		{"all", true},
		{"connection", true},
		{"vpc-connector", true},
		{"auto-scaling-configuration", true},
		{"observability-configuration", true},
		{"connection,vpc-connector", true},
		{"vpc-connector, connection", true},
		{"connection,vpc-connector,auto-scaling-configuration,observability-configuration", true},
		{"observability-configuration ,auto-scaling-configuration", true},
		{"", false},
		{"none", false},
		{"*", false},
		{"connections", false},
		{"Connection", false},
		{"ALL", false},
		{"vpc_connector", false},
		{"vpcconnector", false},
		{"connection,", false},
		{",connection", false},
		{"connection,,vpc-connector", false},
		{"connection;vpc-connector", false},
		{"connection vpc-connector", false},
		{"connection\nvpc-connector", false},
		{"all,connection", false},
		{" connection", false},
		{"connection,buckets", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.value), func(t *testing.T) {
			if got := re.MatchString(tt.value); got != tt.want {
				t.Errorf("AllowedPattern %q matches %q = %v, want %v", pattern, tt.value, got, tt.want)
			}
			// What the stack accepts, the function reads.
			if tt.want {
				if _, err := request.ParseKinds(tt.value); err != nil {
					t.Errorf("the stack accepts %q, which the function refuses: %v", tt.value, err)
				}
			}
		})
	}
	// Every kind the function knows, alone and in any pair.
	for _, a := range request.Kinds() {
		if !re.MatchString(string(a)) {
			t.Errorf("AllowedPattern refuses kind %s", a)
		}
		for _, b := range request.Kinds() {
			if v := string(a) + "," + string(b); !re.MatchString(v) {
				t.Errorf("AllowedPattern refuses %q", v)
			}
		}
	}
}
