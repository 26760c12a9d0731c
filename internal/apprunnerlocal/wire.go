package apprunnerlocal

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// epoch is a timestamp on the wire: seconds since the epoch as a JSON
// number, with milliseconds as a fraction, as App Runner sends them.
type epoch time.Time

// MarshalJSON implements json.Marshaler.
func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	if ms%1000 == 0 {
		return strconv.AppendInt(nil, ms/1000, 10), nil
	}
	return fmt.Appendf(nil, "%d.%03d", ms/1000, ms%1000), nil
}

func epochPtr(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

type wireTag struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

func wireTags(m map[string]string) []wireTag {
	out := make([]wireTag, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, wireTag{Key: ptr(k), Value: ptr(m[k])})
	}
	return out
}

func ptr[T any](v T) *T { return &v }

type wireConnection struct {
	ConnectionArn  string `json:"ConnectionArn"`
	ConnectionName string `json:"ConnectionName"`
	CreatedAt      epoch  `json:"CreatedAt"`
	ProviderType   string `json:"ProviderType"`
	Status         string `json:"Status"`
}

func (c *connection) wire() wireConnection {
	return wireConnection{
		ConnectionArn:  c.arn,
		ConnectionName: c.name,
		CreatedAt:      epoch(c.createdAt),
		ProviderType:   c.provider,
		Status:         c.status,
	}
}

type sourceConfiguration struct {
	AuthenticationConfiguration *authenticationConfiguration `json:"AuthenticationConfiguration,omitempty"`
	AutoDeploymentsEnabled      *bool                        `json:"AutoDeploymentsEnabled,omitempty"`
	CodeRepository              *codeRepository              `json:"CodeRepository,omitempty"`
	ImageRepository             *imageRepository             `json:"ImageRepository,omitempty"`
}

type authenticationConfiguration struct {
	AccessRoleArn *string `json:"AccessRoleArn,omitempty"`
	ConnectionArn *string `json:"ConnectionArn,omitempty"`
}

type codeRepository struct {
	RepositoryUrl     *string            `json:"RepositoryUrl,omitempty"`
	SourceCodeVersion *sourceCodeVersion `json:"SourceCodeVersion,omitempty"`
	SourceDirectory   *string            `json:"SourceDirectory,omitempty"`
	CodeConfiguration *codeConfiguration `json:"CodeConfiguration,omitempty"`
}

type sourceCodeVersion struct {
	Type  *string `json:"Type,omitempty"`
	Value *string `json:"Value,omitempty"`
}

type codeConfiguration struct {
	ConfigurationSource     *string                  `json:"ConfigurationSource,omitempty"`
	CodeConfigurationValues *codeConfigurationValues `json:"CodeConfigurationValues,omitempty"`
}

type codeConfigurationValues struct {
	BuildCommand                *string           `json:"BuildCommand,omitempty"`
	Port                        *string           `json:"Port,omitempty"`
	Runtime                     *string           `json:"Runtime,omitempty"`
	RuntimeEnvironmentSecrets   map[string]string `json:"RuntimeEnvironmentSecrets,omitempty"`
	RuntimeEnvironmentVariables map[string]string `json:"RuntimeEnvironmentVariables,omitempty"`
	StartCommand                *string           `json:"StartCommand,omitempty"`
}

type imageRepository struct {
	ImageConfiguration  *imageConfiguration `json:"ImageConfiguration,omitempty"`
	ImageIdentifier     *string             `json:"ImageIdentifier,omitempty"`
	ImageRepositoryType *string             `json:"ImageRepositoryType,omitempty"`
}

type imageConfiguration struct {
	Port                        *string           `json:"Port,omitempty"`
	RuntimeEnvironmentSecrets   map[string]string `json:"RuntimeEnvironmentSecrets,omitempty"`
	RuntimeEnvironmentVariables map[string]string `json:"RuntimeEnvironmentVariables,omitempty"`
	StartCommand                *string           `json:"StartCommand,omitempty"`
}

