package apprunnerlocal

import "strconv"

// The auto scaling configuration operations. Each name has revisions;
// one revision in each account and region is the default that new
// services get, App Runner's own DefaultConfiguration until another is
// made the default.

// errAutoScalingInUse is App Runner's refusal to delete a configuration
// that a service uses.
const errAutoScalingInUse = "You can't delete the auto scaling configuration. It's used by one or more services. To delete it, update the services to use other auto scaling configurations."

func (s *Server) createAutoScalingConfiguration(c caller, in *createAutoScalingConfigurationInput) (any, *apiError) {
	sc := c.scope()
	s.st.region(sc) // DefaultConfiguration is there before a new revision of it
	name := *in.AutoScalingConfigurationName
	id := randomHex(32)
	rev := nextRevision(s.st.revisionsOf(sc, kindAutoScaling, name))
	r := &resource{
		scope: sc, kind: kindAutoScaling, arn: resourceARN(sc, kindAutoScaling, name, rev, id), name: name, id: id,
		revision: rev, status: ResourceActive, createdAt: s.stamp(), tags: tagMap(in.Tags),
		maxConcurrency: orDefault(in.MaxConcurrency, 100), minSize: orDefault(in.MinSize, 1), maxSize: orDefault(in.MaxSize, 25),
	}
	s.st.addResource(r)
	return map[string]any{"AutoScalingConfiguration": s.st.wireAutoScaling(r, s.now())}, nil
}

// lookupAutoScaling finds the configuration an ARN names, full or partial,
// in a scope whose DefaultConfiguration exists.
func (s *Server) lookupAutoScaling(c caller, arn string) (*resource, *apiError) {
	s.st.region(c.scope())
	if r := s.st.lookupResource(c, kindAutoScaling, arn, true); r != nil {
		return r, nil
	}
	return nil, errNotFound("auto scaling configuration %s not found", arn)
}

func (s *Server) describeAutoScalingConfiguration(c caller, in *autoScalingARNInput) (any, *apiError) {
	r, err := s.lookupAutoScaling(c, *in.AutoScalingConfigurationArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"AutoScalingConfiguration": s.st.wireAutoScaling(r, s.now())}, nil
}

func (s *Server) listAutoScalingConfigurations(c caller, in *listAutoScalingConfigurationsInput) (any, *apiError) {
	name := ""
	if in.AutoScalingConfigurationName != nil {
		name = *in.AutoScalingConfigurationName
	}
	// LatestOnly defaults to true, as the model says.
	latestOnly := in.LatestOnly == nil || *in.LatestOnly
	want := pageToken{Op: "ListAutoScalingConfigurations", Account: c.account, Region: c.region, Filter: listFilter(name, latestOnly)}
	cursor, limit, err := pageRequest(want, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	sc := c.scope()
	s.st.region(sc)
	items, next := page(s.st.resourcesOf(sc, kindAutoScaling), cursor, limit, false, s.st.listed(name, latestOnly))
	now := s.now()
	out := struct {
		AutoScalingConfigurationSummaryList []autoScalingConfigurationSummary
		NextToken                           *string `json:",omitempty"`
	}{AutoScalingConfigurationSummaryList: make([]autoScalingConfigurationSummary, 0, len(items))}
	for _, r := range items {
		out.AutoScalingConfigurationSummaryList = append(out.AutoScalingConfigurationSummaryList, s.st.autoScalingSummary(r, now))
	}
	out.NextToken = tokenFor(want, next)
	return out, nil
}

// listFilter is the filter a configuration list's NextToken is bound to.
func listFilter(name string, latestOnly bool) string {
	return name + "/" + strconv.FormatBool(latestOnly)
}

// listed is what the configuration lists include: ACTIVE revisions, of
// one name if one is given, the latest of each name only if asked.
func (st *store) listed(name string, latestOnly bool) func(*resource) bool {
	return func(r *resource) bool {
		return r.active() && (name == "" || r.name == name) && (!latestOnly || st.isLatest(r))
	}
}

func (s *Server) deleteAutoScalingConfiguration(c caller, in *deleteAutoScalingConfigurationInput) (any, *apiError) {
	r, err := s.lookupAutoScaling(c, *in.AutoScalingConfigurationArn)
	if err != nil {
		return nil, err
	}
	if !r.active() {
		return nil, errNotFound("auto scaling configuration %s not found: it is deleted", r.arn)
	}
	targets := []*resource{r}
	if in.DeleteAllRevisions != nil && *in.DeleteAllRevisions {
		targets = targets[:0]
		for _, rev := range s.st.revisionsOf(r.scope, kindAutoScaling, r.name) {
			if rev.active() {
				targets = append(targets, rev)
			}
		}
	}
	for _, t := range targets {
		switch {
		case t.builtin():
			return nil, errInvalid("You can't delete the auto scaling configuration %s, revision 1, that App Runner provides.", DefaultAutoScalingName)
		case s.st.isDefault(t):
			return nil, errInvalid("You can't delete the default auto scaling configuration %s. Set another auto scaling configuration as the default first.", t.arn)
		}
	}
	if err := s.deleteResources(targets, errAutoScalingInUse); err != nil {
		return nil, err
	}
	return map[string]any{"AutoScalingConfiguration": s.st.wireAutoScaling(r, s.now())}, nil
}

func (s *Server) listServicesForAutoScalingConfiguration(c caller, in *listServicesForAutoScalingConfigurationInput) (any, *apiError) {
	r, err := s.lookupAutoScaling(c, *in.AutoScalingConfigurationArn)
	if err != nil {
		return nil, err
	}
	want := pageToken{Op: "ListServicesForAutoScalingConfiguration", Account: c.account, Region: c.region, Filter: r.arn}
	cursor, limit, err := pageRequest(want, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	items, next := page(s.st.liveUsers(r.arn, s.now()), cursor, limit, false, func(*service) bool { return true })
	out := struct {
		NextToken      *string `json:",omitempty"`
		ServiceArnList []string
	}{ServiceArnList: serviceARNs(items)}
	out.NextToken = tokenFor(want, next)
	return out, nil
}

func (s *Server) updateDefaultAutoScalingConfiguration(c caller, in *autoScalingARNInput) (any, *apiError) {
	r, err := s.lookupAutoScaling(c, *in.AutoScalingConfigurationArn)
	if err != nil {
		return nil, err
	}
	if !r.active() {
		return nil, errNotFound("auto scaling configuration %s not found: it is deleted", r.arn)
	}
	s.st.region(r.scope).defaultAS = r
	return map[string]any{"AutoScalingConfiguration": s.st.wireAutoScaling(r, s.now())}, nil
}

// resolveAutoScaling returns the full ARN of the ACTIVE configuration that
// a service is to use: the one arn names, or the default when arn is nil.
func (s *Server) resolveAutoScaling(c caller, arn *string) (string, *apiError) {
	if arn == nil {
		return s.st.region(c.scope()).defaultAS.arn, nil
	}
	r, _ := s.lookupAutoScaling(c, *arn)
	if r == nil || !r.active() {
		return "", errInvalid("auto scaling configuration %s does not exist", *arn)
	}
	return r.arn, nil
}
