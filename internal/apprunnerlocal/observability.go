package apprunnerlocal

// The observability configuration operations: revisions of names, as for
// auto scaling, without a default. DefaultConfiguration is a name App
// Runner keeps for itself here.

// errObservabilityInUse is the refusal to delete a configuration that a
// service uses, worded as App Runner words it for auto scaling.
const errObservabilityInUse = "You can't delete the observability configuration. It's used by one or more services. To delete it, update the services to use other observability configurations."

func (s *Server) createObservabilityConfiguration(c caller, in *createObservabilityConfigurationInput) (any, *apiError) {
	sc := c.scope()
	name := *in.ObservabilityConfigurationName
	if name == DefaultAutoScalingName {
		return nil, errInvalid("The name %s is reserved: choose another name for the observability configuration", name)
	}
	id := randomHex(32)
	rev := nextRevision(s.st.revisionsOf(sc, kindObservability, name))
	r := &resource{
		scope: sc, kind: kindObservability, arn: resourceARN(sc, kindObservability, name, rev, id), name: name, id: id,
		revision: rev, status: ResourceActive, createdAt: s.stamp(), tags: tagMap(in.Tags), trace: in.TraceConfiguration,
	}
	s.st.addResource(r)
	return map[string]any{"ObservabilityConfiguration": s.st.wireObservability(r)}, nil
}

func (s *Server) lookupObservability(c caller, arn string) (*resource, *apiError) {
	if r := s.st.lookupResource(c, kindObservability, arn, true); r != nil {
		return r, nil
	}
	return nil, errNotFound("observability configuration %s not found", arn)
}

func (s *Server) describeObservabilityConfiguration(c caller, in *observabilityARNInput) (any, *apiError) {
	r, err := s.lookupObservability(c, *in.ObservabilityConfigurationArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ObservabilityConfiguration": s.st.wireObservability(r)}, nil
}

func (s *Server) listObservabilityConfigurations(c caller, in *listObservabilityConfigurationsInput) (any, *apiError) {
	name := ""
	if in.ObservabilityConfigurationName != nil {
		name = *in.ObservabilityConfigurationName
	}
	// LatestOnly defaults to true, as the model says.
	latestOnly := in.LatestOnly == nil || *in.LatestOnly
	want := pageToken{Op: "ListObservabilityConfigurations", Account: c.account, Region: c.region, Filter: listFilter(name, latestOnly)}
	cursor, limit, err := pageRequest(want, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	items, next := page(s.st.resourcesOf(c.scope(), kindObservability), cursor, limit, false, s.st.listed(name, latestOnly))
	out := struct {
		NextToken                             *string `json:",omitempty"`
		ObservabilityConfigurationSummaryList []wireObservabilitySummary
	}{ObservabilityConfigurationSummaryList: make([]wireObservabilitySummary, 0, len(items))}
	for _, r := range items {
		out.ObservabilityConfigurationSummaryList = append(out.ObservabilityConfigurationSummaryList, wireObservabilitySummary{
			ObservabilityConfigurationArn: r.arn, ObservabilityConfigurationName: r.name, ObservabilityConfigurationRevision: r.revision,
		})
	}
	out.NextToken = tokenFor(want, next)
	return out, nil
}

func (s *Server) deleteObservabilityConfiguration(c caller, in *observabilityARNInput) (any, *apiError) {
	r, err := s.lookupObservability(c, *in.ObservabilityConfigurationArn)
	if err != nil {
		return nil, err
	}
	if !r.active() {
		return nil, errNotFound("observability configuration %s not found: it is deleted", r.arn)
	}
	if err := s.deleteResources([]*resource{r}, errObservabilityInUse); err != nil {
		return nil, err
	}
	return map[string]any{"ObservabilityConfiguration": s.st.wireObservability(r)}, nil
}
