package apprunnerlocal

// What CreateService and UpdateService do with the members that refer to
// a VPC connector, an auto scaling configuration or an observability
// configuration: each must name an ACTIVE one of the caller's account and
// region, and the service keeps its full ARN.

// serviceRefs holds the resolved references of a create or update; nil
// members are left as they are.
type serviceRefs struct {
	network       *networkConfiguration
	autoScaling   string
	observability *observabilityConfiguration
}

// resolveRefs checks and resolves the references of a create or update.
// For a create, a missing auto scaling configuration is the default one.
// The caller holds s.mu.
func (s *Server) resolveRefs(c caller, network *networkConfiguration, autoScaling *string, obs *observabilityConfiguration, create bool) (serviceRefs, *apiError) {
	var out serviceRefs
	if network != nil {
		n := *network
		if e := n.EgressConfiguration; e != nil {
			egress, err := s.resolveEgress(c, *e)
			if err != nil {
				return out, err
			}
			n.EgressConfiguration = &egress
		}
		out.network = &n
	}
	if autoScaling != nil || create {
		arn, err := s.resolveAutoScaling(c, autoScaling)
		if err != nil {
			return out, err
		}
		out.autoScaling = arn
	}
	if obs != nil {
		o, err := s.resolveObservability(c, *obs)
		if err != nil {
			return out, err
		}
		out.observability = &o
	}
	return out, nil
}

func (s *Server) resolveEgress(c caller, e egressConfiguration) (egressConfiguration, *apiError) {
	vpc := e.EgressType != nil && *e.EgressType == "VPC"
	switch {
	case vpc && e.VpcConnectorArn == nil:
		return e, errInvalid("a VPC connector ARN is required when EgressType is VPC")
	case !vpc && e.VpcConnectorArn != nil:
		return e, errInvalid("VpcConnectorArn is only valid when EgressType is VPC")
	case !vpc:
		return egressConfiguration{EgressType: ptr("DEFAULT")}, nil
	}
	r := s.st.lookupResource(c, kindVPCConnector, *e.VpcConnectorArn, false)
	if r == nil || !r.active() {
		return e, errInvalid("VPC connector %s does not exist", *e.VpcConnectorArn)
	}
	return egressConfiguration{EgressType: ptr("VPC"), VpcConnectorArn: ptr(r.arn)}, nil
}

func (s *Server) resolveObservability(c caller, o observabilityConfiguration) (observabilityConfiguration, *apiError) {
	enabled := *o.ObservabilityEnabled
	switch {
	case enabled && o.ObservabilityConfigurationArn == nil:
		return o, errInvalid("an observability configuration ARN is required when ObservabilityEnabled is true")
	case !enabled && o.ObservabilityConfigurationArn != nil:
		return o, errInvalid("ObservabilityConfigurationArn is only valid when ObservabilityEnabled is true")
	case !enabled:
		return observabilityConfiguration{ObservabilityEnabled: ptr(false)}, nil
	}
	r := s.st.lookupResource(c, kindObservability, *o.ObservabilityConfigurationArn, true)
	if r == nil || !r.active() {
		return o, errInvalid("observability configuration %s does not exist", *o.ObservabilityConfigurationArn)
	}
	return observabilityConfiguration{ObservabilityEnabled: ptr(true), ObservabilityConfigurationArn: ptr(r.arn)}, nil
}

// apply sets the references on a service's configuration. The caller
// keeps the store's index of users right (store.unindex, store.index).
func (refs serviceRefs) apply(cfg *serviceConfig) {
	if refs.network != nil {
		cfg.Network = mergeNetwork(cfg.Network, *refs.network)
	}
	if refs.autoScaling != "" {
		cfg.AutoScalingARN = refs.autoScaling
	}
	if refs.observability != nil {
		cfg.Observability = *refs.observability
	}
}

// mergeNetwork is in with the members it leaves out taken from cur.
func mergeNetwork(cur, in networkConfiguration) networkConfiguration {
	if in.EgressConfiguration == nil {
		in.EgressConfiguration = cur.EgressConfiguration
	}
	if in.IngressConfiguration == nil {
		in.IngressConfiguration = cur.IngressConfiguration
	}
	if in.IpAddressType == nil {
		in.IpAddressType = cur.IpAddressType
	}
	return in
}
