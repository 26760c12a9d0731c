package benchrun

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Packages the benchmarks build, relative to the module root, and the
// runtime interface emulator, pinned in the tools module.
const (
	handlerPackage = "./cmd/handler"
	helloPackage   = "./cmd/bench/hello"
	riePackage     = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	toolsModfile   = "tools/go.mod"
)

// LambdaBuildFlags are the go build flags of the deployed function (the
// Makefile's LAMBDA_FLAGS), used here for both functions whose start-up
// is compared; CGO_ENABLED=0 goes with them.
var LambdaBuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// Binaries are the programs one benchmark run builds.
type Binaries struct {
	// Bootstrap is the cleanup function, Hello the smallest
	// aws-lambda-go function; both for this machine, built alike.
	Bootstrap, Hello string
	// RIE is the Lambda Runtime Interface Emulator.
	RIE string
}

// Build compiles the binaries into dir. moduleRoot holds go.mod and
// tools/go.mod.
func Build(ctx context.Context, moduleRoot, dir string) (Binaries, error) {
	b := Binaries{
		Bootstrap: filepath.Join(dir, "bootstrap"),
		Hello:     filepath.Join(dir, "hello"),
		RIE:       filepath.Join(dir, "aws-lambda-rie"),
	}
	builds := [][]string{
		append(append([]string{"build"}, LambdaBuildFlags...), "-o", b.Bootstrap, handlerPackage),
		append(append([]string{"build"}, LambdaBuildFlags...), "-o", b.Hello, helloPackage),
		{"build", "-modfile=" + toolsModfile, "-o", b.RIE, riePackage},
	}
	for _, args := range builds {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = moduleRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return b, nil
}

// BuildCommand is the command line that builds a function as Build does,
// for the results.
func BuildCommand(pkg string) string {
	return "CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' " + pkg
}
