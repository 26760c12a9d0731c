// Package apprunnerlocal is an in-memory emulator of the AWS App Runner API,
// for tests, demos and benchmarks. It is never deployed.
//
// A [Server] is an [net/http.Handler] speaking App Runner's real wire protocol
// (AWS JSON 1.0: POST /, X-Amz-Target: AppRunner.<Operation>, epoch-second
// timestamps, errors as {"__type": ..., "message": ...}), so the real
// aws-sdk-go-v2 client and the AWS CLI work against it unchanged.
// [NewClient] points the real client at one:
//
//	srv := httptest.NewServer(apprunnerlocal.New(apprunnerlocal.Options{}))
//	client := apprunnerlocal.NewClient(srv.URL, "us-east-1", "AKID")
//
// It is the SDK's client with the emulator's [HTTPClient], which avoids a
// race in the SDK; a client built by hand should use that too.
//
// Covered operations: CreateConnection, ListConnections, DeleteConnection,
// CreateService, DescribeService, ListServices, UpdateService (its source,
// network, auto scaling and observability configurations), DeleteService,
// PauseService, ResumeService, TagResource, UntagResource and
// ListTagsForResource; CreateVpcConnector, DescribeVpcConnector,
// ListVpcConnectors and DeleteVpcConnector; CreateAutoScalingConfiguration,
// DescribeAutoScalingConfiguration, ListAutoScalingConfigurations,
// DeleteAutoScalingConfiguration, ListServicesForAutoScalingConfiguration
// and UpdateDefaultAutoScalingConfiguration;
// CreateObservabilityConfiguration, DescribeObservabilityConfiguration,
// ListObservabilityConfigurations and DeleteObservabilityConfiguration
// (resources.go and the files named after each kind), with the input
// validation of the API model (required members, patterns, lengths,
// MaxResults ranges, NextToken checks).
//
// It also answers STS GetCallerIdentity and AssumeRole (sts.go), in STS's
// Query protocol, so that a client pointed here with AWS_ENDPOINT_URL_STS
// can learn its account and reach other accounts through a role, as the
// cleanup function does when it offboards an account.
//
// Every credential is one principal, named as AWS names it
// (principal.go): a plain access key is its account's IAM user
// apprunner-local (Arn arn:aws:iam::ACCOUNT:user/apprunner-local, UserId
// [UserPrincipalID], "AIDA" and 17 characters derived from the account),
// and AssumeRole's credentials are a role session (Arn
// arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION, UserId
// [RolePrincipalID], "AROA<role ID>:SESSION", the role ID derived from the
// role's ARN and the same for all its sessions). GetCallerIdentity returns
// that UserId and Arn, and SQS records the same principal ID as a
// message's SenderId, so that a receiver can tell its own messages by
// comparing the part before ':' with its own UserId's, as the cleanup
// function does with its work items.
//
// And it answers the read operations of AWS Organizations
// (organizations.go), in Organizations' protocol (AWS JSON 1.1: POST /,
// X-Amz-Target: AWSOrganizationsV20161128.<Operation>), for a client pointed
// here with AWS_ENDPOINT_URL_ORGANIZATIONS: DescribeOrganization, ListRoots,
// ListOrganizationalUnitsForParent, ListAccountsForParent, ListAccounts,
// ListChildren, ListParents, DescribeAccount and DescribeOrganizationalUnit,
// over the organization a seed brings ([SeedOrganization]). Any account of
// the organization may call DescribeOrganization; the others are for the
// management account and [Options.DelegatedAdministrators]
// (AccessDeniedException otherwise); an account outside the organization
// gets AWSOrganizationsNotInUseException. [Options.AssumableRoleNames] lets
// STS grant a role of a given name in every account of that organization,
// as a member role deployed by a StackSet would be. Organizations calls are
// counted in [Stats] as "organizations:<Operation>", STS calls as
// "sts:<Operation>", so App Runner's counts stay apart. [Options.RateLimits]
// throttles Organizations by operation ("organizations:<Operation>") or as
// a whole ([OrganizationsRateLimitKey], "organizations:*": one bucket that
// every Organizations call draws from), refusing with
// TooManyRequestsException.
//
// It also keeps SQS queues (the protocol in sqs.go, its input checks in
// sqs_input.go, the queues in the store, sqs_store.go), enough for the
// function's plans:
// SendMessageBatch, SendMessage, GetQueueUrl and GetQueueAttributes in
// SQS's AWS JSON 1.0 protocol, for a client pointed here with
// AWS_ENDPOINT_URL_SQS. [Options.Queues] names the queues every account
// has; [Server.TakeMessages] and [LambdaSQSEvent] play Lambda's event
// source mapping for tests and the demo, with the sender's principal ID
// as SenderId. ReceiveMessage is not emulated
// (no receipt handles or visibility timeouts), and a queue is an account
// and a name, whatever the region. SQS calls are counted as "sqs:<Operation>".
//
// The protocol layer (server.go; input.go decodes and validates each
// operation's input, ops.go runs it) is separate from the store (store.go),
// which keeps every account and region apart under one mutex.
// Test knobs ([Options]) add latency, per-operation token-bucket throttling,
// a reproducible fraction of internal errors, and the empty-page quirk of
// ListServices. The inspection API (inspect.go) lets tests look inside:
// [Server.Stats] counts every call by operation and outcome, and
// [Server.Connection], [Server.Services], [Server.VPCConnector],
// [Server.AutoScalingConfigurations] and the like return the store's
// resources.
//
// Where it differs from the real service:
//   - SigV4 signatures are not verified. A request must carry an
//     Authorization header whose credential scope names the region
//     (Credential=AKID/DATE/REGION/apprunner/aws4_request); the account is
//     looked up from the access key ID in [Options.Accounts], and unknown keys
//     belong to [DefaultAccount]. IAM is not modelled: every caller may do
//     everything in its own account. All plain access keys of an account
//     are one IAM user; a second principal in an account is a role
//     session. Principal IDs are derived, not assigned: the same
//     credentials are the same principal on every server and in every run,
//     and the IDs are not those of any real principal.
//   - A resource ARN of another account or region is reported as
//     ResourceNotFoundException (the real service answers with an access
//     error or a not-found, depending on the operation).
//   - Lists return 20 items per page when MaxResults is omitted (the model
//     says "all results"; the real service pages anyway). Items are sorted by
//     creation time, then ARN, and NextToken is an opaque cursor bound to the
//     account, region, operation and filter that issued it.
//   - Connections never need a handshake: CreateConnection leaves them in
//     PENDING_HANDSHAKE as the real service does, and only seeding (see
//     [Seed], [Server.AddConnection]) can make them AVAILABLE or ERROR.
//   - Services do not run anything. CreateService, PauseService and
//     ResumeService complete at once (RUNNING, PAUSED, RUNNING); DeleteService
//     moves a service to OPERATION_IN_PROGRESS and then to DELETED after
//     [Options.DeleteServiceDelay] (default: at once). Deleted services leave
//     ListServices but DescribeService keeps returning them as DELETED.
//   - No service quotas: ServiceQuotaExceededException is never returned.
//   - Only the members of each shape that the model defines are kept;
//     custom domains are not modelled, and VPC connectors, auto scaling and
//     observability configurations are records only: nothing scales,
//     traces or joins a VPC.
//   - DeleteConnection refuses, with InvalidRequestException, while any
//     service not DELETED references the connection in
//     SourceConfiguration.AuthenticationConfiguration.ConnectionArn. With
//     [Options.DisableInUseGuard] it deletes anyway and records the deletion
//     in [Server.UnsafeDeletions].
//   - VPC connectors, auto scaling and observability configurations are
//     ACTIVE until deleted, then INACTIVE for good: Describe still returns
//     them, lists and TagResource and the like do not (ResourceNotFound).
//     ARNs are arn:aws:apprunner:REGION:ACCOUNT:KIND/NAME/REVISION/ID
//     (KIND vpcconnector, autoscalingconfiguration,
//     observabilityconfiguration; ID 32 lowercase hex digits, a new one
//     for each revision). A VPC connector name has one ACTIVE connector;
//     a configuration name has revisions, numbered from one more than the
//     highest so far, deleted ones included (the real service may reuse
//     a deleted revision's number). The configurations' operations take
//     partial ARNs (…/NAME, the latest ACTIVE revision; …/NAME/REVISION),
//     as the model says; the VPC connector operations take full ARNs only.
//     Services keep the full ARN of the revision they use.
//   - Deletion refuses, with InvalidRequestException, while any service not
//     DELETED uses the resource: for a VPC connector in
//     NetworkConfiguration.EgressConfiguration.VpcConnectorArn ("Provided
//     VPC connector arn is being used by other services", App Runner's
//     words), for an auto scaling configuration as its
//     AutoScalingConfigurationArn (App Runner's "You can't delete the auto
//     scaling configuration. It's used by one or more services. …"), for an
//     observability configuration in
//     ObservabilityConfiguration.ObservabilityConfigurationArn (the same
//     words, for observability: the emulator's guess). DeleteAllRevisions
//     refuses when any revision of the name is used, and then deletes
//     none; it takes an ARN of any revision, where the model allows …/NAME
//     only. [Options.DisableInUseGuard] deletes anyway and records each
//     revision used in [Server.UnsafeDeletions]. HasAssociatedService,
//     IsDefault and Latest are computed when asked.
//   - Every account and region has App Runner's DefaultConfiguration,
//     revision 1 (ID 00000000000000000000000000000001, created at App
//     Runner's launch, 2021-05-18), made when the scope is first used; it is
//     the default until UpdateDefaultAutoScalingConfiguration makes
//     another revision the default. New services without an
//     AutoScalingConfigurationArn get the default; seeded ones get
//     DefaultConfiguration revision 1 unless the seed names another. The
//     real service (since its auto scaling enhancements of 2023) lets
//     DefaultConfiguration be deleted once another is the default; the
//     emulator refuses to delete its revision 1 ever, and refuses to
//     delete whichever revision is the default, as the real one does.
//   - ListAutoScalingConfigurations and ListObservabilityConfigurations
//     list the latest ACTIVE revision of each name unless LatestOnly is
//     false, the model's default. aws-sdk-go-v2 sends LatestOnly only when
//     it is true, so through it they always list latest revisions only:
//     older ones are found with Describe of …/NAME/REVISION, or in the raw
//     protocol. ObservabilityConfigurationName DefaultConfiguration is
//     reserved, as the model says.
//   - CreateService and UpdateService refuse (InvalidRequestException) a
//     VPC connector, auto scaling or observability configuration that is
//     not ACTIVE in the caller's account and region, EgressType VPC without
//     a VpcConnectorArn or DEFAULT with one, and ObservabilityEnabled true
//     without an ObservabilityConfigurationArn or false with one.
//   - Organizations: one organization, read-only, with all features and no
//     policy types enabled; only a seed creates it. Lists are sorted by ID,
//     20 items to a page without MaxResults (1..20 with it), and NextToken
//     is bound to the operation, caller and parent or child that issued it
//     (others: InvalidInputException, Reason INVALID_NEXT_TOKEN). Pages are
//     never empty before the last (the real service may return empty pages
//     with a NextToken). Client errors are HTTP 400, as the real service
//     sends them; the model's httpError traits (403, 404, 409, 429) are not
//     followed, and the SDK decodes errors by __type alone. Input errors are
//     InvalidInputException with the model's Reason (INPUT_REQUIRED,
//     INVALID_PATTERN, MAX_LENGTH_EXCEEDED, MIN_VALUE_EXCEEDED,
//     MAX_VALUE_EXCEEDED, INVALID_ENUM), the first one only, in the
//     emulator's words. Accounts have no Paths and OUs no Path; JoinedMethod
//     is CREATED and JoinedTimestamp the time of loading for every account.
//     Latency, RateLimits (keyed "organizations:<Operation>" or
//     "organizations:*" for all operations together, refusing with
//     TooManyRequestsException) and FaultRate (ServiceException, HTTP 500)
//     apply to Organizations calls as to App Runner's.
//   - STS: AssumeRole refuses (AccessDenied) a role that
//     [Options.AssumableRoleNames] names in a SUSPENDED account of the
//     organization, as a closed account's roles cannot be used, and a
//     RoleSessionName that is not 2 to 64 of the characters STS allows
//     (ValidationError). Credentials never expire here, whatever their
//     Expiration says.
//   - With [Options.EmptyPageQuirk], ListServices pages over every service
//     including DELETED ones and then drops the DELETED, so a page can be
//     empty yet carry a NextToken, as the real service sometimes does after
//     many deletions (botocore issue 3116, aws-cli issue 8124). Clients must
//     keep paging until NextToken is absent.
package apprunnerlocal
