package request

import (
	"slices"
	"strings"
)

// appRunnerRegions are the regions where App Runner has an endpoint, by
// partition (AWS General Reference, "AWS App Runner endpoints and quotas").
// App Runner takes no new customers, so the list is not expected to grow.
// A region outside it has no App Runner to clean up: an offboarding request
// naming one is invalid, and no engine, credentials or connections are made
// for it.
var appRunnerRegions = map[string][]string{
	"aws": {
		"ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
		"eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
		"us-east-1", "us-east-2", "us-west-2",
	},
}

// regionPartitions maps a region name's prefix to its partition, most
// specific first; the partitions' own region patterns say the same.
var regionPartitions = []struct{ prefix, partition string }{
	{"cn-", "aws-cn"},
	{"us-gov-", "aws-us-gov"},
	{"us-isob-", "aws-iso-b"},
	{"us-isof-", "aws-iso-f"},
	{"us-iso-", "aws-iso"},
	{"eu-isoe-", "aws-iso-e"},
	{"eusc-", "aws-eusc"},
}

// PartitionOf returns the partition a region belongs to ("aws" for
// us-east-1, "aws-cn" for cn-north-1).
func PartitionOf(region string) string {
	for _, p := range regionPartitions {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// HasAppRunner reports whether App Runner is offered in region, a region of
// partition.
func HasAppRunner(partition, region string) bool {
	return slices.Contains(appRunnerRegions[partition], region)
}

// AppRunnerRegions lists the regions of partition where App Runner is
// offered, for messages that say what would have been accepted.
func AppRunnerRegions(partition string) []string {
	return slices.Clone(appRunnerRegions[partition])
}
