# ossdrop — two commands matter:
#   make run    installs what is missing, builds, and opens the app on the built-in Local bucket
#   make test   installs what the tests need and runs every check and test

GO        ?= go
# Two programs, built side by side: the command line, and the window that the
# command line starts when given no subcommand (cmd/ossdrop-window). Keeping
# the window out of ossdrop keeps Fyne, GLFW and the OpenGL/X11/Wayland
# libraries out of every command-line run.
BINARY    ?= ossdrop
WINDOW    ?= ossdrop-window
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/ossdrop/ossdrop/cli.Version=$(VERSION)
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Screenshots of the real window taken by the tests land here (CI keeps them).
export OSSDROP_ARTIFACTS ?= $(CURDIR)/.ci/artifacts

# Debian packages: building a Fyne app (cgo, X11 and Wayland via GLFW).
RUN_PKGS  := gcc pkg-config libgl1-mesa-dev xorg-dev libxkbcommon-dev libwayland-dev
# ... and what the tests drive: a real X server, a real drag and drop, a real
# Secret Service, screenshots, a Chinese font with bold faces (for the
# Simplified Chinese snapshots), and the Windows cross-compiler.
TEST_PKGS := $(RUN_PKGS) xvfb xdotool imagemagick python3-gi gir1.2-gtk-3.0 \
             gnome-keyring dbus dbus-x11 libsecret-tools gcc-mingw-w64-x86-64 git \
             openbox wmctrl fonts-noto-cjk
# ... and Node.js, which runs the official JavaScript OSS client (ali-oss,
# pinned in ossemu/testdata/alioss) against the local server.
TEST_PKGS += nodejs
ALIOSS_DIR := ossemu/testdata/alioss

.PHONY: run build test deps test-deps lint unit e2e windows bench bench-cli clean

run: deps build
	./$(BINARY)

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY) .
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(WINDOW) ./cmd/ossdrop-window

test: test-deps lint unit windows

# apt is asked only for packages that are not installed yet.
deps:
	@./.ci/apt-ensure $(RUN_PKGS)

test-deps:
	@./.ci/apt-ensure $(TEST_PKGS)
	@# npm comes with some nodejs builds; Debian's ships it separately
	@command -v npm >/dev/null || ./.ci/apt-ensure npm
	@# npm ci only when the lock file changed since the last install
	@[ $(ALIOSS_DIR)/node_modules/.package-lock.json -nt $(ALIOSS_DIR)/package-lock.json ] || \
	  (cd $(ALIOSS_DIR) && npm ci --no-audit --no-fund)

lint:
	@echo '--- gofmt'
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	@echo '--- go vet'
	$(GO) vet ./...
	@echo '--- staticcheck'
	$(STATICCHECK) ./...

# Every test, with the race detector, inside a private D-Bus session that runs a
# real gnome-keyring Secret Service and next to a private X server for the
# real-window test. Fuzz targets run their seed corpora as ordinary tests.
unit:
	@echo '--- go test -race ./...'
	OSSDROP_REQUIRE_KEYRING=1 OSSDROP_E2E=1 ./.ci/test-session $(GO) test -race -count=1 -timeout 30m ./...

# ossdrop.exe is a console program (the command line prints); the window is a
# windowed one, which is what shortcuts and file associations should start.
windows:
	@echo '--- cross-compile for Windows'
	GOOS=windows GOARCH=amd64 \
	  $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BINARY).exe .
	CC=x86_64-w64-mingw32-gcc GOOS=windows GOARCH=amd64 CGO_ENABLED=1 \
	  $(GO) build -trimpath -ldflags '$(LDFLAGS) -H windowsgui' -o $(WINDOW).exe ./cmd/ossdrop-window

# Benchmarks (not part of make test): each package's own benchmarks once (the
# server alone, the engine against the SDK's UploadFile, the window with 20,000
# queued files); CRC64 throughput, timed long enough to mean something; then
# ossdrop against SDK v1 UploadFile and the SDK v2 Uploader (internal/benchcmp:
# ratios, CPU per GiB, peak RSS; OSSDROP_BENCH_REPS=n repeats each scenario).
# The load is printed because figures on a busy machine mean little.
bench:
	@uptime
	OSSDROP_E2E=1 ./.ci/test-session $(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m \
	  $$($(GO) list ./... | grep -v -e /internal/benchcmp -e /internal/crc64ecma)
	$(GO) test -run '^$$' -bench . -benchtime 500ms ./internal/crc64ecma/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 150m ./internal/benchcmp/
	./internal/benchcmp/cli-small-files.sh
	@uptime

# The real command line on 100,000 files of 256 B to serve-local (FILES, SIZE, REPS override).
bench-cli:
	@./internal/benchcmp/cli-small-files.sh

clean:
	rm -f $(BINARY) $(BINARY).exe $(WINDOW) $(WINDOW).exe
