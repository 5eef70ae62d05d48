# meshsight build. Output goes to build/; quiet unless V=1.
#
#   make                 BPF objects, skeleton and build/meshsight
#   make run             (root) install what running needs, build, run on this host
#   make test            (root) install what testing needs, build, run every test tier
#   make demo            (root) a few "pods" in network namespaces calling each other
#   make bench           (root) throughput/latency with and without the agent
#   make help            every target

.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

OUTPUT    ?= build
CLANG     ?= clang
CC        ?= gcc
BPFTOOL   ?= bpftool
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
RUN_ARGS  ?=

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

INCLUDES   := -Iinclude -Iuser -I$(OUTPUT)
WARNINGS   := -Wall -Wextra -Werror
CFLAGS     ?= -g -O2
CFLAGS     += -std=gnu11 $(WARNINGS) $(INCLUDES)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -D__BPF__ $(WARNINGS) \
	      -Wno-unused-function -Ivmlinux -Iinclude -Ibpf
LIBS       := -lbpf -lelf -lz -lcurl -lmicrohttpd -ljansson -lyaml -lnetfilter_conntrack -lpthread -lm

# tls.bpf.c is an object of its own (optional: it reads kernel memory), see bpf/README.md.
BPF_SRCS   := $(filter-out bpf/tls.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_HDRS   := $(wildcard bpf/*.h bpf/maps/*.h bpf/proto/*.h) include/meshsight_events.h
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKEL       := $(OUTPUT)/meshsight.skel.h $(OUTPUT)/tls.skel.h

# user/ is layered (README "Layout"): main -> agent -> {serve, otlp} -> answers ->
# {naming, k8s} -> core -> lib, plus cli/. Only agent/ and main.c link libbpf, so
# every folder below agent/ is unit-tested without it; core/ and lib/ are pure C
# (no libbpf, no threads, no output format).
USER_DIRS  := lib core naming k8s answers serve otlp agent cli
USER_SRCS  := $(foreach d,$(USER_DIRS),$(wildcard user/$(d)/*.c)) user/main.c
AGENT_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
USER_HDRS  := $(wildcard user/*/*.h) include/meshsight_events.h
TESTED_SRCS := $(filter-out user/main.c user/agent/%.c user/cli/cli.c,$(USER_SRCS))

UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer

.PHONY: all
all: $(OUTPUT)/meshsight ## Build the agent (BPF objects, skeleton, binary)

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Link the per-hook objects into one, so one skeleton shares every map.
$(OUTPUT)/meshsight.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/meshsight.skel.h: $(OUTPUT)/meshsight.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name meshsight_bpf > $@

$(OUTPUT)/tls.bpf.o: bpf/tls.bpf.c $(BPF_HDRS) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tls.skel.h: $(OUTPUT)/tls.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tls_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(USER_HDRS) $(SKEL)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The live page (GET /), compiled in as a byte array: no asset is fetched at run time.
$(OUTPUT)/page_html.h: user/serve/page/index.html | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q){ echo 'static const unsigned char page_html[] = {'; \
	      od -An -v -tx1 $< | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '};'; } > $@

$(OUTPUT)/user/serve/page.o $(OUTPUT)/san/serve/page.o: $(OUTPUT)/page_html.h

