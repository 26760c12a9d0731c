package apprunnerlocal

import "time"

// The wire shapes of VPC connectors, auto scaling configurations and
// observability configurations. What the model computes (Latest,
// IsDefault, HasAssociatedService) is computed when a shape is written,
// from the store as it is then.

type traceConfiguration struct {
	Vendor *string `json:"Vendor,omitempty"`
}

type wireVPCConnector struct {
	CreatedAt            epoch    `json:"CreatedAt"`
	DeletedAt            *epoch   `json:"DeletedAt,omitempty"`
	SecurityGroups       []string `json:"SecurityGroups"`
	Status               string   `json:"Status"`
	Subnets              []string `json:"Subnets"`
	VpcConnectorArn      string   `json:"VpcConnectorArn"`
	VpcConnectorName     string   `json:"VpcConnectorName"`
	VpcConnectorRevision int      `json:"VpcConnectorRevision"`
}

func (r *resource) wireVPCConnector() wireVPCConnector {
	return wireVPCConnector{
		CreatedAt: epoch(r.createdAt), DeletedAt: epochPtr(r.deletedAt),
		SecurityGroups: nonNil(r.securityGroups), Status: r.status, Subnets: nonNil(r.subnets),
		VpcConnectorArn: r.arn, VpcConnectorName: r.name, VpcConnectorRevision: r.revision,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type wireAutoScalingConfiguration struct {
	AutoScalingConfigurationArn      string `json:"AutoScalingConfigurationArn"`
	AutoScalingConfigurationName     string `json:"AutoScalingConfigurationName"`
	AutoScalingConfigurationRevision int    `json:"AutoScalingConfigurationRevision"`
	CreatedAt                        epoch  `json:"CreatedAt"`
	DeletedAt                        *epoch `json:"DeletedAt,omitempty"`
	HasAssociatedService             bool   `json:"HasAssociatedService"`
	IsDefault                        bool   `json:"IsDefault"`
	Latest                           bool   `json:"Latest"`
	MaxConcurrency                   int32  `json:"MaxConcurrency"`
	MaxSize                          int32  `json:"MaxSize"`
	MinSize                          int32  `json:"MinSize"`
	Status                           string `json:"Status"`
}

func (st *store) wireAutoScaling(r *resource, now time.Time) wireAutoScalingConfiguration {
	return wireAutoScalingConfiguration{
		AutoScalingConfigurationArn: r.arn, AutoScalingConfigurationName: r.name,
		AutoScalingConfigurationRevision: r.revision, CreatedAt: epoch(r.createdAt), DeletedAt: epochPtr(r.deletedAt),
		HasAssociatedService: st.inUse(r.arn, now), IsDefault: st.isDefault(r), Latest: st.isLatest(r),
		MaxConcurrency: r.maxConcurrency, MaxSize: r.maxSize, MinSize: r.minSize, Status: r.status,
	}
}

func (st *store) autoScalingSummary(r *resource, now time.Time) autoScalingConfigurationSummary {
	return autoScalingConfigurationSummary{
		AutoScalingConfigurationArn: r.arn, AutoScalingConfigurationName: r.name,
		AutoScalingConfigurationRevision: int32(r.revision), CreatedAt: epoch(r.createdAt),
		HasAssociatedService: st.inUse(r.arn, now), IsDefault: st.isDefault(r), Status: r.status,
	}
}

// serviceAutoScaling is the AutoScalingConfigurationSummary of a service:
// the revision it uses, as it is now.
func (st *store) serviceAutoScaling(sv *service, now time.Time) autoScalingConfigurationSummary {
	if r := st.resources[sv.cfg.AutoScalingARN]; r != nil {
		return st.autoScalingSummary(r, now)
	}
	// Every service's configuration is in the store (its region made the
	// default, and the others were checked); this is a safety net only.
	return autoScalingConfigurationSummary{
		AutoScalingConfigurationArn: sv.cfg.AutoScalingARN, AutoScalingConfigurationName: DefaultAutoScalingName,
		AutoScalingConfigurationRevision: 1, CreatedAt: epoch(builtinCreatedAt), Status: ResourceActive,
	}
}

// wireService is a service in the model's shape, with its auto scaling
// configuration as it is now.
func (st *store) wireService(sv *service, now time.Time) wireService {
	return sv.wire(st.serviceAutoScaling(sv, now))
}

type wireObservabilityConfiguration struct {
	CreatedAt                          epoch               `json:"CreatedAt"`
	DeletedAt                          *epoch              `json:"DeletedAt,omitempty"`
	Latest                             bool                `json:"Latest"`
	ObservabilityConfigurationArn      string              `json:"ObservabilityConfigurationArn"`
	ObservabilityConfigurationName     string              `json:"ObservabilityConfigurationName"`
	ObservabilityConfigurationRevision int                 `json:"ObservabilityConfigurationRevision"`
	Status                             string              `json:"Status"`
	TraceConfiguration                 *traceConfiguration `json:"TraceConfiguration,omitempty"`
}

func (st *store) wireObservability(r *resource) wireObservabilityConfiguration {
	return wireObservabilityConfiguration{
		CreatedAt: epoch(r.createdAt), DeletedAt: epochPtr(r.deletedAt), Latest: st.isLatest(r),
		ObservabilityConfigurationArn: r.arn, ObservabilityConfigurationName: r.name,
		ObservabilityConfigurationRevision: r.revision, Status: r.status, TraceConfiguration: r.trace,
	}
}

type wireObservabilitySummary struct {
	ObservabilityConfigurationArn      string `json:"ObservabilityConfigurationArn"`
	ObservabilityConfigurationName     string `json:"ObservabilityConfigurationName"`
	ObservabilityConfigurationRevision int    `json:"ObservabilityConfigurationRevision"`
}