type instanceConfiguration struct {
	Cpu             *string `json:"Cpu,omitempty"`
	InstanceRoleArn *string `json:"InstanceRoleArn,omitempty"`
	Memory          *string `json:"Memory,omitempty"`
}

type healthCheckConfiguration struct {
	HealthyThreshold   *int32  `json:"HealthyThreshold,omitempty"`
	Interval           *int32  `json:"Interval,omitempty"`
	Path               *string `json:"Path,omitempty"`
	Protocol           *string `json:"Protocol,omitempty"`
	Timeout            *int32  `json:"Timeout,omitempty"`
	UnhealthyThreshold *int32  `json:"UnhealthyThreshold,omitempty"`
}

type networkConfiguration struct {
	EgressConfiguration  *egressConfiguration  `json:"EgressConfiguration,omitempty"`
	IngressConfiguration *ingressConfiguration `json:"IngressConfiguration,omitempty"`
	IpAddressType        *string               `json:"IpAddressType,omitempty"`
}

type egressConfiguration struct {
	EgressType      *string `json:"EgressType,omitempty"`
	VpcConnectorArn *string `json:"VpcConnectorArn,omitempty"`
}

type ingressConfiguration struct {
	IsPubliclyAccessible *bool `json:"IsPubliclyAccessible,omitempty"`
}

type encryptionConfiguration struct {
	KmsKey *string `json:"KmsKey,omitempty"`
}

type observabilityConfiguration struct {
	ObservabilityConfigurationArn *string `json:"ObservabilityConfigurationArn,omitempty"`
	ObservabilityEnabled          *bool   `json:"ObservabilityEnabled,omitempty"`
}

type autoScalingConfigurationSummary struct {
	AutoScalingConfigurationArn      string `json:"AutoScalingConfigurationArn"`
	AutoScalingConfigurationName     string `json:"AutoScalingConfigurationName"`
	AutoScalingConfigurationRevision int32  `json:"AutoScalingConfigurationRevision"`
	CreatedAt                        epoch  `json:"CreatedAt"`
	HasAssociatedService             bool   `json:"HasAssociatedService"`
	IsDefault                        bool   `json:"IsDefault"`
	Status                           string `json:"Status"`
}

// serviceConfig is what CreateService received, completed with the
// service's defaults, and changed by UpdateService. Its references to
// other resources are full ARNs, partial ones resolved on the way in.
type serviceConfig struct {
	Source         sourceConfiguration
	Instance       instanceConfiguration
	Health         healthCheckConfiguration
	Network        networkConfiguration
	Encryption     *encryptionConfiguration
	Observability  observabilityConfiguration
	AutoScalingARN string
}

func defaultConfig(sc scope, src sourceConfiguration) serviceConfig {
	return serviceConfig{
		Source:   src,
		Instance: instanceConfiguration{Cpu: ptr("1024"), Memory: ptr("2048")},
		Health: healthCheckConfiguration{
			Protocol: ptr("TCP"), Path: ptr("/"), Interval: ptr[int32](5), Timeout: ptr[int32](2),
			HealthyThreshold: ptr[int32](1), UnhealthyThreshold: ptr[int32](5),
		},
		Network: networkConfiguration{
			EgressConfiguration:  &egressConfiguration{EgressType: ptr("DEFAULT")},
			IngressConfiguration: &ingressConfiguration{IsPubliclyAccessible: ptr(true)},
			IpAddressType:        ptr("IPV4"),
		},
		Observability:  observabilityConfiguration{ObservabilityEnabled: ptr(false)},
		AutoScalingARN: builtinAutoScalingARN(sc),
	}
}