$(OUTPUT)/meshsight: $(AGENT_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# --- tests -----------------------------------------------------------------
# Each unit test links every folder below agent/ (under ASan/UBSan), never libbpf;
# those objects are compiled once under ASan/UBSan and linked into every test.
SAN_OBJS   := $(patsubst user/%.c,$(OUTPUT)/san/%.o,$(TESTED_SRCS))
.SECONDARY: $(SAN_OBJS)

$(OUTPUT)/san/%.o: user/%.c $(USER_HDRS)
	$(call msg,SAN-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

# A test that includes its module's .c (to reach its statics) leaves that object out.
UNIT_UNLINKED_k8s_api := $(addprefix $(OUTPUT)/san/,k8s/kubeconfig.o k8s/http.o k8s/watch.o lib/log.o)

.SECONDEXPANSION:
$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(SAN_OBJS) $(USER_HDRS) $(wildcard tests/unit/*.h) | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $< $(filter-out $(UNIT_UNLINKED_$*),$(SAN_OBJS)) -lcmocka -ljansson -lyaml -lcurl -lmicrohttpd -lnetfilter_conntrack -lz -lpthread -lm -o $@

$(OUTPUT)/tests/bpf_prog_test: tests/bpf/bpf_prog_test.c $(SKEL) | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lcmocka $(LIBS) -o $@

# The kernel HTTP/1 machine in a test-only program (BPF_PROG_TEST_RUN fixtures).
$(OUTPUT)/tests/http1_kernel.bpf.o: tests/bpf/http1_kernel.bpf.c $(BPF_HDRS) | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/http1_kernel.skel.h: $(OUTPUT)/tests/http1_kernel.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name http1_kernel_bpf > $@

$(OUTPUT)/tests/http1_kernel_test: tests/bpf/http1_kernel_test.c $(OUTPUT)/tests/http1_kernel.skel.h | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUTPUT)/tests -Ibpf $< -lcmocka $(LIBS) -o $@

# The skb path under BPF_PROG_TEST_RUN with repeat: ns per packet (make bpf-bench).
$(OUTPUT)/tests/skb_bench.bpf.o: tests/bpf/skb_bench.bpf.c $(BPF_HDRS) | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/skb_bench: tests/bpf/skb_bench.c $(OUTPUT)/tests/skb_bench.bpf.o include/meshsight_events.h bpf/sock.h | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Ibpf $< $(LIBS) -o $@

# Do-nothing skb programs and their loader: the hooks' floor under the bench's load.
$(OUTPUT)/tests/skb_floor.bpf.o: tests/bpf/skb_floor.bpf.c | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/skb_floor: tests/bpf/skb_floor.c $(OUTPUT)/tests/skb_floor.bpf.o | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIBS) -o $@

# Kernel reach: lockdown-restricted helpers (uses probe.c's tables) and CO-RE relocation.
$(OUTPUT)/tests/helper_audit: tests/bpf/helper_audit.c $(OUTPUT)/user/agent/probe.o \
			   $(OUTPUT)/user/agent/self_ids.o $(OUTPUT)/user/lib/log.o | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/tests/core_reloc: tests/bpf/core_reloc.c | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIBS) -o $@

.PHONY: deps deps-test deps-bench
deps: ## Install the Debian packages building and running need (root)
	$(Q)tools/install-deps.sh run
deps-test: ## Install the packages every test tier needs too (root)
	$(Q)tools/install-deps.sh test
deps-bench: ## Install the packages the benchmark needs too (root)
	$(Q)tools/install-deps.sh bench

.PHONY: unit-test
unit-test: $(UNIT_TESTS) ## cmocka unit tests of the userspace modules
	$(Q)tools/run-unit-tests.sh $(UNIT_TESTS)

.PHONY: bpf-test
bpf-test: $(OUTPUT)/tests/bpf_prog_test $(OUTPUT)/tests/http1_kernel_test $(OUTPUT)/tests/helper_audit $(OUTPUT)/tests/core_reloc ## BPF fixtures (BPF_PROG_TEST_RUN), lockdown helper audit, CO-RE relocation (root)
	$(Q)OUTPUT=$(OUTPUT) tests/bpf/run.sh $(OUTPUT)/tests/bpf_prog_test

.PHONY: bpf-bench
bpf-bench: $(OUTPUT)/tests/skb_bench ## ns per packet of the skb path, BPF_PROG_TEST_RUN, warm and cold caches (root)
	$(Q)$(OUTPUT)/tests/skb_bench $(OUTPUT)/tests/skb_bench.bpf.o
	$(Q)$(OUTPUT)/tests/skb_bench -c 2048 -r 1000 $(OUTPUT)/tests/skb_bench.bpf.o

.PHONY: helm-test
helm-test: $(OUTPUT)/meshsight ## Render the Helm chart (default and other values) and check it
	$(Q)OUTPUT=$(OUTPUT) tests/helm/run.sh

.PHONY: e2e-test
e2e-test: $(OUTPUT)/meshsight ## End to end in network namespaces (root)
	$(Q)tests/e2e/run.sh

.PHONY: test
test: deps-test ## Install deps, build, run unit, BPF and end-to-end tests
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/run-all-tests.sh

.PHONY: run
run: deps ## Install deps, build and run the agent on this host (root)
	$(Q)$(MAKE) --no-print-directory all
	$(OUTPUT)/meshsight $(RUN_ARGS)

.PHONY: demo
demo: deps ## Pods in network namespaces calling each other, edges printed live
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh

.PHONY: bench
bench: deps-bench ## Throughput and latency with and without the agent, and the skb path per packet (prints figures)
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/tests/skb_floor
	$(Q)tools/bench.sh
	$(Q)tools/bench-scrape.sh
	$(Q)$(MAKE) --no-print-directory bpf-bench

.PHONY: fuzz
fuzz: ## Run the HTTP/1 and HTTP/2 (HPACK) parser fuzzers, FUZZ_SECONDS each (default 60)
	$(Q)tools/fuzz.sh $${FUZZ_SECONDS:-60}

.PHONY: vmlinux
vmlinux: ## Regenerate vmlinux/vmlinux.h from this kernel's BTF
	$(Q)tools/gen-vmlinux.sh

.PHONY: format lint
format: ## clang-format every C file in place
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^vmlinux/')
lint: ## Check formatting and the include layers (as CI does)
	$(Q)clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h' | grep -v '^vmlinux/') && \
		echo "lint: formatting clean" && tools/check-layers.sh

compile_commands.json: ## For clangd (needs bear)
	$(Q)$(MAKE) clean && bear -- $(MAKE) all $(UNIT_TESTS)

.PHONY: clean
clean: ## Remove build/
	$(Q)rm -rf $(OUTPUT)

.PHONY: help
help: ## This list
	@grep -E '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | sed -e 's/:.*## /\t/' | \
		awk -F'\t' '{printf "  %-22s %s\n", $$1, $$2}'
