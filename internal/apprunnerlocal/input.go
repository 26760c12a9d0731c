package apprunnerlocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// An operation's input is decoded and checked against the model here, once,
// before the operation runs: the handlers in ops.go receive only inputs that
// passed.

// input is a pointer to an operation's input shape.
type input[T any] interface {
	*T
	validate() *apiError
}

// decodeInput decodes a request body into an operation's input and
// validates it. Malformed JSON and wrongly typed members are a
// SerializationException, as with the real service.
func decodeInput[T any, PT input[T]](body []byte) (PT, *apiError) {
	in := PT(new(T))
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(in); err != nil {
		return nil, &apiError{status: http.StatusBadRequest, code: "SerializationException", msg: "cannot decode request: " + err.Error()}
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	return in, nil
}

type createConnectionInput struct {
	ConnectionName *string
	ProviderType   *string
	Tags           []wireTag
}

func (in *createConnectionInput) validate() *apiError {
	var v validator
	if v.required("ConnectionName", in.ConnectionName != nil) {
		v.str("connectionName", in.ConnectionName, 4, 32, connectionNameRE)
	}
	if v.required("ProviderType", in.ProviderType != nil) {
		v.enum("providerType", in.ProviderType, providerTypes)
	}
	v.tags("tags", in.Tags)
	return v.err()
}

type listConnectionsInput struct {
	ConnectionName *string
	MaxResults     *int32
	NextToken      *string
}

func (in *listConnectionsInput) validate() *apiError {
	var v validator
	v.str("connectionName", in.ConnectionName, 4, 32, connectionNameRE)
	v.intRange("maxResults", in.MaxResults, 1, 100)
	v.str("nextToken", in.NextToken, 1, 1024, nil)
	return v.err()
}

type deleteConnectionInput struct{ ConnectionArn *string }

func (in *deleteConnectionInput) validate() *apiError {
	var v validator
	v.requiredARN("ConnectionArn", in.ConnectionArn)
	return v.err()
}

type createServiceInput struct {
	AutoScalingConfigurationArn *string
	EncryptionConfiguration     *encryptionConfiguration
	HealthCheckConfiguration    *healthCheckConfiguration
	InstanceConfiguration       *instanceConfiguration
	NetworkConfiguration        *networkConfiguration
	ObservabilityConfiguration  *observabilityConfiguration
	ServiceName                 *string
	SourceConfiguration         *sourceConfiguration
	Tags                        []wireTag
}

func (in *createServiceInput) validate() *apiError {
	var v validator
	if v.required("ServiceName", in.ServiceName != nil) {
		v.str("serviceName", in.ServiceName, 4, 40, serviceNameRE)
	}
	if v.required("SourceConfiguration", in.SourceConfiguration != nil) {
		validateSource(&v, in.SourceConfiguration)
	}
	v.arn("autoScalingConfigurationArn", in.AutoScalingConfigurationArn)
	if e := in.EncryptionConfiguration; e != nil && v.required("EncryptionConfiguration.KmsKey", e.KmsKey != nil) {
		v.str("encryptionConfiguration.kmsKey", e.KmsKey, 0, 256, kmsKeyARNRE)
	}
	if h := in.HealthCheckConfiguration; h != nil {
		v.intRange("healthCheckConfiguration.healthyThreshold", h.HealthyThreshold, 1, 20)
		v.intRange("healthCheckConfiguration.unhealthyThreshold", h.UnhealthyThreshold, 1, 20)
		v.intRange("healthCheckConfiguration.interval", h.Interval, 1, 20)
		v.intRange("healthCheckConfiguration.timeout", h.Timeout, 1, 20)
		v.str("healthCheckConfiguration.path", h.Path, 1, 0, nil)
		v.enum("healthCheckConfiguration.protocol", h.Protocol, []string{"TCP", "HTTP"})
	}
	if ic := in.InstanceConfiguration; ic != nil {
		v.str("instanceConfiguration.cpu", ic.Cpu, 3, 9, cpuRE)
		v.str("instanceConfiguration.memory", ic.Memory, 3, 6, memoryRE)
		v.str("instanceConfiguration.instanceRoleArn", ic.InstanceRoleArn, 29, 1024, roleARNRE)
	}
	checkNetwork(&v, in.NetworkConfiguration)
	checkObservability(&v, in.ObservabilityConfiguration)
	v.tags("tags", in.Tags)
	return v.err()
}

func validateSource(v *validator, src *sourceConfiguration) {
	if a := src.AuthenticationConfiguration; a != nil {
		v.arn("sourceConfiguration.authenticationConfiguration.connectionArn", a.ConnectionArn)
		v.str("sourceConfiguration.authenticationConfiguration.accessRoleArn", a.AccessRoleArn, 29, 1024, roleARNRE)
	}
	switch {
	case src.CodeRepository != nil && src.ImageRepository != nil:
		v.add("sourceConfiguration must specify either CodeRepository or ImageRepository, not both")
	case src.CodeRepository != nil:
		cr := src.CodeRepository
		if v.required("SourceConfiguration.CodeRepository.RepositoryUrl", cr.RepositoryUrl != nil) {
			v.str("sourceConfiguration.codeRepository.repositoryUrl", cr.RepositoryUrl, 0, 51200, nil)
		}
		if v.required("SourceConfiguration.CodeRepository.SourceCodeVersion", cr.SourceCodeVersion != nil) {
			scv := cr.SourceCodeVersion
			if v.required("SourceConfiguration.CodeRepository.SourceCodeVersion.Type", scv.Type != nil) {
				v.enum("sourceConfiguration.codeRepository.sourceCodeVersion.type", scv.Type, []string{"BRANCH"})
			}
			v.required("SourceConfiguration.CodeRepository.SourceCodeVersion.Value", scv.Value != nil)
		}
		v.str("sourceConfiguration.codeRepository.sourceDirectory", cr.SourceDirectory, 1, 4096, nil)
		if cc := cr.CodeConfiguration; cc != nil {
			if v.required("SourceConfiguration.CodeRepository.CodeConfiguration.ConfigurationSource", cc.ConfigurationSource != nil) {
				v.enum("sourceConfiguration.codeRepository.codeConfiguration.configurationSource", cc.ConfigurationSource, []string{"REPOSITORY", "API"})
			}
			if vals := cc.CodeConfigurationValues; vals != nil {
				if v.required("SourceConfiguration.CodeRepository.CodeConfiguration.CodeConfigurationValues.Runtime", vals.Runtime != nil) {
					v.enum("sourceConfiguration.codeRepository.codeConfiguration.codeConfigurationValues.runtime", vals.Runtime, runtimes)
				}
				v.str("sourceConfiguration.codeRepository.codeConfiguration.codeConfigurationValues.buildCommand", vals.BuildCommand, 0, 0, commandRE)
				v.str("sourceConfiguration.codeRepository.codeConfiguration.codeConfigurationValues.startCommand", vals.StartCommand, 0, 0, commandRE)
			}
		}
		if a := src.AuthenticationConfiguration; a == nil || a.ConnectionArn == nil {
			v.add("sourceConfiguration.authenticationConfiguration.connectionArn is required for a code repository source")
		}
	case src.ImageRepository != nil:
		ir := src.ImageRepository
		if v.required("SourceConfiguration.ImageRepository.ImageIdentifier", ir.ImageIdentifier != nil) {
			v.str("sourceConfiguration.imageRepository.imageIdentifier", ir.ImageIdentifier, 1, 1024, imageIdentifierRE)
		}
		if v.required("SourceConfiguration.ImageRepository.ImageRepositoryType", ir.ImageRepositoryType != nil) {
			v.enum("sourceConfiguration.imageRepository.imageRepositoryType", ir.ImageRepositoryType, []string{"ECR", "ECR_PUBLIC"})
		}
		if ic := ir.ImageConfiguration; ic != nil {
			v.str("sourceConfiguration.imageRepository.imageConfiguration.startCommand", ic.StartCommand, 0, 0, commandRE)
		}
	default:
		v.add("sourceConfiguration must specify a CodeRepository or an ImageRepository")
	}
}

// serviceARNInput is the input of the operations that name one service and
// nothing else.
type serviceARNInput struct{ ServiceArn *string }

func (in *serviceARNInput) validate() *apiError {
	var v validator
	v.requiredARN("ServiceArn", in.ServiceArn)
	return v.err()
}

type listServicesInput struct {
	MaxResults *int32
	NextToken  *string
}

func (in *listServicesInput) validate() *apiError {
	var v validator
	v.intRange("maxResults", in.MaxResults, 1, 20)
	v.str("nextToken", in.NextToken, 0, 51200, nil)
	return v.err()
}

// updateServiceInput holds the members of UpdateService that the emulator
// models; the others are accepted and ignored.
type updateServiceInput struct {
	serviceARNInput
	SourceConfiguration         *sourceConfiguration
	AutoScalingConfigurationArn *string
	NetworkConfiguration        *networkConfiguration
	ObservabilityConfiguration  *observabilityConfiguration
}

// validate reports a bad source or configuration on its own, before the
// service ARN is looked at.
func (in *updateServiceInput) validate() *apiError {
	var v validator
	if in.SourceConfiguration != nil {
		validateSource(&v, in.SourceConfiguration)
	}
	v.arn("autoScalingConfigurationArn", in.AutoScalingConfigurationArn)
	checkNetwork(&v, in.NetworkConfiguration)
	checkObservability(&v, in.ObservabilityConfiguration)
	if err := v.err(); err != nil {
		return err
	}
	return in.serviceARNInput.validate()
}

type tagResourceInput struct {
	ResourceArn *string
	Tags        []wireTag
}

func (in *tagResourceInput) validate() *apiError {
	var v validator
	v.requiredARN("ResourceArn", in.ResourceArn)
	if v.required("Tags", in.Tags != nil) {
		v.tags("tags", in.Tags)
	}
	return v.err()
}

type untagResourceInput struct {
	ResourceArn *string
	TagKeys     []string
}

func (in *untagResourceInput) validate() *apiError {
	var v validator
	v.requiredARN("ResourceArn", in.ResourceArn)
	if v.required("TagKeys", in.TagKeys != nil) {
		for i, k := range in.TagKeys {
			v.tagKey(fmt.Sprintf("tagKeys.%d.member", i+1), k)
		}
	}
	return v.err()
}

type listTagsForResourceInput struct{ ResourceArn *string }

func (in *listTagsForResourceInput) validate() *apiError {
	var v validator
	v.requiredARN("ResourceArn", in.ResourceArn)
	return v.err()
}
