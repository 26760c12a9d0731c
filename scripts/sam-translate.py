#!/usr/bin/env python3
"""Transform a SAM template into plain CloudFormation with aws-sam-translator.

Fails (exit 1) when the transform reports an error, so `make validate` catches
templates that cfn-lint accepts but `sam deploy` would reject. Exits 0 with a
clear message when aws-sam-translator is not installed.

Usage: scripts/sam-translate.py TEMPLATE [--output FILE]
"""

import argparse
import json
import os
import sys

try:
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse
except ImportError:
    print("skipping SAM transform: python module samtranslator (aws-sam-translator) not installed")
    sys.exit(0)

# The transform needs the ARNs of the AWS managed policies it attaches (X-Ray,
# SQS polling, basic execution); answering locally keeps this offline.
MANAGED_POLICIES = {
    name: "arn:aws:iam::aws:policy/" + path
    for name, path in {
        "AWSLambdaBasicExecutionRole": "service-role/AWSLambdaBasicExecutionRole",
        "AWSLambdaSQSQueueExecutionRole": "service-role/AWSLambdaSQSQueueExecutionRole",
        "AWSXrayWriteOnlyAccess": "AWSXrayWriteOnlyAccess",
        "AWSXRayDaemonWriteAccess": "AWSXRayDaemonWriteAccess",
    }.items()
}


class OfflinePolicyLoader:
    def load(self):
        return MANAGED_POLICIES


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template")
    parser.add_argument("--output", help="write the transformed template (JSON) here")
    args = parser.parse_args()

    with open(args.template, encoding="utf-8") as f:
        sam = yaml_parse(f.read())

    # Local code locations are what `sam package` would replace with S3
    # objects; stand in a placeholder so the transform accepts them.
    for resource in sam.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            if not props["CodeUri"].startswith("s3://"):
                props["CodeUri"] = "s3://example-bucket/code.zip"

    # The transform reads the region from boto3's session; give it a fake one.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    parameters = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}
    try:
        cfn = transform(sam, parameters, OfflinePolicyLoader())
    except InvalidDocumentException as err:
        for cause in err.causes:
            print(f"{args.template}: {cause.message}", file=sys.stderr)
        sys.exit(1)

    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(cfn, f, indent=2, default=str)
    resources = cfn.get("Resources", {})
    print(f"{args.template}: SAM transform OK, {len(resources)} CloudFormation resources")


if __name__ == "__main__":
    main()
