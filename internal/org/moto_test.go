//go:build unix

package org_test

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/apprunner-tools/connection-cleanup/internal/apprunnerlocal"
	"github.com/apprunner-tools/connection-cleanup/internal/org"
	"github.com/apprunner-tools/connection-cleanup/internal/request"
)

// motoStartTimeout is how long moto_server may take to answer: a Python
// process that imports every mocked service starts in seconds.
const motoStartTimeout = 60 * time.Second

// startMoto starts moto_server, a real SQS API, on a port the OS chose
// and returns an SQS client for it; the server is stopped when the test
// ends. The test is skipped when moto_server is not installed.
func startMoto(t *testing.T) *sqs.Client {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server is not installed (pip install 'moto[server]'): skipping the test against a real SQS API")
	}
	port := freePort(t)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	// Its own process group: the command is a shim that starts Python,
	// and the whole group is stopped.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = t.Output(), t.Output()
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})

	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(motoStartTimeout)
	for {
		resp, err := http.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("moto_server exited before it answered: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s within %v: %v", endpoint, motoStartTimeout, err)
		}
	}
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
}

// freePort asks the OS for a free TCP port on the loopback interface.
// Another process could take it before moto_server binds it; that fails
// the test with moto_server's own message, not a hang.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestPlanOverSQS plans 7 accounts in 3 regions onto a real SQS API
// (moto_server) and reads the 21 work items back.
func TestPlanOverSQS(t *testing.T) {
	client := startMoto(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cleanup")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}

	hs := newEmulator(t, apprunnerlocal.Options{})
	accounts := []string{home, active, teamAccount(1), teamAccount(2), teamOUAccount(1), teamOUAccount(2), bigAccount(1)}
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	p := org.NewPlanner(org.NewDirectory(newOrganizations(hs.URL, homeKey), org.Settings{Home: home, SweepOUs: allowed}), client, aws.ToString(q.QueueUrl), regions)
	req := planRequest(request.ActionSweep, nil, accounts, nil)
	req.DryRun = true
	sum := p.Plan(ctx, req)
	if sum.Error != "" || sum.WorkItems != 21 || len(sum.Refused) != 0 {
		t.Fatalf("Plan = %d work items, refused %v, error %q; want 21, none, none", sum.WorkItems, sum.Refused, sum.Error)
	}

	// Every work item, each once: receive until 21 have come, then once
	// more, which must find none.
	byID := map[string]string{}
	receive := func() int {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			// Longer than the test: no message comes back.
			VisibilityTimeout: 600,
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v (%d of 21 work items received)", err, len(byID))
		}
		for _, m := range out.Messages {
			byID[aws.ToString(m.MessageId)] = aws.ToString(m.Body)
		}
		return len(out.Messages)
	}
	for len(byID) < 21 {
		receive()
	}
	if n := receive(); n != 0 || len(byID) != 21 {
		t.Errorf("received %d messages, %d after the 21st; want 21, 0", len(byID), n)
	}
	var bodies []string
	for _, b := range byID {
		bodies = append(bodies, b)
	}
	got := workItemKeys(t, bodies, sum.PlanID, req)
	if diff := cmp.Diff(product(accounts, regions), got); diff != "" {
		t.Errorf("work items received (-want +got):\n%s", diff)
	}
}
