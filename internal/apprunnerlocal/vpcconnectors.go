package apprunnerlocal

import "slices"

// The VPC connector operations. A name has one ACTIVE connector at a
// time; a connector deleted stays INACTIVE for Describe, and a new one of
// its name gets the next revision.

// errVPCConnectorInUse is App Runner's refusal to delete a connector that
// a service uses.
const errVPCConnectorInUse = "Provided VPC connector arn is being used by other services"

func (s *Server) createVpcConnector(c caller, in *createVpcConnectorInput) (any, *apiError) {
	sc := c.scope()
	name := *in.VpcConnectorName
	revs := s.st.revisionsOf(sc, kindVPCConnector, name)
	if liveRevision(0, revs) != nil {
		return nil, errInvalid("A VPC connector with the name %s already exists in this account and region", name)
	}
	id := randomHex(32)
	rev := nextRevision(revs)
	r := &resource{
		scope: sc, kind: kindVPCConnector, arn: resourceARN(sc, kindVPCConnector, name, rev, id), name: name, id: id,
		revision: rev, status: ResourceActive, createdAt: s.stamp(), tags: tagMap(in.Tags),
		subnets: slices.Clone(in.Subnets), securityGroups: slices.Clone(in.SecurityGroups),
	}
	s.st.addResource(r)
	return map[string]any{"VpcConnector": r.wireVPCConnector()}, nil
}

func (s *Server) describeVpcConnector(c caller, in *vpcConnectorARNInput) (any, *apiError) {
	r := s.st.lookupResource(c, kindVPCConnector, *in.VpcConnectorArn, false)
	if r == nil {
		return nil, errNotFound("VPC connector %s not found", *in.VpcConnectorArn)
	}
	return map[string]any{"VpcConnector": r.wireVPCConnector()}, nil
}

func (s *Server) listVpcConnectors(c caller, in *listVpcConnectorsInput) (any, *apiError) {
	want := pageToken{Op: "ListVpcConnectors", Account: c.account, Region: c.region}
	cursor, limit, err := pageRequest(want, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	items, next := page(s.st.resourcesOf(c.scope(), kindVPCConnector), cursor, limit, false, (*resource).active)
	out := struct {
		NextToken     *string `json:",omitempty"`
		VpcConnectors []wireVPCConnector
	}{VpcConnectors: make([]wireVPCConnector, 0, len(items))}
	for _, r := range items {
		out.VpcConnectors = append(out.VpcConnectors, r.wireVPCConnector())
	}
	out.NextToken = tokenFor(want, next)
	return out, nil
}

func (s *Server) deleteVpcConnector(c caller, in *vpcConnectorARNInput) (any, *apiError) {
	r := s.st.lookupResource(c, kindVPCConnector, *in.VpcConnectorArn, false)
	if r == nil || !r.active() {
		return nil, errNotFound("VPC connector %s not found", *in.VpcConnectorArn)
	}
	if err := s.deleteResources([]*resource{r}, errVPCConnectorInUse); err != nil {
		return nil, err
	}
	return map[string]any{"VpcConnector": r.wireVPCConnector()}, nil
}

// deleteResources deletes resources at once, or none of them while a
// service not DELETED uses one, refusing with inUse. With
// Options.DisableInUseGuard it deletes them anyway and records each one
// used in UnsafeDeletions. The caller holds s.mu.
func (s *Server) deleteResources(rs []*resource, inUse string) *apiError {
	now := s.now()
	users := make([][]string, len(rs))
	used := false
	for i, r := range rs {
		users[i] = serviceARNs(s.st.liveUsers(r.arn, now))
		used = used || len(users[i]) > 0
	}
	if used && !s.opts.DisableInUseGuard {
		return errInvalid("%s", inUse)
	}
	// Stamped only once the deletion is sure: a refused call changes
	// nothing, so it records no time.
	at := s.stamp()
	for i, r := range rs {
		if len(users[i]) > 0 {
			s.st.unsafe = append(s.st.unsafe, UnsafeDeletion{ResourceARN: r.arn, ServiceARNs: users[i], At: at})
		}
		s.st.deactivate(r, at)
	}
	return nil
}
