package apprunnerlocal

import "sort"

// The Organizations operations, each run under s.mu with its input decoded
// and valid (see operation in ops.go).

// orgHandlerFor returns the implementation of an Organizations operation.
func orgHandlerFor(op string) (handler, bool) {
	h, ok := orgHandlers[op]
	return h, ok
}

// orgHandlers are the Organizations operations the emulator serves, by
// their X-Amz-Target name (after orgTargetPrefix).
var orgHandlers = map[string]handler{
	"DescribeOrganization":             operation((*Server).describeOrganization),
	"ListRoots":                        operation((*Server).listRoots),
	"ListOrganizationalUnitsForParent": operation((*Server).listOrganizationalUnitsForParent),
	"ListAccountsForParent":            operation((*Server).listAccountsForParent),
	"ListAccounts":                     operation((*Server).listAccounts),
	"ListChildren":                     operation((*Server).listChildren),
	"ListParents":                      operation((*Server).listParents),
	"DescribeAccount":                  operation((*Server).describeAccount),
	"DescribeOrganizationalUnit":       operation((*Server).describeOrganizationalUnit),
}

// Response shapes, with the members of the model that the emulator fills.

type wireOrganization struct {
	Arn                string
	FeatureSet         string
	Id                 string
	MasterAccountArn   string
	MasterAccountEmail string
	MasterAccountId    string
}

type wireRoot struct {
	Arn         string
	Id          string
	Name        string
	PolicyTypes []struct{} // no policy type is enabled
}

type wireOU struct {
	Arn  string
	Id   string
	Name string
}

func (p *orgParent) wireOU() wireOU { return wireOU{Arn: p.arn, Id: p.id, Name: p.name} }

type wireOrgAccount struct {
	Arn             string
	Email           string
	Id              string
	JoinedMethod    string
	JoinedTimestamp epoch
	Name            string
	State           string
	Status          string
}

func (a *orgAccount) wire() wireOrgAccount {
	return wireOrgAccount{
		Arn: a.arn, Email: a.email, Id: a.id, JoinedMethod: a.joinedMethod,
		JoinedTimestamp: epoch(a.joinedAt), Name: a.name, State: a.state, Status: a.status,
	}
}

// wireRef is a Parent of ListParents or a Child of ListChildren.
type wireRef struct {
	Id   string
	Type string
}

func (s *Server) describeOrganization(c caller, _ *noInput) (any, *apiError) {
	org, err := s.orgFor(c, true)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Organization": wireOrganization{
		Arn: org.arn, FeatureSet: "ALL", Id: org.id,
		MasterAccountArn: org.management.arn, MasterAccountEmail: org.management.email, MasterAccountId: org.management.id,
	}}, nil
}

func (s *Server) listRoots(c caller, in *listRootsInput) (any, *apiError) {
	org, err := s.orgFor(c, false)
	if err != nil {
		return nil, err
	}
	want := pageToken{Op: orgStatPrefix + "ListRoots", Account: c.account}
	roots, next, err := orgPage([]*orgParent{org.root}, parentID, want, in.orgPageInput)
	if err != nil {
		return nil, err
	}
	out := struct {
		NextToken *string `json:",omitempty"`
		Roots     []wireRoot
	}{NextToken: next, Roots: []wireRoot{}}
	for _, r := range roots {
		out.Roots = append(out.Roots, wireRoot{Arn: r.arn, Id: r.id, Name: r.name, PolicyTypes: []struct{}{}})
	}
	return out, nil
}

