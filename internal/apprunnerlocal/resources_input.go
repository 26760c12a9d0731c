package apprunnerlocal

import (
	"math"
	"regexp"
)

// The inputs of the VPC connector, auto scaling configuration and
// observability configuration operations, checked against the model.

var (
	vpcConnectorNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-_]{3,39}$`)
	// configNameRE is the pattern of auto scaling and observability
	// configuration names.
	configNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-_]{3,31}$`)
)

var tracingVendors = []string{"AWSXRAY"}

// listInput holds the paging members every list operation has.
type listInput struct {
	MaxResults *int32
	NextToken  *string
}

func (in *listInput) check(v *validator) {
	v.intRange("maxResults", in.MaxResults, 1, 100)
	v.str("nextToken", in.NextToken, 1, 1024, nil)
}

type createVpcConnectorInput struct {
	VpcConnectorName *string
	Subnets          []string
	SecurityGroups   []string
	Tags             []wireTag
}

func (in *createVpcConnectorInput) validate() *apiError {
	var v validator
	if v.required("VpcConnectorName", in.VpcConnectorName != nil) {
		v.str("vpcConnectorName", in.VpcConnectorName, 4, 40, vpcConnectorNameRE)
	}
	if v.required("Subnets", in.Subnets != nil) && len(in.Subnets) == 0 {
		v.add("value at 'subnets' failed to satisfy constraint: member must have length greater than or equal to 1")
	}
	v.tags("tags", in.Tags)
	return v.err()
}

type vpcConnectorARNInput struct{ VpcConnectorArn *string }

func (in *vpcConnectorARNInput) validate() *apiError {
	var v validator
	v.requiredARN("VpcConnectorArn", in.VpcConnectorArn)
	return v.err()
}

type listVpcConnectorsInput struct{ listInput }

func (in *listVpcConnectorsInput) validate() *apiError {
	var v validator
	in.check(&v)
	return v.err()
}

type createAutoScalingConfigurationInput struct {
	AutoScalingConfigurationName *string
	MaxConcurrency               *int32
	MaxSize                      *int32
	MinSize                      *int32
	Tags                         []wireTag
}

func (in *createAutoScalingConfigurationInput) validate() *apiError {
	var v validator
	if v.required("AutoScalingConfigurationName", in.AutoScalingConfigurationName != nil) {
		v.str("autoScalingConfigurationName", in.AutoScalingConfigurationName, 4, 32, configNameRE)
	}
	v.intRange("maxConcurrency", in.MaxConcurrency, 1, 200)
	v.intRange("minSize", in.MinSize, 1, 25)
	v.intRange("maxSize", in.MaxSize, 1, math.MaxInt32)
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return err
	}
	if minSize, maxSize := orDefault(in.MinSize, 1), orDefault(in.MaxSize, 25); minSize > maxSize {
		return errInvalid("MinSize %d is greater than MaxSize %d: the minimum number of instances cannot exceed the maximum", minSize, maxSize)
	}
	return nil
}

func orDefault(v *int32, def int32) int32 {
	if v == nil {
		return def
	}
	return *v
}

type autoScalingARNInput struct{ AutoScalingConfigurationArn *string }

func (in *autoScalingARNInput) validate() *apiError {
	var v validator
	v.requiredARN("AutoScalingConfigurationArn", in.AutoScalingConfigurationArn)
	return v.err()
}

type deleteAutoScalingConfigurationInput struct {
	autoScalingARNInput
	DeleteAllRevisions *bool
}

type listAutoScalingConfigurationsInput struct {
	AutoScalingConfigurationName *string
	LatestOnly                   *bool
	listInput
}

func (in *listAutoScalingConfigurationsInput) validate() *apiError {
	var v validator
	v.str("autoScalingConfigurationName", in.AutoScalingConfigurationName, 4, 32, configNameRE)
	in.check(&v)
	return v.err()
}

type listServicesForAutoScalingConfigurationInput struct {
	autoScalingARNInput
	listInput
}

func (in *listServicesForAutoScalingConfigurationInput) validate() *apiError {
	var v validator
	v.requiredARN("AutoScalingConfigurationArn", in.AutoScalingConfigurationArn)
	in.check(&v)
	return v.err()
}

type createObservabilityConfigurationInput struct {
	ObservabilityConfigurationName *string
	TraceConfiguration             *traceConfiguration
	Tags                           []wireTag
}

func (in *createObservabilityConfigurationInput) validate() *apiError {
	var v validator
	if v.required("ObservabilityConfigurationName", in.ObservabilityConfigurationName != nil) {
		v.str("observabilityConfigurationName", in.ObservabilityConfigurationName, 4, 32, configNameRE)
	}
	if tc := in.TraceConfiguration; tc != nil && v.required("TraceConfiguration.Vendor", tc.Vendor != nil) {
		v.enum("traceConfiguration.vendor", tc.Vendor, tracingVendors)
	}
	v.tags("tags", in.Tags)
	return v.err()
}

type observabilityARNInput struct{ ObservabilityConfigurationArn *string }

func (in *observabilityARNInput) validate() *apiError {
	var v validator
	v.requiredARN("ObservabilityConfigurationArn", in.ObservabilityConfigurationArn)
	return v.err()
}

type listObservabilityConfigurationsInput struct {
	ObservabilityConfigurationName *string
	LatestOnly                     *bool
	listInput
}

func (in *listObservabilityConfigurationsInput) validate() *apiError {
	var v validator
	v.str("observabilityConfigurationName", in.ObservabilityConfigurationName, 4, 32, configNameRE)
	in.check(&v)
	return v.err()
}

// checkNetwork and checkObservability check the members of CreateService
// and UpdateService that refer to a VPC connector or an observability
// configuration; whether these exist is for the operation to say.
func checkNetwork(v *validator, n *networkConfiguration) {
	if n == nil {
		return
	}
	if e := n.EgressConfiguration; e != nil {
		v.enum("networkConfiguration.egressConfiguration.egressType", e.EgressType, []string{"DEFAULT", "VPC"})
		v.arn("networkConfiguration.egressConfiguration.vpcConnectorArn", e.VpcConnectorArn)
	}
	v.enum("networkConfiguration.ipAddressType", n.IpAddressType, []string{"IPV4", "DUAL_STACK"})
}

func checkObservability(v *validator, o *observabilityConfiguration) {
	if o == nil {
		return
	}
	v.required("ObservabilityConfiguration.ObservabilityEnabled", o.ObservabilityEnabled != nil)
	v.arn("observabilityConfiguration.observabilityConfigurationArn", o.ObservabilityConfigurationArn)
}
