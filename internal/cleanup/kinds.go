package cleanup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apprunner-tools/connection-cleanup/internal/request"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apprunner"
	"github.com/aws/aws-sdk-go-v2/service/apprunner/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// state is what App Runner says of one resource of any kind: its listing's
// summary, or its description.
type state struct {
	arn, name string
	// gone: DELETED (a connection) or INACTIVE (the other kinds).
	gone      bool
	status    string
	createdAt *time.Time
	// Auto scaling configurations only: the account's default, and
	// whether App Runner counts a service using the revision. known says
	// the two were given (a listing or description did).
	isDefault, hasAssociatedService, known bool
}

// pageSize is the largest MaxResults of every listing of leftovers but
// ListServices: 100.
const pageSize = 100

// listKind lists every resource of kind k, each page's states handed to
// each as it arrives: every revision of the kinds that have them (see
// allRevisions). Observability configurations are listed without
// their creation time or status (the API's summary has neither), so each
// of theirs has known false and its createdAt nil: see describeKind.
func listKind(ctx context.Context, api API, k request.Kind, each func(state)) error {
	switch k {
	case request.KindConnection:
		p := apprunner.NewListConnectionsPaginator(api, &apprunner.ListConnectionsInput{MaxResults: aws.Int32(pageSize)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, c := range page.ConnectionSummaryList {
				each(connectionState(c))
			}
		}
	case request.KindVPCConnector:
		p := apprunner.NewListVpcConnectorsPaginator(api, &apprunner.ListVpcConnectorsInput{MaxResults: aws.Int32(pageSize)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, v := range page.VpcConnectors {
				each(vpcConnectorState(v))
			}
		}
	case request.KindAutoScaling:
		p := apprunner.NewListAutoScalingConfigurationsPaginator(api, &apprunner.ListAutoScalingConfigurationsInput{
			MaxResults: aws.Int32(pageSize)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx, allRevisions)
			if err != nil {
				return err
			}
			for _, c := range page.AutoScalingConfigurationSummaryList {
				each(state{arn: aws.ToString(c.AutoScalingConfigurationArn), name: aws.ToString(c.AutoScalingConfigurationName),
					status: string(c.Status), gone: c.Status == types.AutoScalingConfigurationStatusInactive, createdAt: c.CreatedAt,
					isDefault: aws.ToBool(c.IsDefault), hasAssociatedService: aws.ToBool(c.HasAssociatedService), known: true})
			}
		}
	case request.KindObservability:
		p := apprunner.NewListObservabilityConfigurationsPaginator(api, &apprunner.ListObservabilityConfigurationsInput{
			MaxResults: aws.Int32(pageSize)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx, allRevisions)
			if err != nil {
				return err
			}
			for _, c := range page.ObservabilityConfigurationSummaryList {
				each(state{arn: aws.ToString(c.ObservabilityConfigurationArn), name: aws.ToString(c.ObservabilityConfigurationName)})
			}
		}
	default:
		return fmt.Errorf("unknown resource type %q", k)
	}
	return nil
}

// allRevisions makes a listing of auto scaling or observability
// configurations send "LatestOnly": false. The API's LatestOnly defaults
// to true, which lists only the latest revision of each name and would
// hide every older one, free or not; the SDK's LatestOnly is a plain
// bool, sent only when true, so false has to be written into the
// serialized body, just after the operation's serializer.
func allRevisions(o *apprunner.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Serialize.Add(middleware.SerializeMiddlewareFunc("AllRevisions",
			func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
				req, ok := in.Request.(*smithyhttp.Request)
				if !ok {
					return next.HandleSerialize(ctx, in)
				}
				body := map[string]any{}
				if stream := req.GetStream(); stream != nil {
					if err := json.NewDecoder(stream).Decode(&body); err != nil && err != io.EOF {
						return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("all revisions: read the request: %w", err)
					}
				}
				body["LatestOnly"] = false
				b, err := json.Marshal(body)
				if err != nil {
					return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("all revisions: %w", err)
				}
				if req, err = req.SetStream(bytes.NewReader(b)); err != nil {
					return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("all revisions: %w", err)
				}
				in.Request = req
				return next.HandleSerialize(ctx, in)
			}), middleware.After)
	})
}