// parent finds the root or OU a list names. The caller holds s.mu.
func (org *organization) parent(id string) (*orgParent, *apiError) {
	if p := org.parents[id]; p != nil {
		return p, nil
	}
	return nil, errOrgNotFound("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
}

func (s *Server) listOrganizationalUnitsForParent(c caller, in *parentPageInput) (any, *apiError) {
	org, err := s.orgFor(c, false)
	if err != nil {
		return nil, err
	}
	p, err := org.parent(*in.ParentId)
	if err != nil {
		return nil, err
	}
	want := pageToken{Op: orgStatPrefix + "ListOrganizationalUnitsForParent", Account: c.account, Filter: p.id}
	ous, next, err := orgPage(p.ous, parentID, want, in.orgPageInput)
	if err != nil {
		return nil, err
	}
	out := struct {
		NextToken           *string `json:",omitempty"`
		OrganizationalUnits []wireOU
	}{NextToken: next, OrganizationalUnits: make([]wireOU, 0, len(ous))}
	for _, ou := range ous {
		out.OrganizationalUnits = append(out.OrganizationalUnits, ou.wireOU())
	}
	return out, nil
}

func (s *Server) listAccountsForParent(c caller, in *parentPageInput) (any, *apiError) {
	org, err := s.orgFor(c, false)
	if err != nil {
		return nil, err
	}
	p, err := org.parent(*in.ParentId)
	if err != nil {
		return nil, err
	}
	want := pageToken{Op: orgStatPrefix + "ListAccountsForParent", Account: c.account, Filter: p.id}
	return accountsPage(p.accounts, want, in.orgPageInput)
}

func (s *Server) listAccounts(c caller, in *listAccountsInput) (any, *apiError) {
	org, err := s.orgFor(c, false)
	if err != nil {
		return nil, err
	}
	want := pageToken{Op: orgStatPrefix + "ListAccounts", Account: c.account}
	return accountsPage(org.all, want, in.orgPageInput)
}

func accountsPage(accounts []*orgAccount, want pageToken, in orgPageInput) (any, *apiError) {
	items, next, err := orgPage(accounts, accountID, want, in)
	if err != nil {
		return nil, err
	}
	out := struct {
		Accounts  []wireOrgAccount
		NextToken *string `json:",omitempty"`
	}{Accounts: make([]wireOrgAccount, 0, len(items)), NextToken: next}
	for _, a := range items {
		out.Accounts = append(out.Accounts, a.wire())
	}
	return out, nil
}

func (s *Server) listChildren(c caller, in *listChildrenInput) (any, *apiError) {
	org, err := s.orgFor(c, false)
	if err != nil {
		return nil, err
	}
	p, err := org.parent(*in.ParentId)
	if err != nil {
		return nil, err
	}
	var children []wireRef
	if *in.ChildType == "ACCOUNT" {
		for _, a := range p.accounts {
			children = append(children, wireRef{Id: a.id, Type: "ACCOUNT"})
		}
	} else {
		for _, ou := range p.ous {
			children = append(children, wireRef{Id: ou.id, Type: "ORGANIZATIONAL_UNIT"})
		}
	}
	want := pageToken{Op: orgStatPrefix + "ListChildren", Account: c.account, Filter: p.id + "/" + *in.ChildType}
	items, next, err := orgPage(children, refID, want, in.orgPageInput)
	if err != nil {
		return nil, err
	}
	return struct {
		Children  []wireRef
		NextToken *string `json:",omitempty"`
	}{Children: append([]wireRef{}, items...), NextToken: next}, nil
}

// listParents returns the one parent of an account or OU: the real service
// allows no more.
func (s *Server) listParents(c caller, in *listParentsInput) (any, *apiError) {
	org, err := s.orgFor(c, false)
	if err != nil {
		return nil, err
	}
	var parent *orgParent
	if a := org.account(*in.ChildId); a != nil {
		parent = a.parent
	} else if ou := org.ou(*in.ChildId); ou != nil {
		parent = ou.parent
	} else {
		return nil, errOrgNotFound("ChildNotFoundException",
			"We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
	}
	want := pageToken{Op: orgStatPrefix + "ListParents", Account: c.account, Filter: *in.ChildId}
	parents := []wireRef{{Id: parent.id, Type: parent.parentType()}}
	items, next, err := orgPage(parents, refID, want, in.orgPageInput)
	if err != nil {
		return nil, err
	}
	return struct {
		NextToken *string `json:",omitempty"`
		Parents   []wireRef
	}{NextToken: next, Parents: append([]wireRef{}, items...)}, nil
}

func (s *Server) describeAccount(c caller, in *describeAccountInput) (any, *apiError) {
	org, err := s.orgFor(c, false)
	if err != nil {
		return nil, err
	}
	a := org.account(*in.AccountId)
	if a == nil {
		return nil, errOrgNotFound("AccountNotFoundException",
			"We can't find an AWS account with the AccountId that you specified, or the account whose credentials you used to make this request isn't a member of an organization.")
	}
	return map[string]any{"Account": a.wire()}, nil
}

func (s *Server) describeOrganizationalUnit(c caller, in *describeOrganizationalUnitInput) (any, *apiError) {
	org, err := s.orgFor(c, false)
	if err != nil {
		return nil, err
	}
	ou := org.ou(*in.OrganizationalUnitId)
	if ou == nil {
		return nil, errOrgNotFound("OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified.")
	}
	return map[string]any{"OrganizationalUnit": ou.wireOU()}, nil
}

func parentID(p *orgParent) string   { return p.id }
func accountID(a *orgAccount) string { return a.id }
func refID(r wireRef) string         { return r.Id }

// orgPage returns the page of items, sorted by ID, that a list request asks
// for, and the NextToken of the page after it (nil on the last page). The
// token carries the last ID returned, bound by want to the operation, the
// caller and the parent or child listed. Without MaxResults a page holds
// 20 items.
func orgPage[T any](items []T, id func(T) string, want pageToken, in orgPageInput) ([]T, *string, *apiError) {
	start := 0
	if in.NextToken != nil && *in.NextToken != "" {
		after, err := decodeToken(*in.NextToken, want)
		if err != nil {
			return nil, nil, errOrgInput("INVALID_NEXT_TOKEN", "You specified an invalid value for nextToken: %s.", err.msg)
		}
		start = sort.Search(len(items), func(i int) bool { return id(items[i]) > after.arn })
	}
	limit := defaultPageSize
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	end := min(start+limit, len(items))
	if end == len(items) {
		return items[start:end], nil, nil
	}
	// The token's ARN field carries an ID here.
	want.ARN = id(items[end-1])
	return items[start:end], ptr(encodeToken(want)), nil
}
