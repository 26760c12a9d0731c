# Build, test and deploy helpers. Needs only Go; python3 with cfn-lint and
# aws-sam-translator for `make validate`. Run `make` to list the targets.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# sam build sets ARTIFACTS_DIR; the default serves `make dist/bootstrap-arm64.zip`.
ARTIFACTS_DIR ?= dist/lambda
TEST_TIMEOUT ?= 20m

# The Lambda Runtime Interface Emulator and staticcheck are pinned by tool
# directives in a module of their own, tools/go.mod, apart from the function's
# dependencies. -modfile builds or runs them at those versions while staying
# in this directory, so that staticcheck checks this module's packages
# (go -C tools would check the tools module's, which has none).
TOOLS_MODFILE := -modfile=tools/go.mod

LAMBDA_GOENV := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: help build build-CleanupFunction test demo bench lint validate run-emulator try-command clean \
	bin/bootstrap bin/apprunner-local bin/apprunner-cleanup

# The help texts are read from the Makefile as written; the variables of
# HELP_VARS they mention as $(NAME) are shown with their value, passed to
# awk in its environment. Any other $(NAME) is left as written.
HELP_VARS := ARTIFACTS_DIR

help: ## list the targets
	@env $(foreach v,$(HELP_VARS),$(v)='$($(v))') awk 'BEGIN {FS = ":.*## "} \
	/^[a-zA-Z0-9_.\/-]+:.*## / { \
		text = $$2; out = ""; \
		while (match(text, /\$$\([A-Za-z0-9_]+\)/)) { \
			name = substr(text, RSTART + 2, RLENGTH - 3); \
			out = out substr(text, 1, RSTART - 1) ((name in ENVIRON) ? ENVIRON[name] : substr(text, RSTART, RLENGTH)); \
			text = substr(text, RSTART + RLENGTH); \
		} \
		printf "  %-26s %s\n", $$1, out text; \
	}' $(MAKEFILE_LIST)

build: bin/bootstrap bin/apprunner-local bin/apprunner-cleanup dist/bootstrap-arm64.zip ## build bin/bootstrap, bin/apprunner-local and bin/apprunner-cleanup for this machine, and the Lambda zip dist/bootstrap-arm64.zip

bin/bootstrap: ## the function (and command-line tool) for this machine
	$(GO) build -trimpath -o $@ ./cmd/handler

bin/apprunner-local: ## the local App Runner emulator for this machine
	$(GO) build -trimpath -o $@ ./cmd/apprunner-local

bin/apprunner-cleanup: ## the operator's command for this machine
	$(GO) build -trimpath -ldflags='-s -w' -o $@ ./cmd/apprunner-cleanup

bin/aws-lambda-rie: tools/go.mod ## the Lambda Runtime Interface Emulator, at the version pinned in tools/go.mod
	$(GO) build $(TOOLS_MODFILE) -o $@ github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie

build-CleanupFunction: ## cross-compile the function for Lambda (arm64) into $(ARTIFACTS_DIR); sam build runs this
	$(LAMBDA_GOENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./cmd/handler

# The zip keeps the executable bit of bootstrap; python3's zipfile does so and
# is more often present than zip(1).
dist/bootstrap-arm64.zip: build-CleanupFunction ## the deployable Lambda package
	@mkdir -p $(@D)
	@rm -f $@
	@if command -v python3 >/dev/null; then \
		(cd $(ARTIFACTS_DIR) && python3 -m zipfile -c $(CURDIR)/$@ bootstrap); \
	elif command -v zip >/dev/null; then \
		zip -j -X $@ $(ARTIFACTS_DIR)/bootstrap >/dev/null; \
	else \
		echo "cannot create $@: neither python3 nor zip is installed" >&2; exit 1; \
	fi
	@echo "wrote $@"

# The race detector needs cgo, hence a C compiler (Go turns cgo off by
# itself where it finds none); without them the tests run without it, with
# a line that says so, rather than fail with "-race requires cgo".
test: lint ## lint (gofmt, go vet, staticcheck), the tests (with the race detector where cgo allows), then the template checks when cfn-lint is installed
	@flags=-race; env=; why=; cgo="$$($(GO) env CGO_ENABLED)"; cc="$$($(GO) env CC)"; \
	[ "$$cgo" = 1 ] || why="go env CGO_ENABLED is '$$cgo'"; \
	command -v "$${cc%% *}" >/dev/null || why="$${why:+$$why and }no C compiler (go env CC is '$$cc', not on PATH)"; \
	if [ -n "$$why" ]; then \
		flags=; env=CGO_ENABLED=0; \
		echo "testing without the race detector, which needs cgo: $$why"; \
	fi; \
	echo "$${env:+$$env }$(GO) test $${flags:+$$flags }-timeout $(TEST_TIMEOUT) ./..."; \
	env $$env $(GO) test $$flags -timeout $(TEST_TIMEOUT) ./...
	@if command -v cfn-lint >/dev/null; then \
		$(MAKE) --no-print-directory validate; \
	else \
		echo "skipping template validation: cfn-lint not installed"; \
	fi

# ARGS passes flags to the demo: make demo ARGS=-v adds the function's own
# log lines and metrics records; go run ./cmd/demo -h lists the flags.
demo: ## run the function on every sample event against the local emulator with demo data (ARGS=-v: its logs too)
	$(GO) run ./cmd/demo $(ARGS)

# make bench writes where OUT says; the tracked BENCHMARKS.md only when asked
# (make bench OUT=BENCHMARKS.md). bench-results/ is git-ignored.
OUT ?= bench-results/BENCHMARKS.md

bench: ## dry-run sweeps at 30 ms a call beside their lower bound, INIT beside a hello world's, peak RSS, go test benchmarks; written to OUT (default bench-results/BENCHMARKS.md)
	scripts/bench.sh "$(OUT)"

lint: ## gofmt, go vet and staticcheck
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool $(TOOLS_MODFILE) staticcheck ./...

validate: ## cfn-lint the SAM template and the member role (member-role.yaml), and run the SAM transform on the SAM template
	@command -v cfn-lint >/dev/null || { echo "cfn-lint not installed (pip install cfn-lint)" >&2; exit 1; }
	cfn-lint template.yaml member-role.yaml
	@if command -v python3 >/dev/null; then \
		python3 scripts/sam-translate.py template.yaml; \
	else \
		echo "skipping SAM transform: python3 not installed"; \
	fi

# Ctrl-C is how the emulator is stopped, so it is a clean exit: the recipe
# builds bin/apprunner-local and execs it, and the emulator exits 0 on
# SIGINT. (Under go run, go itself would exit 1 after an interrupt, and
# make would report Error 1.) ARGS passes flags: make run-emulator ARGS='-addr 127.0.0.1:0'.
run-emulator: bin/apprunner-local ## serve the local App Runner emulator with demo data on 127.0.0.1:8792 (ARGS: more flags); Ctrl-C stops it
	exec bin/apprunner-local -demo $(ARGS)

try-command: bin/apprunner-local bin/apprunner-cleanup ## serve the emulator with demo data on a free port and print the exports that point apprunner-cleanup at it; Ctrl-C stops it
	exec bin/apprunner-local -demo -addr 127.0.0.1:0 -print-env $(ARGS)

clean: ## remove build outputs
	rm -rf bin dist .aws-sam
