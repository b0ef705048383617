# phoneflash: every command anyone runs is a target here; CI runs `make test`.
GO       ?= go
BUILD    ?= build
# gokrazy's tool: the user's gok on PATH, else the one built next to this
# checkout (../shared/bin/gok, as CI has it).
GOK      ?= $(or $(shell command -v gok 2>/dev/null),../shared/bin/gok)
IMG      ?= $(BUILD)/phoneflash.img
# Size of a file image (a card gets the card's size): 2 GiB, of which /perm
# is about 890 MiB.
IMG_BYTES ?= 2147483648
INSTANCE ?= phoneflash
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Go test timeout for the whole suite (make test must stay under 15 minutes).
TEST_TIMEOUT ?= 14m

.PHONY: all build test test-nobody deps print-test-deps unit lint cross depcheck demo bench image perm-fs update vmtest builddir-sum fuzz soak clean

all: build

## build: the commands for this machine, into $(BUILD)/
build:
	$(GO) build -o $(BUILD)/ ./cmd/...

# Debian packages the tests use: namespaces and veths, real DHCP and TFTP
# clients as peers, a packet capture for option checks on the wire, a
# browser for the status page's live-update test, Kamailio as the office PBX
# the SIP tests register with; for the image tests QEMU and its EFI
# firmware, and the tools that read and format the image's partitions (FAT:
# mtools, root: squashfs-tools, /perm: e2fsprogs, the partition table:
# util-linux's partx); a C compiler for the race detector. .ci/run installs
# the same.
TEST_DEPS = iproute2 busybox udhcpc isc-dhcp-client tftp-hpa curl tcpdump chromium kamailio \
	qemu-system-x86 ovmf mtools squashfs-tools e2fsprogs util-linux gcc libc6-dev
# The office of the bundle test: tftpd-hpa serves the exported bundle
# (dnsmasq-base, below, is the office router's DHCP with option 150).
TEST_DEPS += tftpd-hpa
# The web UI's /metrics test: promtool (Debian package prometheus) parses
# and lints the page.
TEST_DEPS += prometheus

## test: lint, cross, depcheck and every test. Tests that need root (network
## namespaces) skip with a message when not root; as root they run, and the
## Debian packages they need are installed first when missing.
test: deps lint cross depcheck unit

## test-nobody: as root, `make test` as an ordinary user would run it: as
## nobody, over a copy of the tracked files that nobody may read but not
## write, with its own HOME, GOCACHE and GOMODCACHE (seeded from root's, so
## no download is needed). Tests that need root skip with a message.
NOBODY_DIR ?= /tmp/phoneflash-nobody
test-nobody:
	@[ "$$(id -u)" = 0 ] || { echo "make test-nobody: needs root to become nobody; as an ordinary user run make test" >&2; exit 1; }
	rm -rf $(NOBODY_DIR) && mkdir -p $(NOBODY_DIR)/tree $(NOBODY_DIR)/home
	git ls-files -z | xargs -0 cp --parents -t $(NOBODY_DIR)/tree/
	cp -a "$$($(GO) env GOMODCACHE)" $(NOBODY_DIR)/gomod
	chmod -R a+rX $(NOBODY_DIR)/tree && chown -R 65534:65534 $(NOBODY_DIR)/home $(NOBODY_DIR)/gomod
	cd $(NOBODY_DIR)/tree && setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=$(NOBODY_DIR)/home \
		GOCACHE=$(NOBODY_DIR)/home/gocache GOMODCACHE=$(NOBODY_DIR)/gomod GOPATH=$(NOBODY_DIR)/home/go \
		GOFLAGS="-modcacherw -buildvcs=false" GOTOOLCHAIN=local TMPDIR=$(NOBODY_DIR)/home $(MAKE) test

