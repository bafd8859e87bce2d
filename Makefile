# Shorthands for the scripts the README documents; the scripts are the real commands.
# `make bench BENCH_ARGS="--scenario latency"` passes options through.
.PHONY: bench test run
bench:
	scripts/bench.sh $(BENCH_ARGS)
test:
	scripts/test.sh
run:
	scripts/run.sh
