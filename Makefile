# Short aliases; the logic lives in Go and in .ci/deps.
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION) -X main.buildTime=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)
HTTPS   ?= 127.0.0.1:8443
HTTP    ?= 127.0.0.1:8080
DATA    ?= ./coopbox-data

# The appliance (docs/appliance.md). SIZE is the image file's size; DEVICE,
# when set, is a card to write instead of a file (its whole size is used).
SIZE    ?= 2G
IMAGE   ?= dist/coopbox-pi.img
VMIMAGE ?= dist/coopbox-vm.img
MACHINE ?= pi
DEVICE  ?=

.PHONY: run build bundle npm test bench deps check-format fuzz clean image vm update

run: build
	./bin/coopbox serve -data $(DATA) -https $(HTTPS) -http $(HTTP)

build: bundle
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/coopbox ./cmd/coopbox

deps:
	bash .ci/deps

# The pads' editor (TipTap, Yjs) bundled by esbuild into
# services/pads/web/dist, which the binary embeds.
bundle: npm
	npm run bundle

# npm ci when node_modules is missing or older than the lockfile.
npm:
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

check-format:
	@out=$$(gofmt -l cmd appliance services config); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: deps bundle check-format
	COOPBOX_REQUIRE_ALL=1 $(GO) test -race -count=1 -timeout 20m ./...

bench: build deps
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	$(GO) run ./cmd/coopbox-padload -server bin/coopbox -authors 50,100,200 -peer

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzDecodeSessionCookie -fuzztime=30s ./appliance/

image: bundle
	$(GO) run ./cmd/coopbox-image build -machine pi -version $(VERSION) -size $(SIZE) $(if $(DEVICE),-o $(DEVICE),-o $(IMAGE) -gz)

vm: bundle
	$(GO) run ./cmd/coopbox-image build -machine vm -version $(VERSION) -o $(VMIMAGE)
	$(GO) run ./cmd/coopbox-image vm -image $(VMIMAGE)

update: bundle
	@test -n "$(HOST)" || { echo "usage: make update HOST=coopbox.local[:8080] [MACHINE=pi|vm]"; exit 2; }
	$(GO) run ./cmd/coopbox-image update -machine $(MACHINE) -version $(VERSION) -host $(HOST)

clean:
	rm -rf bin