## deps: as root, install the missing TEST_DEPS (apt-get update, then install)
deps:
	@if [ "$$(id -u)" != 0 ]; then echo "make deps: not root: tests that need root or missing packages will skip"; exit 0; fi; \
	missing=$$(for p in $(TEST_DEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing" $$missing; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

# The bench route's tests: nft reads phoneflash's table back, dnsmasq is
# the office's resolver behind the uplink.
TEST_DEPS += nftables dnsmasq-base

print-test-deps:
	@echo $(TEST_DEPS)

# The race pass: every package again under -race and -short, their
# TestIntegration* tests (root, namespaces) aside, except ./appliance (its
# tests need netlink) and ./gokrazy (it builds the image's packages; none
# of our concurrency). -short leaves out what is only long (a 32 MiB
# transfer). It needs cgo, so a C compiler (gcc, in TEST_DEPS).
MODULE     = $(shell $(GO) list -m)
RACE_PKGS  = $(shell $(GO) list ./... | grep -v -x -e '$(MODULE)/appliance' -e '$(MODULE)/gokrazy')
RACE_TIMEOUT ?= 8m

## unit: every test, then the race pass (see RACE_PKGS)
unit:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	@if [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v "$$($(GO) env CC)" >/dev/null; then \
		echo "$(GO) test -race -short -count=1 -skip '^TestIntegration' (every package but ./appliance and ./gokrazy)"; \
		$(GO) test -race -short -count=1 -timeout $(RACE_TIMEOUT) -skip '^TestIntegration' $(RACE_PKGS); \
	else echo "make unit: no C compiler for cgo: skipping the race pass (install gcc)"; fi

## lint: gofmt, go vet and staticcheck (fetched through the Go module proxy)
lint:
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './$(BUILD)/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## cross: the arm64 binaries for the Raspberry Pi, with their sizes. Where
## $(BUILD) cannot be written (a read-only checkout) they go to a temporary
## folder, removed again: the build is still checked.
cross:
	@out=$(BUILD)/linux_arm64; \
	if ! mkdir -p $$out 2>/dev/null || [ ! -w $$out ]; then \
		out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
		echo "make cross: $(BUILD) is not writable; building into $$out (removed afterwards)"; \
	fi; \
	echo "GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -o $$out/ ./cmd/..."; \
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -o $$out/ ./cmd/... && \
	for f in $$out/*; do printf 'cross: %-40s %8d bytes\n' "$$f" "$$(stat -c %s "$$f")"; done

## depcheck: the package dependency rules of design.md
depcheck:
	$(GO) run ./cmd/depcheck

## demo: the whole job on simulated hardware (root); DEMOFLAGS="-time-scale 0.05 -keep", see phoneflash demo -h
DEMOFLAGS ?=
# The demo's office PBX, installed by make demo (as root) where missing.
DEMO_DEPS = kamailio

demo:
	@if [ "$$(id -u)" = 0 ]; then \
		missing=$$(for p in $(DEMO_DEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
		if [ -n "$$missing" ]; then echo "make demo: installing" $$missing; \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; fi; \
	fi
	$(GO) build -o $(BUILD)/ ./cmd/phoneflash ./cmd/phonesim
	$(BUILD)/phoneflash demo -phonesim $(BUILD)/phonesim $(DEMOFLAGS)

## bench: phoneflash against tftpd-hpa, dnsmasq, atftpd and Kea (root; ~15 min;
## installs missing peers; BENCHFLAGS=-quick for a short smoke run). Prints a
## Markdown report and writes it to $(BUILD)/bench/bench.md; never fails on speed.
BENCHFLAGS ?=
bench:
	@[ "$$(id -u)" = 0 ] || { echo "make bench: needs root (network namespaces, cgroups, apt-get); run: sudo make bench" >&2; exit 1; }
	@echo "make bench: building; progress on stderr, the report on stdout" >&2
	@$(GO) build -o $(BUILD)/ ./cmd/...
	@GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -o $(BUILD)/linux_arm64/ ./cmd/phoneflash
	@$(BUILD)/pfbench -all -out $(BUILD)/bench -arm64 $(BUILD)/linux_arm64/phoneflash $(BENCHFLAGS)

BUILDDIR = gokrazy/$(INSTANCE)/builddir/github.com/phoneflash/phoneflash
GOK_HINT = gok not found (neither on PATH nor $(GOK)); install it with: go install github.com/gokrazy/tools/cmd/gok@latest (and put $$(go env GOPATH)/bin on PATH)

# The instance builds this checkout through a replace directive in its
# builddir; keep the builddir's go.sum in step with the module's.
builddir-sum:
	cp go.sum $(BUILDDIR)/go.sum

## image: a full SD-card image with gok (github.com/gokrazy/tools). Plain
## `make image` writes $(IMG) (IMG_BYTES, default 2 GiB) with /perm already
## formatted (ext4); IMG=/dev/sdX writes the card directly (then format
## /perm: mkfs.ext4 /dev/sdX4, as gok says).
image: builddir-sum
	@[ -x "$$(command -v $(GOK))" ] || { echo "make image: $(GOK_HINT)" >&2; exit 1; }
	@if [ -b "$(IMG)" ]; then \
		echo "make image: writing the card $(IMG)"; \
		$(GOK) --parent_dir gokrazy -i $(INSTANCE) overwrite --full $(IMG); \
	else \
		mkdir -p "$$(dirname "$(IMG)")" && \
		$(GOK) --parent_dir gokrazy -i $(INSTANCE) overwrite --full $(IMG) --target_storage_bytes $(IMG_BYTES) && \
		$(MAKE) -s perm-fs IMG=$(IMG); \
	fi

# perm-fs formats partition 4 of the file $(IMG) as ext4 for /perm (gok
# leaves it empty and prints the same mkfs.ext4 command).
perm-fs:
	@command -v mkfs.ext4 >/dev/null || { echo "make image: mkfs.ext4 missing (Debian: e2fsprogs); /perm is not formatted, do README step 3 after writing the card"; exit 0; }; \
	set -- $$(partx -g -n 4 -o START,SECTORS "$(IMG)"); \
	[ $$# -eq 2 ] || { echo "make image: no partition 4 in $(IMG)" >&2; exit 1; }; \
	mkfs.ext4 -q -F -L perm -E offset=$$(($$1 * 512)) "$(IMG)" $$(($$2 / 2)) && \
	echo "make image: $(IMG) written, $$(stat -c %s "$(IMG)") bytes, /perm formatted (ext4, $$(($$2 / 2048)) MiB)"

## update: gok update to a running appliance over the network (no SSH)
update: builddir-sum
	@[ -x "$$(command -v $(GOK))" ] || { echo "make update: $(GOK_HINT)" >&2; exit 1; }
	$(GOK) --parent_dir gokrazy -i $(INSTANCE) update

## vmtest: the image test alone: build the amd64 variant of the instance with
## gok, boot it in QEMU and flash a simulated phone through it (root; about 3
## minutes). `make test` runs it too.
vmtest:
	$(GO) test -count=1 -v -timeout 10m -run '^TestIntegrationVM' ./gokrazy

clean:
	rm -rf $(BUILD)

## soak: the fault test of issue 11 with its long setting: 32 simulated phones
## through five full cycles with power cuts, 5% loss and reordering on the bench
## links, SIGKILLed restarts, a full and a read-only state directory (root).
## `make test` runs the same test with four phones and one cycle.
SOAK_TIMEOUT ?= 90m
soak:
	$(GO) test -count=1 -v -timeout $(SOAK_TIMEOUT) -run '^TestIntegrationFaults$$' ./cmd/phoneflash -args -soak

## fuzz: run every fuzz target for FUZZTIME each (make test runs their seed
## corpora in testdata/fuzz). FUZZ_TARGETS lists package:target pairs.
FUZZTIME ?= 30s
FUZZ_TARGETS = \
	./appliance/dhcpd:FuzzHandle ./appliance/dhcpd:FuzzHandleSequence \
	./appliance/tftpd:FuzzCleanName ./appliance/tftpd:FuzzRequestPacket \
	./appliance:FuzzResolveName ./appliance/session:FuzzStep \
	./appliance/provision:FuzzParseTable ./appliance/provision:FuzzConfigText ./board:FuzzParseProfile \
	./appliance/sipwatch:FuzzHandleFrames \
	./firmware:FuzzParseHeader ./firmware:FuzzParseLoads ./firmware:FuzzImport
fuzz:
	@set -e; for pt in $(FUZZ_TARGETS); do \
		pkg=$${pt%%:*}; fn=$${pt##*:}; \
		echo "fuzz: $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done