// describeKind describes one resource of a kind that has a Describe
// operation (every kind but connections, which are looked up by a
// filtered listing instead). A resource App Runner does not know is
// ResourceNotFoundException, which the caller takes for gone.
func describeKind(ctx context.Context, api API, k request.Kind, arn string) (state, error) {
	switch k {
	case request.KindVPCConnector:
		out, err := api.DescribeVpcConnector(ctx, &apprunner.DescribeVpcConnectorInput{VpcConnectorArn: aws.String(arn)})
		if err != nil || out.VpcConnector == nil {
			return state{}, err
		}
		return vpcConnectorState(*out.VpcConnector), nil
	case request.KindAutoScaling:
		out, err := api.DescribeAutoScalingConfiguration(ctx, &apprunner.DescribeAutoScalingConfigurationInput{AutoScalingConfigurationArn: aws.String(arn)})
		if err != nil || out.AutoScalingConfiguration == nil {
			return state{}, err
		}
		c := out.AutoScalingConfiguration
		return state{arn: aws.ToString(c.AutoScalingConfigurationArn), name: aws.ToString(c.AutoScalingConfigurationName),
			status: string(c.Status), gone: c.Status == types.AutoScalingConfigurationStatusInactive, createdAt: c.CreatedAt,
			isDefault: aws.ToBool(c.IsDefault), hasAssociatedService: aws.ToBool(c.HasAssociatedService), known: true}, nil
	case request.KindObservability:
		out, err := api.DescribeObservabilityConfiguration(ctx, &apprunner.DescribeObservabilityConfigurationInput{ObservabilityConfigurationArn: aws.String(arn)})
		if err != nil || out.ObservabilityConfiguration == nil {
			return state{}, err
		}
		c := out.ObservabilityConfiguration
		return state{arn: aws.ToString(c.ObservabilityConfigurationArn), name: aws.ToString(c.ObservabilityConfigurationName),
			status: string(c.Status), gone: c.Status == types.ObservabilityConfigurationStatusInactive, createdAt: c.CreatedAt, known: true}, nil
	}
	return state{}, fmt.Errorf("no description of a %s", k.Noun())
}

func connectionState(c types.ConnectionSummary) state {
	return state{arn: aws.ToString(c.ConnectionArn), name: aws.ToString(c.ConnectionName), status: string(c.Status),
		gone: c.Status == types.ConnectionStatusDeleted, createdAt: c.CreatedAt}
}

func vpcConnectorState(v types.VpcConnector) state {
	return state{arn: aws.ToString(v.VpcConnectorArn), name: aws.ToString(v.VpcConnectorName), status: string(v.Status),
		gone: v.Status == types.VpcConnectorStatusInactive, createdAt: v.CreatedAt}
}

// deleteKind deletes one resource, and returns the status App Runner
// reports of it. An auto scaling configuration is deleted one revision at
// a time, never with DeleteAllRevisions: each revision is decided on its
// own, and a name's other revisions may be in use.
func deleteKind(ctx context.Context, api API, k request.Kind, arn string) (status string, err error) {
	switch k {
	case request.KindConnection:
		out, err := api.DeleteConnection(ctx, &apprunner.DeleteConnectionInput{ConnectionArn: aws.String(arn)})
		if err != nil || out.Connection == nil {
			return "", err
		}
		return string(out.Connection.Status), nil
	case request.KindVPCConnector:
		out, err := api.DeleteVpcConnector(ctx, &apprunner.DeleteVpcConnectorInput{VpcConnectorArn: aws.String(arn)})
		if err != nil || out.VpcConnector == nil {
			return "", err
		}
		return string(out.VpcConnector.Status), nil
	case request.KindAutoScaling:
		out, err := api.DeleteAutoScalingConfiguration(ctx, &apprunner.DeleteAutoScalingConfigurationInput{
			AutoScalingConfigurationArn: aws.String(arn), DeleteAllRevisions: false})
		if err != nil || out.AutoScalingConfiguration == nil {
			return "", err
		}
		return string(out.AutoScalingConfiguration.Status), nil
	case request.KindObservability:
		out, err := api.DeleteObservabilityConfiguration(ctx, &apprunner.DeleteObservabilityConfigurationInput{ObservabilityConfigurationArn: aws.String(arn)})
		if err != nil || out.ObservabilityConfiguration == nil {
			return "", err
		}
		return string(out.ObservabilityConfiguration.Status), nil
	}
	return "", fmt.Errorf("no deletion of a %s", k.Noun())
}

// isDelete reports whether op is one of the deletions.
func isDelete(op string) bool { return strings.HasPrefix(op, "Delete") }

// servicesOfAutoScaling lists the services App Runner says use one revision
// of an auto scaling configuration: the cross-check of the index before
// it is deleted.
func servicesOfAutoScaling(ctx context.Context, api API, arn string) ([]string, error) {
	var out []string
	p := apprunner.NewListServicesForAutoScalingConfigurationPaginator(api, &apprunner.ListServicesForAutoScalingConfigurationInput{
		AutoScalingConfigurationArn: aws.String(arn), MaxResults: aws.Int32(pageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.ServiceArnList...)
	}
	return out, nil
}

// appRunnerDefault is the name of App Runner's own auto scaling
// configuration, which every account has and services get by default.
const appRunnerDefault = "DefaultConfiguration"

// everyOf stands, in a result, for all the resources of kind k of an
// account and region: the subject of a listing that failed.
func everyOf(k request.Kind, partition, region, account string) string {
	return fmt.Sprintf("arn:%s:apprunner:%s:%s:%s/*", partition, region, account, k.ARNResource())
}

// everyResource stands, in a result, for all the resources of an account
// and region: the subject of a scope that could not be reached.
func everyResource(partition, region, account string) string {
	return fmt.Sprintf("arn:%s:apprunner:%s:%s:*", partition, region, account)
}