type wireService struct {
	AutoScalingConfigurationSummary autoScalingConfigurationSummary `json:"AutoScalingConfigurationSummary"`
	CreatedAt                       epoch                           `json:"CreatedAt"`
	DeletedAt                       *epoch                          `json:"DeletedAt,omitempty"`
	EncryptionConfiguration         *encryptionConfiguration        `json:"EncryptionConfiguration,omitempty"`
	HealthCheckConfiguration        healthCheckConfiguration        `json:"HealthCheckConfiguration"`
	InstanceConfiguration           instanceConfiguration           `json:"InstanceConfiguration"`
	NetworkConfiguration            networkConfiguration            `json:"NetworkConfiguration"`
	ObservabilityConfiguration      observabilityConfiguration      `json:"ObservabilityConfiguration"`
	ServiceArn                      string                          `json:"ServiceArn"`
	ServiceId                       string                          `json:"ServiceId"`
	ServiceName                     string                          `json:"ServiceName"`
	ServiceUrl                      string                          `json:"ServiceUrl,omitempty"`
	SourceConfiguration             sourceConfiguration             `json:"SourceConfiguration"`
	Status                          string                          `json:"Status"`
	UpdatedAt                       epoch                           `json:"UpdatedAt"`
}

// wire is the service in the model's shape; as is its auto scaling
// configuration, which the store computes (store.wireService).
func (sv *service) wire(as autoScalingConfigurationSummary) wireService {
	return wireService{
		AutoScalingConfigurationSummary: as,
		CreatedAt:                       epoch(sv.createdAt),
		DeletedAt:                       epochPtr(sv.deletedAt),
		EncryptionConfiguration:         sv.cfg.Encryption,
		HealthCheckConfiguration:        sv.cfg.Health,
		InstanceConfiguration:           sv.cfg.Instance,
		NetworkConfiguration:            sv.cfg.Network,
		ObservabilityConfiguration:      sv.cfg.Observability,
		ServiceArn:                      sv.arn,
		ServiceId:                       sv.id,
		ServiceName:                     sv.name,
		ServiceUrl:                      sv.url,
		SourceConfiguration:             sv.cfg.Source,
		Status:                          sv.status,
		UpdatedAt:                       epoch(sv.updatedAt),
	}
}

type wireServiceSummary struct {
	CreatedAt   epoch  `json:"CreatedAt"`
	ServiceArn  string `json:"ServiceArn"`
	ServiceId   string `json:"ServiceId"`
	ServiceName string `json:"ServiceName"`
	ServiceUrl  string `json:"ServiceUrl,omitempty"`
	Status      string `json:"Status"`
	UpdatedAt   epoch  `json:"UpdatedAt"`
}

func (sv *service) summary() wireServiceSummary {
	return wireServiceSummary{
		CreatedAt: epoch(sv.createdAt), ServiceArn: sv.arn, ServiceId: sv.id, ServiceName: sv.name,
		ServiceUrl: sv.url, Status: sv.status, UpdatedAt: epoch(sv.updatedAt),
	}
}

// pageToken is the content of a NextToken: a cursor after the last item
// returned, bound to the request that issued it.
type pageToken struct {
	Version int    `json:"v"`
	Op      string `json:"op"`
	Account string `json:"a"`
	Region  string `json:"r"`
	Filter  string `json:"f,omitempty"`
	Nanos   int64  `json:"t"`
	ARN     string `json:"k"`
}

func encodeToken(t pageToken) string {
	t.Version = 1
	data, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(data)
}

// decodeToken returns the cursor of a NextToken issued for the same
// operation, caller and filter.
func decodeToken(s string, want pageToken) (sortKey, *apiError) {
	data, err := base64.RawURLEncoding.DecodeString(s)
	var t pageToken
	if err != nil || json.Unmarshal(data, &t) != nil || t.Version != 1 {
		return sortKey{}, errInvalid("invalid NextToken: it was not issued by this service")
	}
	if t.Op != want.Op || t.Account != want.Account || t.Region != want.Region || t.Filter != want.Filter {
		return sortKey{}, errInvalid("invalid NextToken: it was issued for a different request; other parameters must be identical to the first request's")
	}
	return sortKey{createdAt: time.Unix(0, t.Nanos), arn: t.ARN}, nil
}
